/**
 * The second stage: the word read again from a close-up of each detected hand.
 *
 * The detector sees the whole frame at its network input (e.g. 640×352), where a hand is a handful of
 * feature cells; it finds hands well but mixes up the words (hand shapes) of signers it has not seen. The
 * second stage crops a square around each candidate box from the frame at the frame's own resolution,
 * scales it to CROP_SIZE², runs the same pretrained backbone on it, average-pools each of its three maps
 * to CROP_POOL×CROP_POOL cells and feeds that vector to a small MLP that gives the word probabilities and a
 * refined box. Measured on the bench's sample: test-signer word accuracy 98–100% from the crops against
 * ~75% from the detector's own class scores.
 *
 * Scores: a candidate's hand score is 1 − Π(1 − p_k) over the detector's word probabilities at that anchor
 * (the chance that it is any word); each output detection scores hand × P(word | crop).
 */
import { nonMaxSuppression, type Detection } from '../../../src-shared/detector/nms';
import { mulberry32 } from '../../../src-shared/random';
import { resizeCropRgb, type FramePart } from './augment';
import { loadWeights, saveWeights } from './run-store';

/** Crop side in network pixels (a multiple of 32: the backbone's coarsest stride). */
export const CROP_SIZE = 128;
/** Crop side / the box's longer side: some context around the hand. */
export const CROP_PAD = 1.3;
/** Each of the backbone's 3 maps is average-pooled to POOL×POOL cells. */
export const CROP_POOL = 2;
/** Feature vector length: 3 maps × POOL² cells × 128 channels. */
export const cropFeatureLength = (pool = CROP_POOL, channels = 128): number => 3 * pool * pool * channels;

/** A box in source pixels, top-left origin. */
export interface PixelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The square a box's crop covers, in source pixels. */
export interface CropWindow {
  x0: number;
  y0: number;
  side: number;
}

/** The crop window of a box: a square of side CROP_PAD × the longer side, centred on the box. */
export function cropWindow(box: PixelBox, pad = CROP_PAD): CropWindow {
  const side = Math.max(1, Math.max(box.w, box.h) * pad);
  return { x0: box.x + box.w / 2 - side / 2, y0: box.y + box.h / 2 - side / 2, side };
}

/**
 * RGB bytes of a crop window scaled to size² (edges clamped where the window leaves the frame). With
 * `part`, `rgb` holds only that rectangle of the width × height frame, which must contain cropReads(win).
 */
export function cropRgb(rgb: Uint8Array, width: number, height: number, win: CropWindow, size = CROP_SIZE, part?: FramePart): Uint8Array {
  return resizeCropRgb(rgb, width, height, win.x0, win.y0, win.side, win.side, size, size, part);
}

/**
 * The frame pixels cropRgb may read for `win` (a superset: every bilinear neighbour, edges clamped as it
 * clamps them): a rectangle of the width × height frame.
 */
export function cropReads(win: CropWindow, width: number, height: number): FramePart {
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const x0 = clamp(Math.floor(win.x0 - 0.5), width - 1);
  const y0 = clamp(Math.floor(win.y0 - 0.5), height - 1);
  const x1 = clamp(Math.floor(win.x0 + win.side) + 1, width - 1);
  const y1 = clamp(Math.floor(win.y0 + win.side) + 1, height - 1);
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Average-pools the backbone's NHWC maps (strides 8, 16, 32 of a size² crop) to pool×pool cells each,
 * in the order map, cell row, cell column, channel — the order the ONNX export flattens in.
 */
export function poolCropFeatures(maps: readonly Float32Array[], size = CROP_SIZE, pool = CROP_POOL, channels = 128): Float32Array {
  const out = new Float32Array(cropFeatureLength(pool, channels));
  let o = 0;
  [8, 16, 32].forEach((stride, li) => {
    const n = size / stride;
    if (n % pool !== 0) throw new Error(`crop features: a ${n}×${n} map does not pool to ${pool}×${pool}`);
    const m = maps[li]!;
    if (m.length !== n * n * channels) throw new Error(`crop features: map ${li} has ${m.length} values, expected ${n * n * channels}`);
    const cell = n / pool;
    const inv = 1 / (cell * cell);
    for (let py = 0; py < pool; py++) {
      for (let px = 0; px < pool; px++) {
        for (let y = py * cell; y < (py + 1) * cell; y++) {
          for (let x = px * cell; x < (px + 1) * cell; x++) {
            const base = (y * n + x) * channels;
            for (let c = 0; c < channels; c++) out[o + c] += m[base + c]!;
          }
        }
        for (let c = 0; c < channels; c++) out[o + c] *= inv;
        o += channels;
      }
    }
  });
  return out;
}

/** P(any word) per anchor from the detector's per-word sigmoid scores (M×C): 1 − Π(1 − p_k). */
export function handScores(scores: ArrayLike<number>, classes: number): Float32Array {
  const m = scores.length / classes;
  const out = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    let none = 1;
    for (let k = 0; k < classes; k++) none *= 1 - scores[i * classes + k]!;
    out[i] = 1 - none;
  }
  return out;
}

