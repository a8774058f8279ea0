/**
 * Prepares the bench's sample project once (same data as `npm run bench:train`: 6 words, 10
 * signers, frames at 5 fps, split by signer 0.33 seed 42) in LAB_DIR (default /tmp/ksl-lab), so that
 * head experiments (train-lab.ts) reuse it and its cached features.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareSampleProject } from '../../src-main/services/sample/sample-project';

async function main() {
  const dir = process.env.LAB_DIR ?? '/tmp/ksl-lab';
  if (existsSync(path.join(dir, 'project', 'catalog.sqlite'))) {
    console.log(`${dir}/project exists`);
    return;
  }
  const { project: p, split } = await prepareSampleProject({ root: dir });
  console.log(`split ${split.id}: ${split.train.frames} train / ${split.test.frames} test frames`);
  p.close();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
