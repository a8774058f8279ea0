/**
 * The SSD loss of the OD API fpnlite configs: sigmoid focal loss (α 0.25, γ 2) summed over anchors ×
 * classes, plus smooth L1 (Huber, δ = 1) on the encoded boxes of matched anchors, both divided by the
 * number of matched anchors in the batch (at least 1), i.e. normalize_loss_by_num_matches.
 *
 * Background anchors have all-zero class targets; IGNORED anchors (between the matcher's thresholds)
 * contribute nothing. Every op used here has a gradient in tfjs: no tf.where(tf.less(...)), which has none.
 *
 * The focal loss comes in two forms that compute the same thing:
 *  - `sigmoidFocalLoss` (used for training): one JS pass over the logits computes the loss and its
 *    analytic gradient, wrapped in tf.customGrad. At batch 16 the logits are 16 × 12 600 × C values (6 M
 *    for 30 classes); written as ~15 tfjs element-wise ops forward and ~25 backward, each a full pass with
 *    a fresh 24 MB buffer, the loss cost more than the head's matMuls on wasm.
 *  - `sigmoidFocalLossReference`: the same formula as plain tfjs ops, kept as the readable definition and
 *    as the oracle the fused version is tested against.
 * The fused form reads the logits with dataSync, so it suits the cpu and wasm backends (this project's);
 * on an asynchronous GPU backend use the reference form.
 */

import * as tf from '@tensorflow/tfjs';
import { IGNORED } from '../../../../src-shared/detector/matcher';
import type { HeadOutput } from './ssd-head';
import { boxTargetTensors, classTargetTensors, type DetectionTargets } from './targets';

export interface FocalOptions {
  alpha: number;
  gamma: number;
}

export interface LossOptions extends FocalOptions {
  clsWeight: number;
  boxWeight: number;
  /** 'fused' (default) or 'reference' focal loss; same value, different speed. */
  focal: 'fused' | 'reference';
}

export const DEFAULT_LOSS: Readonly<LossOptions> = Object.freeze({
  alpha: 0.25,
  gamma: 2,
  clsWeight: 1,
  boxWeight: 1,
  focal: 'fused',
});

export interface LossParts {
  total: tf.Scalar;
  cls: tf.Scalar;
  box: tf.Scalar;
}

/**
 * Σ over anchors and classes of FL = −α_t·(1 − p_t)^γ·log p_t, with p_t = σ(x) for the anchor's class
 * and 1 − σ(x) for every other class. `logits` [.., M, C] (any leading shape, M·C values per row of cls);
 * `cls` one entry per anchor: class index, BACKGROUND (−1) or IGNORED (−2). Returns the unnormalised sum.
 *
 * With z = x for the target class and −x otherwise, q = σ(z) = p_t:
 *   FL = −w·(1 − q)^γ·log q,   dFL/dz = w·(1 − q)^γ·(γ·q·log q − (1 − q)),   dFL/dx = ±dFL/dz.
 * log q and 1 − q are computed from e = exp(−|z|) so that neither underflows for large |x|.
 */
export function sigmoidFocalLoss(logits: tf.Tensor, cls: Int32Array, options: Partial<FocalOptions> = {}): tf.Scalar {
  const { alpha, gamma } = { ...DEFAULT_LOSS, ...options };
  const c = logits.shape[logits.shape.length - 1];
  if (logits.size !== cls.length * c) {
    throw new Error(`focal loss: ${logits.size} logits for ${cls.length} anchors × ${c} classes`);
  }
  const f = tf.customGrad((xi) => {
    const x = xi as tf.Tensor;
    const xv = x.dataSync() as Float32Array;
    const grad = new Float32Array(xv.length);
    let sum = 0;
    for (let i = 0; i < cls.length; i++) {
      const target = cls[i];
      if (target === IGNORED) continue; // no loss, zero gradient
      const row = i * c;
      for (let k = 0; k < c; k++) {
        const pos = k === target;
        const z = pos ? xv[row + k] : -xv[row + k];
        const w = pos ? alpha : 1 - alpha;
        const e = Math.exp(-Math.abs(z));
        const inv = 1 / (1 + e);
        const l1p = Math.log1p(e);
        let q: number;
        let oneMinusQ: number;
        let logQ: number;
        if (z >= 0) {
          q = inv;
          oneMinusQ = e * inv;
          logQ = -l1p;
        } else {
          q = e * inv;
          oneMinusQ = inv;
          logQ = z - l1p;
        }
        const mod = gamma === 2 ? oneMinusQ * oneMinusQ : Math.pow(oneMinusQ, gamma);
        sum -= w * mod * logQ;
        const gz = w * mod * (gamma * q * logQ - oneMinusQ);
        grad[row + k] = pos ? gz : -gz;
      }
    }
    return {
      value: tf.scalar(sum),
      gradFunc: (dy: tf.Tensor) => {
        // dy is the scalar upstream gradient (e.g. clsWeight / matched): scale in the same JS pass
        // instead of a 6 M-element tf.mul.
        const s = (dy.dataSync() as Float32Array)[0];
        if (s !== 1) for (let j = 0; j < grad.length; j++) grad[j] *= s;
        return tf.tensor(grad, x.shape, 'float32');
      },
    };
  });
  return f(logits) as tf.Scalar;
}