/**
 * Scales of the box targets (as the detector's box coder 10/10/5/5): they bring offsets of a few percent of
 * the crop to the order of 1, where the smooth-L1 loss has a useful gradient.
 */
export const CROP_BOX_SCALES = [10, 10, 5, 5] as const;

/**
 * Box regression target of a ground-truth box relative to a crop window: centre offsets in crop sides and
 * log size ratios, times CROP_BOX_SCALES.
 */
export function encodeCropBox(gt: PixelBox, win: CropWindow): [number, number, number, number] {
  return [
    ((gt.x + gt.w / 2 - (win.x0 + win.side / 2)) / win.side) * CROP_BOX_SCALES[0],
    ((gt.y + gt.h / 2 - (win.y0 + win.side / 2)) / win.side) * CROP_BOX_SCALES[1],
    Math.log(Math.max(1e-3, gt.w / win.side)) * CROP_BOX_SCALES[2],
    Math.log(Math.max(1e-3, gt.h / win.side)) * CROP_BOX_SCALES[3],
  ];
}

export function decodeCropBox(t: ArrayLike<number>, win: CropWindow): PixelBox {
  const cx = win.x0 + win.side / 2 + (t[0]! / CROP_BOX_SCALES[0]) * win.side;
  const cy = win.y0 + win.side / 2 + (t[1]! / CROP_BOX_SCALES[1]) * win.side;
  // Clamped so that a wild regression cannot blow a box up beyond 4 crop sides.
  const w = win.side * Math.exp(Math.min(Math.log(4), t[2]! / CROP_BOX_SCALES[2]));
  const h = win.side * Math.exp(Math.min(Math.log(4), t[3]! / CROP_BOX_SCALES[3]));
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

/**
 * A training crop's window: the ground-truth box's window moved and scaled at random, the way the
 * detector's boxes miss the hand (shift up to ±shift of the side, scale ×(1 ± scale)).
 */
export function jitteredWindow(gt: PixelBox, rand: () => number, shift = 0.12, scale = 0.15, pad = CROP_PAD): CropWindow {
  const base = cropWindow(gt, pad);
  const side = base.side * (1 + (rand() * 2 - 1) * scale);
  const cx = base.x0 + base.side / 2 + (rand() * 2 - 1) * shift * base.side;
  const cy = base.y0 + base.side / 2 + (rand() * 2 - 1) * shift * base.side;
  return { x0: cx - side / 2, y0: cy - side / 2, side };
}

/** The trained MLP: standardise → dense(hidden, relu) → words (softmax) and box (linear). */
export interface CropClassifierWeights {
  inputs: number;
  hidden: number;
  /** Outputs of the softmax: the words, plus one "no sign" output last when `background`. */
  classes: number;
  /**
   * The last output is "no sign here", learnt from the detector's confident mistakes on the training
   * frames (the resting hand, the face): it takes probability away from every word.
   */
  background?: boolean;
  mean: Float32Array;
  /** 1 / standard deviation per input. */
  invStd: Float32Array;
  /** inputs×hidden, row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** hidden×classes. */
  w2: Float32Array;
  b2: Float32Array;
  /** hidden×4. */
  wBox: Float32Array;
  bBox: Float32Array;
}

/** Number of words the classifier reads (its outputs without "no sign"). */
export const wordCount = (w: Pick<CropClassifierWeights, 'classes' | 'background'>): number => w.classes - (w.background ? 1 : 0);

export interface CropPrediction {
  /** P(word) per word (wordCount entries); with a background output they sum to 1 − P(no sign). */
  probs: Float32Array;
  box: Float32Array;
}

/** Plain-JS forward pass (a few hundred thousand multiply-adds: no framework needed at run time). */
export function classifyCrop(w: CropClassifierWeights, x: Float32Array): CropPrediction {
  if (x.length !== w.inputs) throw new Error(`crop classifier: expected ${w.inputs} features, got ${x.length}`);
  const h = Float32Array.from(w.b1);
  for (let i = 0; i < w.inputs; i++) {
    const v = (x[i]! - w.mean[i]!) * w.invStd[i]!;
    if (v === 0) continue;
    const row = i * w.hidden;
    for (let j = 0; j < w.hidden; j++) h[j] += v * w.w1[row + j]!;
  }
  for (let j = 0; j < w.hidden; j++) if (h[j]! < 0) h[j] = 0;
  const logits = Float32Array.from(w.b2);
  const box = Float32Array.from(w.bBox);
  for (let j = 0; j < w.hidden; j++) {
    const v = h[j]!;
    if (v === 0) continue;
    for (let k = 0; k < w.classes; k++) logits[k] += v * w.w2[j * w.classes + k]!;
    for (let k = 0; k < 4; k++) box[k] += v * w.wBox[j * 4 + k]!;
  }
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (let k = 0; k < logits.length; k++) sum += logits[k] = Math.exp(logits[k]! - max);
  for (let k = 0; k < logits.length; k++) logits[k] /= sum;
  return { probs: w.background ? logits.subarray(0, wordCount(w)) : logits, box };
}

export interface CropTrainOptions {
  hidden: number;
  steps: number;
  batch: number;
  lr: number;
  /** Weight of the box loss (smooth L1) against the word loss (cross-entropy). */
  boxWeight: number;
  dropout: number;
  l2: number;
  seed: number;
  /** The last class is "no sign" (see CropClassifierWeights.background). */
  background?: boolean;
}

export const DEFAULT_CROP_TRAINING: Readonly<CropTrainOptions> = Object.freeze({ hidden: 128, steps: 2400, batch: 64, lr: 2e-3, boxWeight: 1, dropout: 0.3, l2: 1e-4, seed: 1 });

/**
 * Trains the MLP on n crop feature vectors (n×inputs), their word indices (0-based) and box targets
 * (n×4, encodeCropBox). Adam with a cosine-decayed rate; dropout on the inputs and the hidden layer.
 * `boxWeights` (n; default all 1) leaves crops without a box to regress ("no sign") out of the box loss.
 */
export async function trainCropClassifier(
  tf: typeof import('@tensorflow/tfjs'),
  x: Float32Array,
  labels: Int32Array,
  boxTargets: Float32Array,
  classes: number,
  options: Partial<CropTrainOptions> = {},
  onStep?: (step: number, loss: number) => void | Promise<void>,
  boxWeights?: Float32Array,
): Promise<CropClassifierWeights> {
  const o = { ...DEFAULT_CROP_TRAINING, ...options };
  const n = labels.length;
  const D = x.length / n;
  if (!Number.isInteger(D) || n === 0) throw new Error(`crop classifier: ${x.length} features for ${n} crops`);
  if (boxTargets.length !== n * 4) throw new Error(`crop classifier: ${boxTargets.length} box targets for ${n} crops`);
  const mean = new Float32Array(D);
  const invStd = new Float32Array(D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d] += x[i * D + d]!;
  for (let d = 0; d < D; d++) mean[d] /= n;
  for (let i = 0; i < n; i++)
    for (let d = 0; d < D; d++) {
      const v = x[i * D + d]! - mean[d]!;
      invStd[d] += v * v;
    }
  for (let d = 0; d < D; d++) invStd[d] = 1 / (Math.sqrt(invStd[d]! / n) + 1e-3);
  // Standardised once here rather than in every step's graph.
  const z = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) z[i * D + d] = (x[i * D + d]! - mean[d]!) * invStd[d]!;
  const rand = mulberry32(o.seed);
  const glorot = (fanIn: number, fanOut: number) => {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * a);
  };
  const w1 = tf.variable(tf.tensor2d(glorot(D, o.hidden), [D, o.hidden]));
  const b1 = tf.variable(tf.zeros([o.hidden]));
  const w2 = tf.variable(tf.tensor2d(glorot(o.hidden, classes), [o.hidden, classes]));
  const b2 = tf.variable(tf.zeros([classes]));
  const wB = tf.variable(tf.tensor2d(glorot(o.hidden, 4), [o.hidden, 4]));
  const bB = tf.variable(tf.zeros([4]));
  const optimizer = tf.train.adam(o.lr);
  const xb = new Float32Array(o.batch * D);
  const yb = new Int32Array(o.batch);
  const tb = new Float32Array(o.batch * 4);
  const bw = new Float32Array(o.batch);
  try {
    for (let step = 0; step < o.steps; step++) {
      for (let b = 0; b < o.batch; b++) {
        const i = Math.floor(rand() * n);
        xb.set(z.subarray(i * D, (i + 1) * D), b * D);
        yb[b] = labels[i]!;
        tb.set(boxTargets.subarray(i * 4, i * 4 + 4), b * 4);
        bw[b] = boxWeights ? boxWeights[i]! : 1;
      }
      const lr = o.lr * 0.5 * (1 + Math.cos((Math.PI * step) / o.steps));
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const seed = Math.floor(rand() * 2 ** 31);
      const loss = tf.tidy(() => {
        const xs = tf.tensor2d(xb, [o.batch, D]);
        const ys = tf.oneHot(tf.tensor1d(yb, 'int32'), classes).toFloat();
        const ts = tf.tensor2d(tb, [o.batch, 4]);
        const ws = tf.tensor2d(bw, [o.batch, 1]);
        return optimizer.minimize(() => {
          const h = tf.dropout(tf.relu(tf.dropout(xs, o.dropout, undefined, seed).matMul(w1).add(b1)), o.dropout, undefined, seed + 1);
          const ce = tf.losses.softmaxCrossEntropy(ys, h.matMul(w2).add(b2));
          const box = tf.losses.huberLoss(ts, h.matMul(wB).add(bB), ws, undefined, tf.Reduction.SUM_BY_NONZERO_WEIGHTS);
          const reg = tf.addN([w1.square().sum(), w2.square().sum()]).mul(o.l2);
          return ce.add(box.mul(o.boxWeight)).add(reg) as import('@tensorflow/tfjs').Scalar;
        }, true) as import('@tensorflow/tfjs').Scalar;
      });
      if (onStep && (step % 50 === 0 || step === o.steps - 1)) await onStep(step, (await loss.data())[0]!);
      loss.dispose();
    }
    return {
      inputs: D,
      hidden: o.hidden,
      classes,
      ...(o.background ? { background: true } : {}),
      mean,
      invStd,
      w1: (await w1.data()) as Float32Array,
      b1: (await b1.data()) as Float32Array,
      w2: (await w2.data()) as Float32Array,
      b2: (await b2.data()) as Float32Array,
      wBox: (await wB.data()) as Float32Array,
      bBox: (await bB.data()) as Float32Array,
    };
  } finally {
    tf.dispose([w1, b1, w2, b2, wB, bB]);
    optimizer.dispose();
  }
}

