/**
 * A light SSD head on frozen, precomputed FPN features, written as a per-position MLP (≡ 1×1 convs):
 *
 *   features [B, P, K] ──reshape──▶ [B·P, K] ──linear K→H, ReLU6──▶ hidden
 *   hidden ──linear H→A·C──▶ logits [B, P·A, C]        hidden ──linear H→A·4──▶ boxes [B, P·A, 4]
 *
 * P = 2100 positions (the 40×40, 20×20 and 10×10 maps flattened NHWC and concatenated, see flattenLevels),
 * A anchors per position, C classes. Column a·C + c of the class kernel is anchor a, class c (and a·4 + k
 * of the box kernel is anchor a, coordinate k), so reshaping [B·P, A·C] → [B, P·A, C] yields rows in the
 * anchor order of generateAnchors (level → y → x → anchor).
 *
 * Only matMul-based ops are used (see linear.ts), so it trains on both the cpu and the wasm backend; the
 * wasm backend has no Conv2DBackpropFilter. Being 1×1, the head sees no spatial context beyond what the
 * FPN features already carry; that is the price of a head that trains in seconds on a laptop CPU.
 *
 * Weights are tf.Variables: Glorot-uniform kernels, zero biases except the class bias, which starts at
 * −log((1 − π)/π) with π = 0.01 (RetinaNet's prior) so that the ~12 600 background anchors per image do not
 * swamp the focal loss in the first steps.
 */

import * as tf from '@tensorflow/tfjs';
import { linear } from './linear';

export interface HeadConfig {
  /** Input channels K of every FPN level (128). */
  channels: number;
  /** Hidden width H (default 96). */
  hidden?: number;
  /** A, anchorsPerPosition(anchorConfig). */
  anchorsPerPosition: number;
  /** C, number of sign classes (no background class: the focal loss is per-class sigmoid). */
  numClasses: number;
  /** Seed for the Glorot initialisation (default 0): the same seed gives the same head. */
  seed?: number;
  /** Initial foreground probability of every class logit (default 0.01). */
  classPrior?: number;
}

export type ResolvedHeadConfig = Required<HeadConfig>;

export interface HeadOutput {
  /** [B, P·A, C] class logits (sigmoid → per-class probability). */
  logits: tf.Tensor3D;
  /** [B, P·A, 4] encoded box offsets [ty, tx, th, tw] (see box-coder.ts). */
  boxes: tf.Tensor3D;
}

/** One weight as plain data, for checkpoints and the ONNX export. Kernels are [in, out] (ONNX MatMul's B). */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The weight names, in getWeights() order. */
export const HEAD_WEIGHT_NAMES = [
  'hidden/kernel',
  'hidden/bias',
  'class/kernel',
  'class/bias',
  'box/kernel',
  'box/bias',
] as const;
export type HeadWeightName = (typeof HEAD_WEIGHT_NAMES)[number];

export interface SsdHead {
  readonly config: ResolvedHeadConfig;
  /** All trainable variables, in HEAD_WEIGHT_NAMES order. */
  readonly variables: readonly tf.Variable[];
  /** The kernels only (what weight decay applies to; biases are not decayed). */
  readonly kernels: readonly tf.Variable[];
  /**
   * features [B, P, K] → logits and boxes. The features are treated as constants (frozen backbone): no
   * gradient flows into them.
   */
  apply(features: tf.Tensor3D): HeadOutput;
  getWeights(): NamedWeight[];
  setWeights(weights: readonly NamedWeight[]): void;
  dispose(): void;
}

/** Glorot/Xavier uniform, seeded: U(±√(6/(fanIn + fanOut))). */
function glorot(fanIn: number, fanOut: number, seed: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed) as tf.Tensor2D;
}

export function resolveHeadConfig(cfg: HeadConfig): ResolvedHeadConfig {
  const r: ResolvedHeadConfig = {
    channels: cfg.channels,
    hidden: cfg.hidden ?? 96,
    anchorsPerPosition: cfg.anchorsPerPosition,
    numClasses: cfg.numClasses,
    seed: cfg.seed ?? 0,
    classPrior: cfg.classPrior ?? 0.01,
  };
  for (const k of ['channels', 'hidden', 'anchorsPerPosition', 'numClasses'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`ssd head: ${k} must be a positive integer (got ${r[k]})`);
  }
  if (!(r.classPrior > 0 && r.classPrior < 1)) throw new Error(`ssd head: classPrior must be in (0, 1)`);
  return r;
}