/**
 * The same focal-loss sum as plain tfjs ops. `oneHot` has the logits' shape; `weight` (optional) is
 * broadcast against it and zeroes ignored anchors. The cross-entropy is the stable form of
 * sigmoid_cross_entropy_with_logits: max(x, 0) − x·t + log(1 + e^(−|x|)).
 */
export function sigmoidFocalLossReference(
  logits: tf.Tensor,
  oneHot: tf.Tensor,
  weight?: tf.Tensor,
  options: Partial<FocalOptions> = {},
): tf.Scalar {
  const { alpha, gamma } = { ...DEFAULT_LOSS, ...options };
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const ce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, oneHot)), tf.softplus(tf.neg(tf.abs(logits))));
    // 1 − p_t = p + t − 2·p·t for binary t.
    const oneMinusPt = tf.sub(tf.add(p, oneHot), tf.mul(tf.mul(p, oneHot), 2));
    const mod = gamma === 2 ? tf.square(oneMinusPt) : tf.pow(oneMinusPt, gamma);
    // α_t = α for t = 1, 1 − α for t = 0.
    const alphaT = tf.add(tf.mul(oneHot, 2 * alpha - 1), 1 - alpha);
    let l = tf.mul(tf.mul(alphaT, mod), ce);
    if (weight) l = tf.mul(l, weight);
    return tf.sum(l) as tf.Scalar;
  });
}

/**
 * Element-wise smooth L1 (Huber with δ = 1): 0.5·d² for |d| < 1, |d| − 0.5 beyond. Written as
 * q = min(|d|, 1); 0.5·q² + |d| − q, which equals it on both sides and is built from ops that all have
 * gradients (abs, minimum, square), unlike a tf.where on tf.less.
 */
export function smoothL1(d: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.abs(d);
    const q = tf.minimum(a, 1);
    return tf.add(tf.mul(tf.square(q), 0.5), tf.sub(a, q));
  });
}

/**
 * The full detection loss for a batch. `targets` are batchTargets() of the samples in the same order as
 * the features; `matched` is the batch total. `matchedTotal`, when given, replaces it as the divisor
 * (the features are then a part of a larger batch).
 */
export function detectionLoss(pred: HeadOutput, targets: DetectionTargets, options: Partial<LossOptions> = {}, matchedTotal?: number): LossParts {
  const opts = { ...DEFAULT_LOSS, ...options };
  const [b, m, c] = pred.logits.shape;
  if (targets.cls.length !== b * m || targets.box.length !== b * m * 4) {
    throw new Error(`loss: targets for ${targets.cls.length} anchors, predictions for ${b}×${m}`);
  }
  // A part of a batch (data-parallel steps) is divided by the whole batch's matches, so parts add up.
  const normalizer = Math.max(1, matchedTotal ?? targets.matched);
  return tf.tidy(() => {
    let clsSum: tf.Scalar;
    if (opts.focal === 'fused') {
      clsSum = sigmoidFocalLoss(pred.logits, targets.cls, opts);
    } else {
      const { clsOneHot, clsWeight } = classTargetTensors(targets, b, c);
      clsSum = sigmoidFocalLossReference(pred.logits, clsOneHot, clsWeight, opts);
    }
    const { box, boxMask } = boxTargetTensors(targets, b);
    const boxSum = tf.sum(tf.mul(smoothL1(tf.sub(pred.boxes, box)), boxMask)) as tf.Scalar;
    const cls = tf.div(clsSum, normalizer) as tf.Scalar;
    const boxLoss = tf.div(boxSum, normalizer) as tf.Scalar;
    const total = tf.add(tf.mul(cls, opts.clsWeight), tf.mul(boxLoss, opts.boxWeight)) as tf.Scalar;
    return { total, cls, box: boxLoss };
  });
}
