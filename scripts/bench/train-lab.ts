/**
 * Head experiments on the bench's data (prepared once by train-lab-prepare.ts in LAB_DIR, default
 * /tmp/ksl-lab), features cached in LAB_DIR/cache and shared by every experiment with the same
 * copies and augmentation, so an experiment costs only the head's training.
 *
 *   node scripts/run-ts.mjs scripts/bench/train-lab.ts NAME '{"steps":400,"tuning":{"context":{"radius":1,"dilation":1}}}'
 *
 * Prints one JSON line: name, settings, AP50, AP, seconds (features, training), samples/s, peak RSS.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { TrainParams } from '../../src-shared/api';
import { openProject } from '../../src-main/services/catalog/project';
import { JobManager } from '../../src-main/services/jobs/job-manager';
import { createTrainJob, type HeadTuning, type TrainResult } from '../../src-main/services/training/train-job';

async function main() {
  const dir = process.env.LAB_DIR ?? '/tmp/ksl-lab';
  const [name = 'exp', json = '{}'] = process.argv.slice(2);
  const spec = JSON.parse(json) as { tuning?: Partial<HeadTuning> } & Record<string, unknown>;
  const { tuning = {}, ...params } = spec;
  const p = openProject(path.join(dir, 'project'));
  let peak = 0;
  const mem = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  let featureSeconds = 0;
  let trainStarted = 0;
  const t0 = Date.now();
  let lastLine = 0;
  const jobs = new JobManager(p, { train: createTrainJob({ ...tuning, featureCacheDir: path.join(dir, 'cache') }) }, {
    emit: (e) => {
      if (e.type !== 'progress') return;
      if (!trainStarted && e.metrics?.step !== undefined) {
        trainStarted = Date.now();
        featureSeconds = (trainStarted - t0) / 1000;
      }
      if (e.message?.includes('test AP') || Date.now() - lastLine > 30000) {
        lastLine = Date.now();
        process.stderr.write(`  [${name}] ${e.message}\n`);
      }
    },
  });
  const end = await jobs.wait(jobs.start('train', TrainParams.parse(params)));
  clearInterval(mem);
  if (end.outcome !== 'ok') throw new Error(`train: ${end.error?.message}`);
  const r = end.result as TrainResult;
  const line = {
    name,
    spec,
    AP50: +r.metrics.AP50!.toFixed(3),
    AP: +r.metrics.AP!.toFixed(3),
    bestStep: r.bestStep,
    featureSeconds: +featureSeconds.toFixed(0),
    trainSeconds: +((Date.now() - trainStarted) / 1000).toFixed(0),
    samplesPerSecond: +r.samplesPerSecond.toFixed(1),
    peakGB: +(peak / 2 ** 30).toFixed(2),
    perWordAP50: r.perWord.map((w) => +w.AP50.toFixed(2)),
  };
  console.log(JSON.stringify(line));
  appendFileSync(path.join(dir, 'results.jsonl'), JSON.stringify(line) + '\n');
  p.close();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