export function createHead(config: HeadConfig): SsdHead {
  const cfg = resolveHeadConfig(config);
  const { channels: k, hidden: h, anchorsPerPosition: a, numClasses: c, seed } = cfg;
  const classBias = -Math.log((1 - cfg.classPrior) / cfg.classPrior); // −4.595 for 0.01

  // tf.variable names are global in the engine; leave them unnamed (unique) so that several heads can
  // coexist, and keep our own logical names for getWeights/setWeights.
  const initial: [HeadWeightName, () => tf.Tensor][] = [
    ['hidden/kernel', () => glorot(k, h, seed)],
    ['hidden/bias', () => tf.zeros([h])],
    ['class/kernel', () => glorot(h, a * c, seed + 1)],
    ['class/bias', () => tf.fill([a * c], classBias)],
    ['box/kernel', () => glorot(h, a * 4, seed + 2)],
    ['box/bias', () => tf.zeros([a * 4])],
  ];
  const vars = new Map<HeadWeightName, tf.Variable>();
  for (const [name, init] of initial) {
    const t = init();
    vars.set(name, tf.variable(t, true));
    t.dispose();
  }
  const v = (name: HeadWeightName) => vars.get(name)!;
  const variables = HEAD_WEIGHT_NAMES.map(v);
  const kernels = [v('hidden/kernel'), v('class/kernel'), v('box/kernel')];
  let disposed = false;

  return {
    config: cfg,
    variables,
    kernels,
    apply(features) {
      if (disposed) throw new Error('ssd head: used after dispose()');
      const [b, p, kin] = features.shape;
      if (kin !== k) throw new Error(`ssd head: features have ${kin} channels, the head expects ${k}`);
      return tf.tidy(() => {
        const x = tf.reshape(features, [b * p, k]) as tf.Tensor2D;
        const hid = tf.relu6(linear(x, v('hidden/kernel') as tf.Tensor2D, v('hidden/bias') as tf.Tensor1D, { constantInput: true }));
        const logits = linear(hid, v('class/kernel') as tf.Tensor2D, v('class/bias') as tf.Tensor1D);
        const boxes = linear(hid, v('box/kernel') as tf.Tensor2D, v('box/bias') as tf.Tensor1D);
        return {
          logits: tf.reshape(logits, [b, p * a, c]) as tf.Tensor3D,
          boxes: tf.reshape(boxes, [b, p * a, 4]) as tf.Tensor3D,
        };
      });
    },
    getWeights() {
      return HEAD_WEIGHT_NAMES.map((name) => {
        const t = v(name);
        // dataSync returns a copy on wasm and may return the backend's own array on cpu: copy so the
        // caller can keep or mutate it without touching the variable.
        return { name, shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
      });
    },
    setWeights(weights) {
      const byName = new Map(weights.map((w) => [w.name, w]));
      // Check everything before assigning anything, so a bad checkpoint leaves the head unchanged.
      for (const name of HEAD_WEIGHT_NAMES) {
        const w = byName.get(name);
        const want = v(name).shape;
        if (!w) throw new Error(`ssd head: weight ${name} missing`);
        if (w.shape.length !== want.length || w.shape.some((d, i) => d !== want[i])) {
          throw new Error(`ssd head: weight ${name} has shape [${w.shape}], expected [${want}]`);
        }
        if (w.data.length !== want.reduce((n, d) => n * d, 1)) throw new Error(`ssd head: weight ${name} has ${w.data.length} values`);
      }
      for (const name of HEAD_WEIGHT_NAMES) {
        const w = byName.get(name)!;
        tf.tidy(() => v(name).assign(tf.tensor(w.data, w.shape)));
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of variables) t.dispose();
    },
  };
}

/**
 * The FPN maps [B, Hi, Wi, K] (finest first) as one [B, ΣHi·Wi, K] tensor, flattened NHWC row-major:
 * the position order that generateAnchors assumes.
 */
export function flattenLevels(maps: readonly tf.Tensor4D[]): tf.Tensor3D {
  return tf.tidy(() => {
    const flat = maps.map((m) => {
      const [b, hh, ww, k] = m.shape;
      return tf.reshape(m, [b, hh * ww, k]) as tf.Tensor3D;
    });
    return flat.length === 1 ? flat[0] : tf.concat(flat, 1);
  });
}
