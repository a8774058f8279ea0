/**
 * End-to-end: targets → head → loss → optimiser on synthetic features, on the cpu backend and (when it
 * initialises) the wasm backend, plus step timings at the real size [16, 2100, 128].
 *
 * The synthetic "backbone": features are noise everywhere, except at the positions whose anchors were
 * matched to an object, where a few channels carry the object's class (one-hot) and its geometry relative
 * to the position in stride units. That is the information a real FPN feature carries about a hand; the
 * regression targets are then (nearly) linear in the features, so a working head must learn them quickly.
 */

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linear } from '../../../../src-main/services/detector/head/linear';
import { sigmoidFocalLoss, sigmoidFocalLossReference } from '../../../../src-main/services/detector/head/losses';
import { createHead, type SsdHead } from '../../../../src-main/services/detector/head/ssd-head';
import { batchTargets, buildTargets, type DetectionTargets, type GtBox } from '../../../../src-main/services/detector/head/targets';
import { createTrainer } from '../../../../src-main/services/detector/head/train-step';
import {
  DEFAULT_ANCHORS,
  anchorsPerPosition,
  featureMapSizes,
  generateAnchors,
  numPositions,
  type AnchorConfig,
} from '../../../../src-shared/detector/anchors';
import { decodeBox } from '../../../../src-shared/detector/box-coder';
import { lrAt } from '../../../../src-shared/detector/lr-schedule';
import { boxIouAt } from '../../../../src-shared/detector/matcher';
import { EVAL_NMS, nonMaxSuppression } from '../../../../src-shared/detector/nms';

/** mulberry32: a seeded PRNG so the synthetic data, and so the test, is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

interface Sample {
  features: Float32Array; // P × K
  targets: DetectionTargets;
  gt: GtBox[];
}

/**
 * Small problem for the training tests: 96 px input → 12² + 6² + 3² = 189 positions × 6 anchors, 16
 * feature channels, hidden width 24, 3 classes; objects 8–32 px (hand-sized relative to the input).
 */
const SMALL: AnchorConfig = { ...DEFAULT_ANCHORS, inputSize: 96 };
const K = 16;
const HIDDEN = 24;
const C = 3;

function makeSamples(cfg: AnchorConfig, count: number, channels: number, numClasses: number, seed: number): Sample[] {
  const rnd = prng(seed);
  const anchors = generateAnchors(cfg);
  const a = anchorsPerPosition(cfg);
  const p = numPositions(cfg);
  // Stride of every position, to express geometry in stride units (level-invariant, like the anchors).
  const strideOf = new Float32Array(p);
  let o = 0;
  featureMapSizes(cfg).forEach((size, level) => strideOf.fill(cfg.strides[level] / cfg.inputSize, o, (o += size * size)));
  const samples: Sample[] = [];
  for (let n = 0; n < count; n++) {
    const gt: GtBox[] = [];
    const objects = 1 + Math.floor(rnd.next() * 2);
    for (let i = 0; i < objects; i++) {
      const h = (8 + rnd.next() * 24) / cfg.inputSize; // 8–32 px
      const w = (8 + rnd.next() * 24) / cfg.inputSize;
      const y = rnd.next() * (1 - h);
      const x = rnd.next() * (1 - w);
      gt.push({ ymin: y, xmin: x, ymax: y + h, xmax: x + w, cls: Math.floor(rnd.next() * numClasses) });
    }
    const targets = buildTargets(gt, anchors, { numClasses });
    const features = new Float32Array(p * channels);
    for (let i = 0; i < features.length; i++) features[i] = 0.5 * rnd.normal();
    for (let j = 0; j < targets.cls.length; j++) {
      if (targets.cls[j] < 0) continue;
      const pos = Math.floor(j / a);
      const anchor = anchors.subarray(4 * j, 4 * j + 4);
      const [ymin, xmin, ymax, xmax] = decodeBox(targets.box.subarray(4 * j, 4 * j + 4), anchor);
      const s = strideOf[pos];
      const f = features.subarray(pos * channels, (pos + 1) * channels);
      for (let c = 0; c < numClasses; c++) f[c] = c === targets.cls[j] ? 3 : 0;
      f[numClasses] = ((ymin + ymax) / 2 - anchor[0]) / s;
      f[numClasses + 1] = ((xmin + xmax) / 2 - anchor[1]) / s;
      f[numClasses + 2] = Math.log((ymax - ymin) / s);
      f[numClasses + 3] = Math.log((xmax - xmin) / s);
    }
    samples.push({ features, targets, gt });
  }
  return samples;
}

