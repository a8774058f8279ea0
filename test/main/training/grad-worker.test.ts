/**
 * Data-parallel steps: a batch split between this thread and the gradient worker (a real worker thread,
 * dist/main/grad-worker.cjs) updates the head exactly as one step on the whole batch does.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHead, type NamedWeight } from '../../../src-main/services/detector/head/ssd-head';
import { batchTargets, buildTargets, type DetectionTargets, type GtBox } from '../../../src-main/services/detector/head/targets';
import { createTrainer, partialGradients } from '../../../src-main/services/detector/head/train-step';
import { startGradWorker, type GradWorker } from '../../../src-main/services/training/grad-workers';
import { selectBackend } from '../../../src-main/services/training/tf-backend';
import { DEFAULT_ANCHORS, anchorsPerPosition, generateAnchors, numPositions, type AnchorConfig } from '../../../src-shared/detector/anchors';

const CFG: AnchorConfig = { ...DEFAULT_ANCHORS, inputSize: 64 };
const K = 8;
const C = 3;
const A = anchorsPerPosition(CFG);
const P = numPositions(CFG);
const anchors = generateAnchors(CFG);

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** n samples: random features, one or two boxes each. */
function samples(n: number, seed: number): { features: Float32Array; targets: DetectionTargets }[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => {
    const gt: GtBox[] = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
      const y = r() * 0.6;
      const x = r() * 0.6;
      return { ymin: y, xmin: x, ymax: y + 0.15 + r() * 0.2, xmax: x + 0.15 + r() * 0.2, cls: Math.floor(r() * C) };
    });
    return { features: Float32Array.from({ length: P * K }, () => r() * 2 - 1), targets: buildTargets(gt, anchors, { numClasses: C }) };
  });
}

const rows = (s: { features: Float32Array }[]) => {
  const out = new Float32Array(s.length * P * K);
  s.forEach((x, i) => out.set(x.features, i * P * K));
  return out;
};

const maxDiff = (a: NamedWeight[], b: NamedWeight[]) => Math.max(...a.map((w, i) => Math.max(...Array.from(w.data, (v, j) => Math.abs(v - b[i]!.data[j]!)))));

let worker: GradWorker | null = null;

beforeAll(async () => {
  await selectBackend();
});
afterAll(async () => {
  await worker?.close();
});

describe('gradient worker', () => {
  it('a step split over this thread and the worker equals the whole-batch step (3 steps of Adam)', async () => {
    const config = { channels: K, hidden: 16, anchorsPerPosition: A, numClasses: C, seed: 3 };
    const whole = createHead(config);
    const split = createHead(config);
    const t1 = createTrainer(whole, { schedule: { base: 0.01, total: 3 } });
    const t2 = createTrainer(split, { schedule: { base: 0.01, total: 3 } });
    worker = await startGradWorker(split.config, {});
    expect(worker, 'dist/main/grad-worker.cjs is built by npm run build').not.toBeNull();
    expect(worker!.backend).toBe(tf.getBackend());
    for (let step = 0; step < 3; step++) {
      const batch = samples(6, 100 + step);
      const x = tf.tensor3d(rows(batch), [6, P, K]);
      const r1 = t1.step(x, batchTargets(batch.map((b) => b.targets)));
      x.dispose();

      const mine = batchTargets(batch.slice(0, 3).map((b) => b.targets));
      const theirs = batchTargets(batch.slice(3).map((b) => b.targets));
      const total = mine.matched + theirs.matched;
      const other = worker!.grads(split.getWeights(), rows(batch.slice(3)), [3, P, K], theirs, total);
      const xm = tf.tensor3d(rows(batch.slice(0, 3)), [3, P, K]);
      const r2 = await t2.stepSplit(xm, mine, total, [other]);
      xm.dispose();
      expect(r2.loss).toBeCloseTo(r1.loss, 4);
      expect(r2.cls).toBeCloseTo(r1.cls, 4);
      expect(r2.lr).toBe(r1.lr);
      expect(maxDiff(split.getWeights(), whole.getWeights())).toBeLessThan(1e-5);
    }
    // and the weights did move
    const fresh = createHead(config);
    expect(maxDiff(fresh.getWeights(), whole.getWeights())).toBeGreaterThan(1e-3);
    for (const h of [whole, split, fresh]) h.dispose();
    t1.dispose();
    t2.dispose();
  });

  it('parts divided by the whole batch’s matches add up to the whole batch’s gradient', () => {
    const head = createHead({ channels: K, hidden: 16, anchorsPerPosition: A, numClasses: C, seed: 5 });
    const batch = samples(4, 9);
    const all = batchTargets(batch.map((b) => b.targets));
    const x = tf.tensor3d(rows(batch), [4, P, K]);
    const g = partialGradients(head, x, all, all.matched);
    x.dispose();
    const a = batchTargets(batch.slice(0, 1).map((b) => b.targets));
    const b = batchTargets(batch.slice(1).map((b) => b.targets));
    const xa = tf.tensor3d(rows(batch.slice(0, 1)), [1, P, K]);
    const xb = tf.tensor3d(rows(batch.slice(1)), [3, P, K]);
    const ga = partialGradients(head, xa, a, all.matched);
    const gb = partialGradients(head, xb, b, all.matched);
    tf.dispose([xa, xb]);
    expect(ga.loss + gb.loss).toBeCloseTo(g.loss, 4);
    g.grads.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) expect(ga.grads[i]![j]! + gb.grads[i]![j]!).toBeCloseTo(w[j]!, 5);
    });
    head.dispose();
  });

  it('answers a bad request, and any request after close(), with an error instead of hanging', async () => {
    const w = await startGradWorker({ channels: K, hidden: 16, anchorsPerPosition: A, numClasses: C, seed: 1 }, {});
    const head = createHead({ channels: K, hidden: 16, anchorsPerPosition: A, numClasses: C, seed: 1 });
    const batch = samples(1, 1);
    // weights of the wrong shape: the worker answers with an error naming the problem
    const bad = head.getWeights().map((wt) => ({ ...wt, data: new Float32Array(1), shape: [1] }));
    await expect(w!.grads(bad, rows(batch), [1, P, K], batchTargets([batch[0]!.targets]), 1)).rejects.toThrow(/gradient worker/);
    await w!.close();
    await expect(w!.grads(head.getWeights(), rows(batch), [1, P, K], batchTargets([batch[0]!.targets]), 1)).rejects.toThrow(/gradient worker/);
    head.dispose();
  });
});
