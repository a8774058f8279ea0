/**
 * Class-wise non-maximum suppression, after the OD API's `batch_non_max_suppression` post-processing:
 * each class is suppressed on its own, so a hand detected as two different signs keeps both candidates
 * (the caller decides), while duplicates of one sign collapse to the best box.
 *
 * Two presets: the live interpreter wants few, confident boxes (score ≥ 0.6); COCO evaluation needs the
 * whole precision/recall curve, so it keeps everything above 0.01, up to 100 per image (the COCO maxDets).
 *
 * Boxes are [ymin, xmin, ymax, xmax], normalised or in pixels: IoU does not depend on the unit.
 * Ordering is deterministic: score descending, then class, then candidate index, so equal scores never
 * reorder between runs or platforms.
 */

import { boxIouAt } from './matcher';

export interface NmsOptions {
  /** A candidate is suppressed when its IoU with a kept box of the same class exceeds this. */
  iouThreshold: number;
  /** Candidates scoring below this are dropped before suppression. */
  scoreThreshold: number;
  /** At most this many detections over all classes. */
  maxDetections: number;
  /** At most this many per class (the OD API's max_detections_per_class); defaults to maxDetections. */
  maxPerClass?: number;
}

export const LIVE_NMS: Readonly<NmsOptions> = Object.freeze({ iouThreshold: 0.6, scoreThreshold: 0.6, maxDetections: 100 });
export const EVAL_NMS: Readonly<NmsOptions> = Object.freeze({ iouThreshold: 0.6, scoreThreshold: 0.01, maxDetections: 100 });

export interface Detection {
  /** [ymin, xmin, ymax, xmax] in the units of the input boxes. */
  box: [number, number, number, number];
  score: number;
  cls: number;
  /** Row of the input (anchor index), for debugging and for looking up other per-anchor outputs. */
  index: number;
}

/**
 * `boxes`: M×4; `scores`: M×C row-major (one probability per anchor and class, e.g. sigmoid outputs).
 */
export function nonMaxSuppression(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: Partial<NmsOptions> = {},
): Detection[] {
  const opts = { ...LIVE_NMS, ...options };
  const m = boxes.length / 4;
  if (!Number.isInteger(m)) throw new Error(`nms: boxes length ${boxes.length} is not a multiple of 4`);
  if (m === 0) return [];
  const c = scores.length / m;
  if (!Number.isInteger(c) || c < 1) throw new Error(`nms: ${scores.length} scores for ${m} boxes`);
  const maxPerClass = Math.min(opts.maxPerClass ?? opts.maxDetections, opts.maxDetections);
  if (maxPerClass <= 0) return [];

  const all: Detection[] = [];
  const candidates: number[] = [];
  const kept: number[] = [];
  for (let k = 0; k < c; k++) {
    candidates.length = 0;
    for (let i = 0; i < m; i++) if (scores[i * c + k] >= opts.scoreThreshold) candidates.push(i);
    candidates.sort((a, b) => scores[b * c + k] - scores[a * c + k] || a - b);
    kept.length = 0;
    for (const i of candidates) {
      let keep = true;
      for (const j of kept) {
        if (boxIouAt(boxes, 4 * i, boxes, 4 * j) > opts.iouThreshold) {
          keep = false;
          break;
        }
      }
      if (!keep) continue;
      kept.push(i);
      all.push({
        box: [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]],
        score: scores[i * c + k],
        cls: k,
        index: i,
      });
      if (kept.length >= maxPerClass) break;
    }
  }
  all.sort((a, b) => b.score - a.score || a.cls - b.cls || a.index - b.index);
  if (all.length > opts.maxDetections) all.length = opts.maxDetections;
  return all;
}
