import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  detectionLoss,
  sigmoidFocalLoss,
  sigmoidFocalLossReference,
  smoothL1,
} from '../../../../src-main/services/detector/head/losses';
import { BACKGROUND, IGNORED } from '../../../../src-shared/detector/matcher';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 2 anchors × 2 classes. Anchor 0 is class 1, anchor 1 is background.
//   x = 0,   t = 0: p = 0.5,      −log(1 − p) = 0.693147, p² = 0.25,     × 0.75 → 0.1299651
//   x = 2,   t = 1: p = 0.880797, −log p = 0.126928,      (1 − p)² = 0.014209, × 0.25 → 0.0004509
//   x = −1,  t = 0: p = 0.268941, −log(1 − p) = 0.313262, p² = 0.072329, × 0.75 → 0.0169935
//   x = 0.5, t = 0: p = 0.622459, −log(1 − p) = 0.974077, p² = 0.387456, × 0.75 → 0.2830587
// Sum: 0.4304682.
const HAND_LOGITS = [0, 2, -1, 0.5];
const HAND_CLS = new Int32Array([1, BACKGROUND]);
const HAND_FOCAL = 0.43046823;

describe('sigmoid focal loss', () => {
  it('matches the hand-computed value for 2 anchors × 2 classes (fused and reference)', () => {
    const x = tf.tensor3d(HAND_LOGITS, [1, 2, 2]);
    const oneHot = tf.tensor3d([0, 1, 0, 0], [1, 2, 2]);
    const fused = sigmoidFocalLoss(x, HAND_CLS);
    const ref = sigmoidFocalLossReference(x, oneHot);
    expect(fused.dataSync()[0]).toBeCloseTo(HAND_FOCAL, 6);
    expect(ref.dataSync()[0]).toBeCloseTo(HAND_FOCAL, 5);
    tf.dispose([x, oneHot, fused, ref]);
  });

  it('has the analytic gradient: matches finite differences', () => {
    // Central differences in float64 of the scalar loss, via the fused forward (its value is a double
    // sum, so the differences are not drowned in float32 rounding at h = 1e-3).
    const g = tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, HAND_CLS))(tf.tensor3d(HAND_LOGITS, [1, 2, 2]));
    const gv = g.dataSync();
    const h = 1e-3;
    for (let i = 0; i < 4; i++) {
      const plus = HAND_LOGITS.slice();
      const minus = HAND_LOGITS.slice();
      plus[i] += h;
      minus[i] -= h;
      const lp = tf.tidy(() => sigmoidFocalLoss(tf.tensor3d(plus, [1, 2, 2]), HAND_CLS).dataSync()[0]);
      const lm = tf.tidy(() => sigmoidFocalLoss(tf.tensor3d(minus, [1, 2, 2]), HAND_CLS).dataSync()[0]);
      expect(gv[i]).toBeCloseTo((lp - lm) / (2 * h), 4);
    }
    // By hand for x = 0, t = 0: z = 0, q = 0.5, dFL/dz = 0.75·0.25·(2·0.5·ln 0.5 − 0.5) = −0.2237151,
    // and dFL/dx = −dFL/dz.
    expect(gv[0]).toBeCloseTo(0.2237151, 6);
    g.dispose();
  });

  it('gives the same value and gradient as the tfjs-op reference on random data, ignored anchors included', () => {
    for (const gamma of [2, 1.5]) {
      const b = 2;
      const m = 60;
      const c = 4;
      const x = tf.randomNormal([b, m, c], 0, 3, 'float32', 11);
      const cls = new Int32Array(b * m);
      const oneHot = new Float32Array(b * m * c);
      const weight = new Float32Array(b * m).fill(1);
      for (let i = 0; i < b * m; i++) {
        cls[i] = i % 7 === 0 ? IGNORED : i % 3 === 0 ? i % c : BACKGROUND;
        if (cls[i] >= 0) oneHot[i * c + cls[i]] = 1;
        if (cls[i] === IGNORED) weight[i] = 0;
      }
      const oh = tf.tensor3d(oneHot, [b, m, c]);
      const wt = tf.tensor3d(weight, [b, m, 1]);
      // Scale by 3 so that the upstream gradient is not 1 (the fused gradient folds it in).
      const fusedFn = (t: tf.Tensor) => tf.mul(sigmoidFocalLoss(t, cls, { gamma }), 3) as tf.Scalar;
      const refFn = (t: tf.Tensor) => tf.mul(sigmoidFocalLossReference(t, oh, wt, { gamma }), 3) as tf.Scalar;
      const vf = tf.valueAndGrad(fusedFn)(x);
      const vr = tf.valueAndGrad(refFn)(x);
      const a = vf.value.dataSync()[0];
      expect(Math.abs(a - vr.value.dataSync()[0]) / a).toBeLessThan(1e-5);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(vf.grad, vr.grad))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-5);
      tf.dispose([x, oh, wt, vf.value, vf.grad, vr.value, vr.grad]);
    }
  });

  it('stays finite for extreme logits', () => {
    const x = tf.tensor3d([-200, 200, 200, -200], [1, 2, 2]);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => sigmoidFocalLoss(t, HAND_CLS))(x);
    // Anchor 0: class 0 at −200 (bg, right), class 1 at 200 (right) → ~0. Anchor 1: class 0 at 200 is a
    // confident false positive: 0.75·1·200 = 150.
    expect(value.dataSync()[0]).toBeCloseTo(150, 3);
    for (const v of grad.dataSync()) expect(Number.isFinite(v)).toBe(true);
    tf.dispose([x, value, grad]);
  });
});