/** What the second stage needs besides its weights; saved with them and written into the exported model. */
export interface CropClassifierMeta {
  cropSize: number;
  pad: number;
  pool: number;
}

export const CROP_META: Readonly<CropClassifierMeta> = Object.freeze({ cropSize: CROP_SIZE, pad: CROP_PAD, pool: CROP_POOL });

/** Weights file base name in a run folder (crop-classifier.json + .bin, run-store's format). */
export const CROP_CLASSIFIER_FILE = 'crop-classifier';

const TENSORS = ['mean', 'invStd', 'w1', 'b1', 'w2', 'b2', 'wBox', 'bBox'] as const;

export function saveCropClassifier(dir: string, w: CropClassifierWeights, meta: CropClassifierMeta = CROP_META, extra: Record<string, unknown> = {}): void {
  const shapes: Record<(typeof TENSORS)[number], number[]> = {
    mean: [w.inputs],
    invStd: [w.inputs],
    w1: [w.inputs, w.hidden],
    b1: [w.hidden],
    w2: [w.hidden, w.classes],
    b2: [w.classes],
    wBox: [w.hidden, 4],
    bBox: [4],
  };
  saveWeights(
    dir,
    CROP_CLASSIFIER_FILE,
    0,
    TENSORS.map((name) => ({ name, shape: shapes[name], data: w[name] })),
    { ...extra, ...meta, inputs: w.inputs, hidden: w.hidden, classes: w.classes, background: w.background === true },
  );
}

