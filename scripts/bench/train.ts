/**
 * `npm run bench:train`: time to quality of the `fast` preset on the `ksl sample` dataset
 * (6 words, 10 signers, split by signer), from the extracted frames: wall seconds (feature caching
 * included), samples/s, test AP50 and AP, peak memory. Data preparation is timed separately.
 * Targets (issue #6): AP50 ≥ 0.90 and AP ≥ 0.60 within 10 minutes; peak memory < 4 GB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainParams } from '../../src-shared/api';
import { JobManager } from '../../src-main/services/jobs/job-manager';
import { jobDefinitions } from '../../src-main/services/job-kinds';
import { prepareSampleProject } from '../../src-main/services/sample/sample-project';
import type { TrainResult } from '../../src-main/services/training/train-job';

async function main() {
  // BENCH_STEPS overrides the default number of steps (TrainParams), for quicker variants.
  const steps = process.env.BENCH_STEPS ? Number(process.env.BENCH_STEPS) : TrainParams.parse({}).steps;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-bench-train-'));
  const t0 = Date.now();
  const { project: p, split } = await prepareSampleProject({ root: tmp });
  const prep = (Date.now() - t0) / 1000;
  console.log(`data: ${split.train.frames} train / ${split.test.frames} test frames (${split.train.signers}/${split.test.signers} signers), prepared in ${prep.toFixed(0)} s`);

  let peak = 0;
  const mem = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const t1 = Date.now();
  let lastLine = 0;
  let featuresDone = 0;
  const train = new JobManager(p, jobDefinitions, {
    emit: (e) => {
      if (e.type === 'progress' && !featuresDone && e.metrics?.step !== undefined) featuresDone = Date.now();
      if (e.type === 'progress' && Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        process.stderr.write(`  ${e.message}\n`);
      }
    },
  });
  const end = await train.wait(train.start('train', TrainParams.parse({ steps })));
  clearInterval(mem);
  if (end.outcome !== 'ok') throw new Error(`train: ${end.error?.message}`);
  const r = end.result as TrainResult;
  const wall = (Date.now() - t1) / 1000;
  console.log(`fast preset, ${steps} steps: ${wall.toFixed(0)} s wall (features ${((featuresDone - t1) / 1000).toFixed(0)} s included), ${r.samplesPerSecond.toFixed(1)} samples/s (head on ${r.backend}, features on ${r.featureBackend}, input ${r.input.width}×${r.input.height})`);
  console.log(`test AP50 ${r.metrics.AP50!.toFixed(3)}  AP ${r.metrics.AP!.toFixed(3)}  (targets: AP50 ≥ 0.90, AP ≥ 0.60 within 600 s)`);
  if (r.secondStage) {
    const d = r.secondStage.detector;
    console.log(`  two-stage model; the detector alone: AP50 ${d.AP50!.toFixed(3)}  AP ${d.AP!.toFixed(3)}; second stage trained on ${r.secondStage.crops} close-ups in ${r.secondStage.seconds.toFixed(0)} s`);
  }
  console.log(`peak RSS ${(peak / 2 ** 30).toFixed(2)} GB (target < 4 GB)`);
  for (const w of r.perWord) console.log(`  ${w.word}: AP50 ${w.AP50.toFixed(3)}  AP ${w.AP.toFixed(3)}`);
  p.close();
  rmSync(tmp, { recursive: true, force: true });
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
