/**
 * Step time of head variants on random features (relative costs when the machine is shared): each
 * variant alternates with the reference (1×1, hidden 96, 640 positions), and the ratio is printed.
 */
import { generateAnchors, DEFAULT_ANCHORS, anchorsPerPosition } from '../../src-shared/detector/anchors';
import { selectBackend } from '../../src-main/services/training/train-job';

async function main() {
  await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('../../src-main/services/detector/head/ssd-head');
  const { createTrainer } = await import('../../src-main/services/detector/head/train-step');
  const A = anchorsPerPosition(DEFAULT_ANCHORS);
  const anchors = generateAnchors(DEFAULT_ANCHORS);
  const variants = JSON.parse(process.argv[2] ?? '[]') as { K: number; H: number; P: number }[];
  const make = (v: { K: number; H: number; P: number }) => {
    const head = createHead({ channels: v.K, hidden: v.H, anchorsPerPosition: A, numClasses: 6, seed: 1 });
    const trainer = createTrainer(head, { schedule: { base: 0.01, total: 1000 }, anchors });
    const B = 32;
    const buf = Float32Array.from({ length: B * v.P * v.K }, () => Math.random() * 2);
    const cls = new Int32Array(B * v.P * A).map(() => (Math.random() < 0.01 ? Math.floor(Math.random() * 6) : -1));
    const box = Float32Array.from({ length: B * v.P * A * 4 }, () => Math.random() - 0.5);
    const matched = cls.filter((c) => c >= 0).length;
    return () => {
      const t = performance.now();
      const x = tf.tensor3d(buf, [B, v.P, v.K]);
      trainer.step(x, { cls, box, matched });
      x.dispose();
      return performance.now() - t;
    };
  };
  const ref = make({ K: 128, H: 96, P: 640 });
  for (let i = 0; i < 2; i++) ref();
  for (const v of variants) {
    const f = make(v);
    f();
    let a = 0;
    let b = 0;
    for (let i = 0; i < 6; i++) {
      a += ref();
      b += f();
    }
    console.log(JSON.stringify(v), `ref ${(a / 6).toFixed(0)} ms, variant ${(b / 6).toFixed(0)} ms, ratio ${(b / a).toFixed(2)}`);
  }
}
void main();
