/**
 * Model outputs → the detections the Live screen draws: score threshold, class-wise NMS, at most
 * `maxDetections`, labels from the label map. Both layouts of model-layout.ts end here, so the live
 * screen, `ksl detect` and model-assisted labelling apply exactly the same rules.
 */
import type { LiveDetection, LiveSettings } from '../../../src-shared/api-live';
import { nonMaxSuppression } from '../../../src-shared/detector/nms';

export interface ClassName {
  id: number;
  name: string;
}

export function labelOf(classes: ReadonlyMap<number, string>, id: number): string {
  return classes.get(id) ?? `class ${id}`;
}

const nms = (boxes: ArrayLike<number>, scores: ArrayLike<number>, s: LiveSettings) =>
  nonMaxSuppression(boxes, scores, { scoreThreshold: s.threshold, iouThreshold: s.iou, maxDetections: s.maxDetections });

/** Our export: scores [N·C] (class index c ↔ label id c+1), boxes [N·4] in [0,1]. */
export function ksl(boxes: Float32Array, scores: Float32Array, classes: ReadonlyMap<number, string>, s: LiveSettings): LiveDetection[] {
  return nms(boxes, scores, s).map((d) => ({ classId: d.cls + 1, label: labelOf(classes, d.cls + 1), score: d.score, box: d.box }));
}

/**
 * tf2onnx: the first `count` rows of boxes [M·4], scores [M], classes [M] (label ids as floats). The graph
 * already ran its own NMS, but with its own thresholds; ours apply on top, per class (a one-hot score
 * matrix keeps each row's class), so a model from the GPU cluster behaves like ours on screen.
 */
export function tf2onnx(boxes: Float32Array, scores: Float32Array, classIds: Float32Array, count: number | undefined, classes: ReadonlyMap<number, string>, s: LiveSettings): LiveDetection[] {
  const m = Math.min(count ?? scores.length, scores.length, Math.floor(boxes.length / 4), classIds.length);
  if (m <= 0) return [];
  // Columns: the distinct class ids present (kept small; a TF OD API model returns ~100 rows).
  const ids = [...new Set(Array.from(classIds.subarray(0, m), (c) => Math.round(c)))].sort((a, b) => a - b);
  const col = new Map(ids.map((id, i) => [id, i]));
  const onehot = new Float32Array(m * ids.length).fill(-1);
  for (let i = 0; i < m; i++) onehot[i * ids.length + col.get(Math.round(classIds[i]!))!] = scores[i]!;
  const clipped = boxes.subarray(0, 4 * m).map((v) => (v < 0 ? 0 : v > 1 ? 1 : v));
  return nms(clipped, onehot, s).map((d) => {
    const id = ids[d.cls]!;
    return { classId: id, label: labelOf(classes, id), score: d.score, box: d.box };
  });
}
