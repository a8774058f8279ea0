/**
 * Training targets for the SSD head: the matcher decides which anchors are positives, the box coder turns
 * their ground-truth boxes into regression targets.
 *
 * Per sample: cls Int32Array(N·A) with the class index, BACKGROUND (−1) or IGNORED (−2);
 * box Float32Array(N·A·4) with encoded [ty, tx, th, tw] on matched anchors and 0 elsewhere;
 * matched = number of positive anchors. Samples are concatenated into one batch (batchTargets) in the
 * same order as the features batch; the fused focal loss reads the class targets from the Int32Array
 * directly, the box loss takes them as tensors (boxTargetTensors).
 */

import * as tf from '@tensorflow/tfjs';
import { DEFAULT_BOX_CODER_SCALES, encodeInto, type BoxCoderScales } from '../../../../src-shared/detector/box-coder';
import { IGNORED, matchAnchors, type MatcherOptions } from '../../../../src-shared/detector/matcher';

/** A ground-truth box normalised to [0, 1] by the network input, with a 0-based class index. */
export interface GtBox {
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
  cls: number;
}

export interface DetectionTargets {
  cls: Int32Array;
  box: Float32Array;
  matched: number;
}

export interface TargetOptions {
  matcher?: Partial<MatcherOptions>;
  scales?: BoxCoderScales;
  /** When given, classes outside [0, numClasses) are rejected instead of silently training nothing. */
  numClasses?: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function buildTargets(gt: readonly GtBox[], anchors: Float32Array, options: TargetOptions = {}): DetectionTargets {
  const m = anchors.length / 4;
  // Clip to the image first: the part of a box outside the input is not visible to the network, and
  // anchors all lie inside, so an unclipped box would get a centre/size target it cannot see.
  const boxes: number[] = [];
  const classes: number[] = [];
  for (const g of gt) {
    if (!Number.isInteger(g.cls) || g.cls < 0 || (options.numClasses !== undefined && g.cls >= options.numClasses)) {
      throw new Error(`targets: class ${g.cls} is not a valid class index`);
    }
    const ymin = clamp01(Math.min(g.ymin, g.ymax));
    const ymax = clamp01(Math.max(g.ymin, g.ymax));
    const xmin = clamp01(Math.min(g.xmin, g.xmax));
    const xmax = clamp01(Math.max(g.xmin, g.xmax));
    if (ymax <= ymin || xmax <= xmin) continue; // nothing left inside the image
    boxes.push(ymin, xmin, ymax, xmax);
    classes.push(g.cls);
  }
  const match = matchAnchors(boxes, classes, anchors, options.matcher);
  const box = new Float32Array(m * 4);
  const scales = options.scales ?? DEFAULT_BOX_CODER_SCALES;
  for (let j = 0; j < m; j++) {
    const i = match.gtIndex[j];
    if (i >= 0) encodeInto(boxes, 4 * i, anchors, 4 * j, box, 4 * j, scales);
  }
  return { cls: match.cls, box, matched: match.numMatched };
}

/** Concatenates per-sample targets in batch order; `matched` becomes the batch total (the loss normaliser). */
export function batchTargets(samples: readonly DetectionTargets[]): DetectionTargets {
  if (samples.length === 0) throw new Error('targets: empty batch');
  const m = samples[0].cls.length;
  const cls = new Int32Array(m * samples.length);
  const box = new Float32Array(m * 4 * samples.length);
  let matched = 0;
  samples.forEach((s, i) => {
    if (s.cls.length !== m || s.box.length !== 4 * m) throw new Error('targets: samples built for different anchors');
    cls.set(s.cls, i * m);
    box.set(s.box, i * m * 4);
    matched += s.matched;
  });
  return { cls, box, matched };
}

export interface BoxTargetTensors {
  /** [B, M, 4] encoded box targets (0 on unmatched anchors). */
  box: tf.Tensor3D;
  /**
   * [B, M, 4] 1 on matched anchors, else 0. Full width rather than [B, M, 1]: the cpu backend's broadcasting
   * multiply is an order of magnitude slower than its same-shape one, and it runs forward and backward.
   */
  boxMask: tf.Tensor3D;
}

export interface ClassTargetTensors {
  /** [B, M, C] one-hot class targets, all-zero rows for background and ignored anchors. */
  clsOneHot: tf.Tensor3D;
  /** [B, M, 1] 0 on ignored anchors, else 1. */
  clsWeight: tf.Tensor3D;
}

function samplesIn(t: DetectionTargets, batch: number): number {
  const m = t.cls.length / batch;
  if (!Number.isInteger(m) || m === 0 || t.box.length !== 4 * batch * m) {
    throw new Error(`targets: ${t.cls.length} class targets do not split into ${batch} samples`);
  }
  return m;
}

/** Box targets and the positive-anchor mask as [B, M, ·] tensors (what the box loss needs). */
export function boxTargetTensors(t: DetectionTargets, batch: number): BoxTargetTensors {
  const m = samplesIn(t, batch);
  const mask = new Float32Array(batch * m * 4);
  for (let j = 0; j < batch * m; j++) if (t.cls[j] >= 0) mask.fill(1, 4 * j, 4 * j + 4);
  return { box: tf.tensor3d(t.box, [batch, m, 4]), boxMask: tf.tensor3d(mask, [batch, m, 4]) };
}

/**
 * One-hot class targets as a [B, M, C] tensor: B·M·C floats (24 MB at batch 16, 12 600 anchors,
 * 30 classes). Only the reference focal loss needs it; the fused one reads `cls` directly.
 */
export function classTargetTensors(t: DetectionTargets, batch: number, numClasses: number): ClassTargetTensors {
  const m = samplesIn(t, batch);
  const weight = new Float32Array(batch * m);
  const onehot = new Float32Array(batch * m * numClasses);
  for (let j = 0; j < weight.length; j++) {
    const c = t.cls[j];
    if (c >= numClasses) throw new Error(`targets: class ${c} ≥ numClasses ${numClasses}`);
    weight[j] = c === IGNORED ? 0 : 1;
    if (c >= 0) onehot[j * numClasses + c] = 1;
  }
  return { clsOneHot: tf.tensor3d(onehot, [batch, m, numClasses]), clsWeight: tf.tensor3d(weight, [batch, m, 1]) };
}