/** The run's second stage, or undefined for a run trained without one (runs before it existed). */
export function loadCropClassifier(dir: string): { weights: CropClassifierWeights; meta: CropClassifierMeta; extra: Record<string, unknown> } | undefined {
  const saved = loadWeights(dir, CROP_CLASSIFIER_FILE);
  if (!saved) return undefined;
  const extra = saved.header.extra ?? {};
  const get = (name: string) => {
    const t = saved.weights.find((x) => x.name === name);
    if (!t) throw new Error(`${dir}/${CROP_CLASSIFIER_FILE}.json lacks tensor ${name}; retrain the run.`);
    return t.data;
  };
  const num = (k: string) => {
    const v = extra[k];
    if (typeof v !== 'number') throw new Error(`${dir}/${CROP_CLASSIFIER_FILE}.json lacks ${k}; retrain the run.`);
    return v;
  };
  const weights: CropClassifierWeights = {
    inputs: num('inputs'),
    hidden: num('hidden'),
    classes: num('classes'),
    ...(extra.background === true ? { background: true } : {}),
    mean: get('mean'),
    invStd: get('invStd'),
    w1: get('w1'),
    b1: get('b1'),
    w2: get('w2'),
    b2: get('b2'),
    wBox: get('wBox'),
    bBox: get('bBox'),
  };
  return { weights, meta: { cropSize: num('cropSize'), pad: num('pad'), pool: num('pool') }, extra };
}