function batchOf(samples: Sample[], positions: number, channels: number): { features: tf.Tensor3D; targets: DetectionTargets } {
  const data = new Float32Array(samples.length * positions * channels);
  samples.forEach((s, i) => data.set(s.features, i * positions * channels));
  return { features: tf.tensor3d(data, [samples.length, positions, channels]), targets: batchTargets(samples.map((s) => s.targets)) };
}

/** Mean loss over the pool, in batches, without training. */
function poolLoss(trainer: ReturnType<typeof createTrainer>, pool: Sample[], p: number): number {
  let sum = 0;
  for (let i = 0; i < pool.length; i += 16) {
    const b = batchOf(pool.slice(i, i + 16), p, K);
    sum += trainer.evaluate(b.features, b.targets).loss;
    b.features.dispose();
  }
  return sum / Math.ceil(pool.length / 16);
}

/**
 * Trains a fresh head for `steps` steps of batch 8 and checks that the loss over the pool falls by more
 * than half and that the number of live tensors does not grow after the first step (the optimiser
 * creates its slots there).
 */
function trainAndCheck(optimizer: 'adam' | 'momentum', steps: number, base: number, weightDecay = 0) {
  const p = numPositions(SMALL);
  const pool = makeSamples(SMALL, 64, K, C, 42);
  const head = createHead({ channels: K, hidden: HIDDEN, anchorsPerPosition: anchorsPerPosition(SMALL), numClasses: C, seed: 1 });
  const anchors = generateAnchors(SMALL);
  const trainer = createTrainer(head, { optimizer, schedule: { base, total: steps }, weightDecay, anchors });
  const before = poolLoss(trainer, pool, p);
  let afterFirst = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const i = (s * 8) % pool.length;
    const b = batchOf(pool.slice(i, i + 8), p, K);
    const r = trainer.step(b.features, b.targets);
    b.features.dispose();
    expect(r.step).toBe(s);
    if (s === 0) afterFirst = tf.memory().numTensors;
    else expect(tf.memory().numTensors).toBe(afterFirst);
  }
  const ms = performance.now() - t0;
  const after = poolLoss(trainer, pool, p);
  console.log(`[${tf.getBackend()}] ${optimizer}: pool loss ${before.toFixed(3)} → ${after.toFixed(3)} in ${steps} steps, ${ms.toFixed(0)} ms`);
  expect(after).toBeLessThan(0.5 * before);
  return { head, trainer, pool, anchors };
}

/** The trained head finds the object of a training image: right class, IoU > 0.5. */
function checkPrediction(head: SsdHead, trainer: ReturnType<typeof createTrainer>, pool: Sample[]) {
  const p = numPositions(SMALL);
  let found = 0;
  let total = 0;
  const b = batchOf(pool.slice(0, 8), p, K);
  const preds = trainer.predict(b.features);
  b.features.dispose();
  expect(preds).toHaveLength(8);
  preds.forEach((pred, i) => {
    expect(pred.boxes.length).toBe(numPositions(SMALL) * anchorsPerPosition(SMALL) * 4);
    expect(pred.scores.length).toBe((pred.boxes.length / 4) * head.config.numClasses);
    const dets = nonMaxSuppression(pred.boxes, pred.scores, { ...EVAL_NMS, scoreThreshold: 0.3 });
    for (const g of pool[i].gt) {
      total++;
      const gBox = [g.ymin, g.xmin, g.ymax, g.xmax];
      if (dets.some((d) => d.cls === g.cls && boxIouAt(d.box, 0, gBox, 0) > 0.5)) found++;
    }
  });
  console.log(`[${tf.getBackend()}] found ${found}/${total} objects at IoU > 0.5 with the right class`);
  expect(found / total).toBeGreaterThan(0.7);
}


