/**
 * Prepares the bench's sample project once (same data as `npm run bench:train`: 6 words, 10
 * signers, frames at 5 fps, split by signer 0.33 seed 42) in LAB_DIR (default /tmp/ksl-lab), so that
 * head experiments (train-lab.ts) reuse it and its cached features.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initProject } from '../../src-main/services/catalog/project';
import { makeSplit } from '../../src-main/services/dataset/split';
import { importGroundTruth } from '../../src-main/services/ingest/import-groundtruth';
import { importKeti } from '../../src-main/services/ingest/keti-import';
import { JobManager } from '../../src-main/services/jobs/job-manager';
import { jobDefinitions } from '../../src-main/services/job-kinds';
import { generateSample } from '../../src-main/services/sample/generate-sample';

async function main() {
  const dir = process.env.LAB_DIR ?? '/tmp/ksl-lab';
  if (existsSync(path.join(dir, 'project', 'catalog.sqlite'))) {
    console.log(`${dir}/project exists`);
    return;
  }
  const s = await generateSample({ out: path.join(dir, 'sample') });
  const p = initProject(path.join(dir, 'project'));
  await importKeti(p, { annotations: s.annotations, words: s.words, labels: s.labels, direction: '정면', type: '단어', videos: s.videosDir });
  const jobs = new JobManager(p, jobDefinitions, { emit: () => {} });
  const ex = await jobs.wait(jobs.start('extract', { mode: 'fps', fps: 5, every: 1, maxSide: 640, format: 'jpg', jobs: 2 }));
  if (ex.outcome !== 'ok') throw new Error(`extract: ${ex.error?.message}`);
  importGroundTruth(p, s.groundTruth);
  const split = makeSplit(p, { by: 'signer', test: 0.33, seed: 42 });
  console.log(`split ${split.id}: ${split.train.frames} train / ${split.test.frames} test frames`);
  p.close();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
