/**
 * Step time with and without the gradient worker (grad-worker.ts) on random features of the default
 * head's size (batch 32, 320 positions, 128 channels, hidden 256), alternating, ratio printed.
 *   node scripts/run-ts.mjs scripts/bench/train-lab-worker.ts [rounds]
 */
import { anchorsPerPosition, DEFAULT_ANCHORS } from '../../src-shared/detector/anchors';
import { selectBackend } from '../../src-main/services/training/tf-backend';
import { startGradWorker } from '../../src-main/services/training/grad-workers';

async function main() {
  await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('../../src-main/services/detector/head/ssd-head');
  const { createTrainer } = await import('../../src-main/services/detector/head/train-step');
  const A = anchorsPerPosition(DEFAULT_ANCHORS);
  const [B, P, K, H, C] = [32, 320, 128, 256, 6];
  const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 1 });
  const trainer = createTrainer(head, { schedule: { base: 0.001, total: 100000 } });
  const worker = await startGradWorker(head.config, {});
  if (!worker) throw new Error('run npm run build first (dist/main/grad-worker.cjs)');
  const buf = Float32Array.from({ length: B * P * K }, () => Math.random() * 2);
  const targets = (n: number) => {
    const cls = new Int32Array(n * P * A).map(() => (Math.random() < 0.01 ? Math.floor(Math.random() * C) : -1));
    return { cls, box: Float32Array.from({ length: n * P * A * 4 }, () => Math.random() - 0.5), matched: cls.filter((c) => c >= 0).length };
  };
  const one = () => {
    const t = performance.now();
    const x = tf.tensor3d(buf, [B, P, K]);
    trainer.step(x, targets(B));
    x.dispose();
    return performance.now() - t;
  };
  const split = async () => {
    const t = performance.now();
    const half = B / 2;
    const mine = targets(half);
    const theirs = targets(half);
    const total = mine.matched + theirs.matched;
    const other = worker.grads(head.getWeights(), buf.slice(half * P * K), [half, P, K], theirs, total);
    const x = tf.tensor3d(buf.subarray(0, half * P * K), [half, P, K]);
    await trainer.stepSplit(x, mine, total, [other]);
    x.dispose();
    return performance.now() - t;
  };
  one();
  await split();
  const rounds = Number(process.argv[2] ?? 10);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(one());
    b.push(await split());
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
  console.log(JSON.stringify({ oneThreadMs: +med(a).toFixed(0), withWorkerMs: +med(b).toFixed(0), speedup: +(med(a) / med(b)).toFixed(2), rounds }));
  await worker.close();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