describe('training on the cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Adam: loss falls by more than half in 100 steps, no tensor leaks, and it finds the objects', () => {
    const { head, trainer, pool } = trainAndCheck('adam', 100, 0.01);
    checkPrediction(head, trainer, pool);
    trainer.dispose();
    head.dispose();
  });

  it('momentum with weight decay also trains, and dispose() frees the optimiser state', () => {
    const start = tf.memory().numTensors;
    const { head, trainer } = trainAndCheck('momentum', 100, 0.05, 1e-4);
    trainer.dispose();
    head.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('Adam resumed from its saved state takes the same steps as a run never stopped; without it, not', async () => {
    const p = numPositions(SMALL);
    const pool = makeSamples(SMALL, 24, K, C, 11);
    const schedule = { base: 0.01, total: 12 };
    const cfg = { channels: K, hidden: HIDDEN, anchorsPerPosition: anchorsPerPosition(SMALL), numClasses: C, seed: 5 };
    const start = tf.memory().numTensors;
    const batches = [0, 1, 2, 3, 4, 5].map((s) => batchOf(pool.slice((s * 4) % 24, (s * 4) % 24 + 4), p, K));

    // six steps in one go
    const straight = createHead(cfg);
    const t1 = createTrainer(straight, { schedule });
    for (const b of batches) t1.step(b.features, b.targets);
    expect((await t1.optimizerState()).find((w) => w.name === 'iter')!.data[0]).toBe(6);

    // three steps, then the checkpoint (weights + optimiser state), then a new head and trainer at step 3
    const first = createHead(cfg);
    const t2 = createTrainer(first, { schedule });
    expect(await t2.optimizerState()).toEqual([]); // nothing before the first step
    for (const b of batches.slice(0, 3)) t2.step(b.features, b.targets);
    const weights = first.getWeights();
    const state = await t2.optimizerState();
    expect(state.map((w) => w.name.split('/')[0])).toEqual(['iter', ...Array(first.variables.length).fill('m'), ...Array(first.variables.length).fill('v')]);
    expect(state.find((w) => w.name === 'iter')!.data[0]).toBe(3);
    t2.dispose();
    first.dispose();

    const resume = async (withState: boolean) => {
      const head = createHead({ ...cfg, seed: 99 });
      head.setWeights(weights);
      const t = createTrainer(head, { schedule, startStep: 3 });
      if (withState) await t.restoreOptimizer(state);
      for (const b of batches.slice(3)) t.step(b.features, b.targets);
      const out = head.getWeights();
      t.dispose();
      head.dispose();
      return out;
    };
    const resumed = await resume(true);
    const fresh = await resume(false);
    const expected = straight.getWeights();
    const maxDiff = (a: typeof expected) => Math.max(...a.map((w, i) => Math.max(...w.data.map((v, j) => Math.abs(v - expected[i]!.data[j]!)))));
    expect(maxDiff(resumed)).toBeLessThan(1e-6);
    // Fresh moments after a stop: Adam's first steps are full-size again, and the weights go elsewhere.
    expect(maxDiff(fresh)).toBeGreaterThan(1e-3);

    // a state that does not fit the head is refused, naming what is missing
    const other = createHead(cfg);
    const t3 = createTrainer(other, { schedule, startStep: 3 });
    await expect(t3.restoreOptimizer(state.filter((w) => w.name !== 'v/class/bias'))).rejects.toThrow(/v\/class\/bias/);
    t3.step(batches[0]!.features, batches[0]!.targets);
    await expect(t3.restoreOptimizer(state)).rejects.toThrow(/before the first step/);
    t3.dispose();
    other.dispose();
    t1.dispose();
    straight.dispose();
    for (const b of batches) b.features.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('follows the learning-rate schedule, and refuses a non-finite loss without touching the weights', () => {
    const p = numPositions(SMALL);
    const pool = makeSamples(SMALL, 4, K, C, 7);
    const head = createHead({ channels: K, hidden: HIDDEN, anchorsPerPosition: anchorsPerPosition(SMALL), numClasses: C });
    const schedule = { base: 0.01, total: 20, warmup: 4, warmupStart: 0.001 };
    const trainer = createTrainer(head, { schedule });
    const b = batchOf(pool, p, K);
    for (let s = 0; s < 6; s++) expect(trainer.step(b.features, b.targets).lr).toBeCloseTo(lrAt(s, schedule), 12);
    const weights = head.getWeights();
    const start = tf.memory().numTensors;
    const bad = tf.tidy(() => tf.mul(b.features, NaN)) as tf.Tensor3D;
    expect(() => trainer.step(bad, b.targets)).toThrow(/NaN.*weights left unchanged/);
    expect(head.getWeights()).toEqual(weights);
    bad.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(() => trainer.predict(b.features)).toThrow(/anchors/);
    // Resuming at step 10 continues the schedule there.
    const resumed = createTrainer(head, { schedule, startStep: 10 });
    expect(resumed.stepCount).toBe(10);
    const r = resumed.step(b.features, b.targets);
    expect([r.step, r.lr]).toEqual([10, lrAt(10, schedule)]);
    resumed.dispose();
    tf.dispose(b.features);
    trainer.dispose();
    head.dispose();
  });

});

describe('training on the wasm backend', () => {
  let ready = false;
  beforeAll(async () => {
    try {
      // The package's node entry shares @tensorflow/tfjs-core with @tensorflow/tfjs (one engine).
      const req = createRequire(import.meta.url);
      const wasm = req('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
      wasm.setWasmPaths(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
      ready = await tf.setBackend('wasm');
    } catch (e) {
      console.warn(`wasm backend did not initialise: ${String(e)}`);
    }
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('computes the same linear-layer gradients as stock tfjs (wasm uses other matMul layouts)', (ctx) => {
    if (!ready) ctx.skip();
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.randomNormal([37, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
    const obj = (y: tf.Tensor) => tf.sum(tf.sin(y));
    const mine = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      obj(linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D)),
    )([x, w, b]);
    const stock = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => obj(tf.add(tf.matMul(xi, wi), bi)))([x, w, b]);
    for (let i = 0; i < 3; i++) {
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(mine[i], stock[i]))).dataSync()[0])).toBeLessThan(1e-4);
    }
    // Fused focal loss against the op-by-op reference on this backend too.
    const logits = tf.randomNormal([1, 40, 3], 0, 2, 'float32', 4);
    const cls = new Int32Array(40).map((_, i) => (i % 5 === 0 ? i % 3 : -1));
    const oneHot = tf.tensor3d(Float32Array.from({ length: 120 }, (_, k) => (cls[Math.floor(k / 3)] === k % 3 ? 1 : 0)), [1, 40, 3]);
    const gf = tf.grad((t: tf.Tensor) => sigmoidFocalLoss(t, cls))(logits);
    const gr = tf.grad((t: tf.Tensor) => sigmoidFocalLossReference(t, oneHot))(logits);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(gf, gr))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([x, w, b, ...mine, ...stock, logits, oneHot, gf, gr]);
  });

  it('Adam: loss falls by more than half in 100 steps, no tensor leaks, and it finds the objects', (ctx) => {
    if (!ready) ctx.skip();
    const { head, trainer, pool } = trainAndCheck('adam', 100, 0.01);
    checkPrediction(head, trainer, pool);
    trainer.dispose();
    head.dispose();
  });

});
