/**
 * The second stage (crop-classifier.ts) in training and evaluation: close-ups of the training hands at
 * the frames' own resolution, and the words read from the candidates the detector finds in test frames.
 */
import path from 'node:path';
import { nonMaxSuppression, type Detection } from '../../../src-shared/detector/nms';
import { mulberry32 } from '../../../src-shared/random';
import type { SplitExample } from '../dataset/split-examples';
import { createOnnxFeatureExtractor, pretrainedBackboneOnnx, type OnnxFeatureExtractor } from '../detector/pretrained';
import { jitterRgb, toModelInput } from './augment';
import {
  CROP_META,
  classifyCrop,
  cropFeatureLength,
  cropRgb,
  cropWindow,
  decodeCropBox,
  encodeCropBox,
  jitteredWindow,
  poolCropFeatures,
  twoStageScore,
  type CropClassifierMeta,
  type CropClassifierWeights,
  type CropWindow,
  type PixelBox,
} from './crop-classifier';
import { decodeFramesRgb, groupBySize } from './decode-frames';

/** IoU above which two refined detections of one word are the same hand. */
export const REFINED_NMS_IOU = 0.5;

/** Class-wise NMS over a list of detections (best first, deterministic). */
export function classwiseNms(dets: readonly Detection[], classes: number, iou: number): Detection[] {
  if (dets.length === 0) return [];
  const boxes = new Float32Array(dets.length * 4);
  const scores = new Float32Array(dets.length * classes).fill(-1);
  dets.forEach((d, j) => {
    boxes.set(d.box, j * 4);
    scores[j * classes + d.cls] = d.score;
  });
  return nonMaxSuppression(boxes, scores, { iouThreshold: iou, scoreThreshold: 0, maxDetections: dets.length }).map((d) => ({ ...d, index: dets[d.index]!.index }));
}

/** The pretrained backbone at the crop size, on onnxruntime-node. */
export async function openCropNet(cacheDir: string, meta: CropClassifierMeta = CROP_META): Promise<OnnxFeatureExtractor> {
  const dims = { height: meta.cropSize, width: meta.cropSize };
  return createOnnxFeatureExtractor(await pretrainedBackboneOnnx(cacheDir, false, dims), undefined, dims, 1);
}

/**
 * Decodes every example's frame at its own size (frames of different videos may differ), calling
 * `onFrame` in example order within each size group.
 */