/**
 * A two-stage detection's score for word `cls`: the detector's hand score × the crop's P(word) (which
 * already leaves out the crop's "no sign" share). The same in evaluation and live, so the live threshold
 * means what the metrics measured. (A geometric mean of the two stages' hand estimates, each P(hand),
 * scored the same AP on the sample and found no more hands at 0.6 unless candidates were taken from
 * 0.6², which doubled the crop passes.)
 */
export function twoStageScore(hand: number, probs: ArrayLike<number>, cls: number): number {
  return hand * probs[cls]!;
}

/** Candidate hands for the second stage: class-agnostic NMS over the detector's hand scores. */
export interface CandidateOptions {
  iouThreshold: number;
  scoreThreshold: number;
  maxDetections: number;
}

/**
 * The IoU above which two candidates are one hand. Lower than the final NMS (0.5 in evaluation, the
 * user's 0.6 live): two candidates on one hand overlap only 0.4–0.6 (the detector's neighbouring anchors),
 * and each costs a crop pass (~6 ms live), while the close-up refines whichever box is kept. `ksl eval`
 * with 0.5 → 0.4: a 320×192 lab run 0.9713 / 0.6574 → 0.9716 / 0.6577 (test AP50 / AP), the 384×224
 * `ksl demo` run 0.985 / 0.674 → 0.982 / 0.671; 0.3 lost (0.961 / 0.649 on the first), suppressing the
 * second of two touching hands.
 */
export const CANDIDATE_IOU = 0.4;

/** Candidates in evaluation (and so in every metric): every hand the detector half-believes in. */
export const EVAL_CANDIDATES: Readonly<CandidateOptions> = Object.freeze({ iouThreshold: CANDIDATE_IOU, scoreThreshold: 0.05, maxDetections: 5 });

/**
 * Candidates mined from the training frames for the second stage's training set (second-stage.ts): at
 * IoU 0.5, as measured with (bench:train 0.979 / 0.682); a duplicate near a hand is one more jittered
 * crop of it.
 */
export const MINING_CANDIDATES: Readonly<CandidateOptions> = Object.freeze({ iouThreshold: 0.5, scoreThreshold: 0.05, maxDetections: 5 });

/**
 * boxes M×4 ([ymin,xmin,ymax,xmax], any unit), scores M×C → candidates with their hand score, best first.
 * `index` is the anchor row.
 */
export function handCandidates(boxes: ArrayLike<number>, scores: ArrayLike<number>, classes: number, opts: Partial<CandidateOptions> = {}): Detection[] {
  const o = { ...EVAL_CANDIDATES, ...opts };
  return nonMaxSuppression(boxes, handScores(scores, classes), o);
}