describe('smooth L1', () => {
  it('is 0.5·d² inside ±1 and |d| − 0.5 outside', () => {
    const d = tf.tensor1d([0.5, -2, 1, 0]);
    const v = smoothL1(d);
    // 0.5·0.25 = 0.125; 2 − 0.5 = 1.5; both branches give 0.5 at 1; 0 at 0.
    expect(Array.from(v.dataSync())).toEqual([0.125, 1.5, 0.5, 0]);
    tf.dispose([d, v]);
  });
  it('has a gradient (d inside, ±1 outside)', () => {
    const d = tf.tensor1d([0.5, -2, 1, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(smoothL1(t)))(d);
    expect(Array.from(g.dataSync())).toEqual([0.5, -1, 1, 1]);
    tf.dispose([d, g]);
  });
});

describe('detectionLoss', () => {
  // The hand example above plus boxes: anchor 0 matched with target [1, 0, 0, 0], predicted
  // [0.5, 0, 0, 2] → differences [−0.5, 0, 0, 2] → 0.125 + 1.5 = 1.625. Anchor 1 is background: its
  // predicted box [9, 9, 9, 9] must not count.
  const targets = { cls: HAND_CLS, box: new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]), matched: 1 };
  const pred = () => ({
    logits: tf.tensor3d(HAND_LOGITS, [1, 2, 2]),
    boxes: tf.tensor3d([0.5, 0, 0, 2, 9, 9, 9, 9], [1, 2, 4]),
  });

  it('adds focal and smooth L1 losses, each divided by the number of matches', () => {
    for (const focal of ['fused', 'reference'] as const) {
      const p = pred();
      const l = detectionLoss(p, targets, { focal });
      expect(l.cls.dataSync()[0]).toBeCloseTo(HAND_FOCAL, 5);
      expect(l.box.dataSync()[0]).toBeCloseTo(1.625, 6);
      expect(l.total.dataSync()[0]).toBeCloseTo(HAND_FOCAL + 1.625, 5);
      const l2 = detectionLoss(p, { ...targets, matched: 2 }, { focal, boxWeight: 2 });
      expect(l2.cls.dataSync()[0]).toBeCloseTo(HAND_FOCAL / 2, 5);
      expect(l2.total.dataSync()[0]).toBeCloseTo(HAND_FOCAL / 2 + 1.625, 5);
      tf.dispose([p.logits, p.boxes, l.total, l.cls, l.box, l2.total, l2.cls, l2.box]);
    }
  });

  it('normalises by at least 1 when nothing matched', () => {
    const p = pred();
    const l = detectionLoss(p, { cls: new Int32Array([BACKGROUND, BACKGROUND]), box: new Float32Array(8), matched: 0 });
    // Everything background: class 1 of anchor 0 (x = 2) now has t = 0: 0.75·0.880797²·2.126928 = 1.2375586.
    expect(l.cls.dataSync()[0]).toBeCloseTo(0.1299651 + 1.2375586 + 0.0169935 + 0.2830587, 5);
    expect(l.box.dataSync()[0]).toBe(0);
    tf.dispose([p.logits, p.boxes, l.total, l.cls, l.box]);
  });

  it('rejects targets for a different number of anchors', () => {
    const p = pred();
    expect(() => detectionLoss(p, { cls: new Int32Array(3), box: new Float32Array(12), matched: 0 })).toThrow();
    tf.dispose([p.logits, p.boxes]);
  });
});