export async function forEachNativeFrame(projectDir: string, examples: readonly SplitExample[], onFrame: (index: number, rgb: Uint8Array, width: number, height: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  for (const idx of groupBySize(examples)) {
    const { width, height } = examples[idx[0]!]!;
    await decodeFramesRgb(
      idx.map((i) => path.join(projectDir, examples[i]!.file)),
      width,
      height,
      (k, rgb) => onFrame(idx[k]!, rgb, width, height),
      signal,
    );
  }
}

export interface CropTrainingSet {
  /** n × cropFeatureLength() pooled features. */
  x: Float32Array;
  /** Word index per crop (class id − 1); `classes` for "no sign". */
  labels: Int32Array;
  /** n × 4 encodeCropBox targets (zeros for "no sign"). */
  boxTargets: Float32Array;
  /** n: 1 where the crop has a box to regress, 0 for "no sign". */
  boxWeights: Float32Array;
  /** Crops of the detector's own candidates: on a hand, and on no hand ("no sign"). */
  mined: { hands: number; noSign: number };
}

/** IoU of two pixel boxes. */
function iou(a: PixelBox, b: PixelBox): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** A detector candidate at IoU ≥ this with a labelled hand is a crop of that hand. */
export const MINED_HAND_IOU = 0.5;
/** A candidate scoring ≥ NO_SIGN_SCORE at IoU < NO_SIGN_IOU with every labelled hand is a "no sign" crop. */
export const NO_SIGN_IOU = 0.2;
export const NO_SIGN_SCORE = 0.3;

/**
 * Crops for the second stage from the training frames:
 *  - every labelled hand: one centred on the box, `copies − 1` with the window moved and scaled the way the
 *    detector misses (jitteredWindow) and colour jitter;
 *  - with `candidates` (the detector's candidate hands per training example, normalised boxes): each one
 *    on a labelled hand, cropped as the detector framed it, and each confident one on no hand at all (the
 *    resting hand, the face) as "no sign" (label `classes`).
 */
export async function cropTrainingSet(
  net: OnnxFeatureExtractor,
  projectDir: string,
  train: readonly SplitExample[],
  copies: number,
  seed: number,
  progress: (done: number, total: number) => void,
  signal?: AbortSignal,
  meta: CropClassifierMeta = CROP_META,
  candidates?: readonly Detection[][],
  classes = 0,
): Promise<CropTrainingSet> {
  interface Planned {
    win: CropWindow;
    label: number;
    gt: PixelBox | null;
    jitter: boolean;
  }
  const rand = mulberry32(seed ^ 0xc209);
  const plans: Planned[][] = train.map(() => []);
  const mined = { hands: 0, noSign: 0 };
  train.forEach((e, i) => {
    for (const b of e.boxes) {
      for (let c = 0; c < copies; c++) {
        plans[i]!.push({ win: c === 0 ? cropWindow(b, meta.pad) : jitteredWindow(b, rand, undefined, undefined, meta.pad), label: b.classId - 1, gt: b, jitter: c > 0 });
      }
    }
    for (const d of candidates?.[i] ?? []) {
      const [ymin, xmin, ymax, xmax] = d.box;
      const box = { x: xmin * e.width, y: ymin * e.height, w: (xmax - xmin) * e.width, h: (ymax - ymin) * e.height };
      if (box.w < 1 || box.h < 1) continue;
      let best = 0;
      let hand: (typeof e.boxes)[number] | undefined;
      for (const b of e.boxes) {
        const v = iou(box, b);
        if (v > best) [best, hand] = [v, b];
      }
      if (hand && best >= MINED_HAND_IOU) {
        plans[i]!.push({ win: cropWindow(box, meta.pad), label: hand.classId - 1, gt: hand, jitter: false });
        mined.hands++;
      } else if (best < NO_SIGN_IOU && d.score >= NO_SIGN_SCORE) {
        plans[i]!.push({ win: cropWindow(box, meta.pad), label: classes, gt: null, jitter: false });
        mined.noSign++;
      }
    }
  });
  const todo = train.map((_, i) => i).filter((i) => plans[i]!.length > 0);
  const total = todo.reduce((n, i) => n + plans[i]!.length, 0);
  const D = cropFeatureLength(meta.pool);
  const x = new Float32Array(total * D);
  const labels = new Int32Array(total);
  const boxTargets = new Float32Array(total * 4);
  const boxWeights = new Float32Array(total);
  let n = 0;
  await forEachNativeFrame(
    projectDir,
    todo.map((i) => train[i]!),
    async (k, rgb, width, height) => {
      for (const p of plans[todo[k]!]!) {
        const crop = cropRgb(rgb, width, height, p.win, meta.cropSize);
        if (p.jitter) jitterRgb(crop, rand);
        x.set(poolCropFeatures(await net.run(toModelInput(crop)), meta.cropSize, meta.pool), n * D);
        labels[n] = p.label;
        if (p.gt) {
          boxTargets.set(encodeCropBox(p.gt, p.win), n * 4);
          boxWeights[n] = 1;
        }
        n++;
      }
      progress(n, total);
    },
    signal,
  );
  return { x, labels, boxTargets, boxWeights, mined };
}

/**
 * Reads the word of every candidate hand (normalised boxes, score = hand score) from a close-up of its
 * test frame: each candidate becomes up to `top` detections (the likeliest words), scored hand × P(word),
 * with the second stage's refined box.
 */
export async function readWords(
  net: OnnxFeatureExtractor,
  weights: CropClassifierWeights,
  projectDir: string,
  examples: readonly SplitExample[],
  candidates: readonly Detection[][],
  top: number,
  signal?: AbortSignal,
  meta: CropClassifierMeta = CROP_META,
): Promise<Detection[][]> {
  const out: Detection[][] = examples.map(() => []);
  const todo = examples.map((_, i) => i).filter((i) => candidates[i]!.length > 0);
  await forEachNativeFrame(
    projectDir,
    todo.map((i) => examples[i]!),
    async (k, rgb, width, height) => {
      const i = todo[k]!;
      for (const c of candidates[i]!) {
        const [ymin, xmin, ymax, xmax] = c.box;
        const box = { x: xmin * width, y: ymin * height, w: (xmax - xmin) * width, h: (ymax - ymin) * height };
        if (box.w < 1 || box.h < 1) continue;
        const win = cropWindow(box, meta.pad);
        const pred = classifyCrop(weights, poolCropFeatures(await net.run(toModelInput(cropRgb(rgb, width, height, win, meta.cropSize))), meta.cropSize, meta.pool));
        const r = decodeCropBox(pred.box, win);
        const refined: Detection['box'] = [
          Math.max(0, r.y / height),
          Math.max(0, r.x / width),
          Math.min(1, (r.y + r.h) / height),
          Math.min(1, (r.x + r.w) / width),
        ];
        const order = Array.from(pred.probs.keys()).sort((a, b) => pred.probs[b]! - pred.probs[a]! || a - b);
        for (const cls of order.slice(0, top)) out[i]!.push({ box: refined, score: twoStageScore(c.score, pred.probs, cls), cls, index: c.index });
      }
      // Refined boxes of neighbouring candidates converge on the same hand: keep the best of each word.
      out[i] = classwiseNms(out[i]!, weights.classes, REFINED_NMS_IOU);
    },
    signal,
  );
  return out;
}
