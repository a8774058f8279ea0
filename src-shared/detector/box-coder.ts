/**
 * The Faster R-CNN box coder (TF OD API `faster_rcnn_box_coder`, scale factors y, x, h, w = 10, 10, 5, 5),
 * which the SSD configs use. The head regresses these encoded offsets, not boxes: centre offsets in units
 * of the anchor size and log size ratios keep the regression targets of a 10 px hand and of a 100 px hand
 * on the same scale, and the scale factors bring them to roughly unit variance.
 *
 *   encode: ty = 10·(cy − cya)/ha, tx = 10·(cx − cxa)/wa, th = 5·log(h/ha), tw = 5·log(w/wa)
 *   decode: the inverse, giving [ymin, xmin, ymax, xmax].
 *
 * Boxes are [ymin, xmin, ymax, xmax] (the OD API order), anchors [cy, cx, h, w]; both in the same units
 * (normalised in this project).
 */

export interface BoxCoderScales {
  y: number;
  x: number;
  h: number;
  w: number;
}

export const DEFAULT_BOX_CODER_SCALES: Readonly<BoxCoderScales> = Object.freeze({ y: 10, x: 10, h: 5, w: 5 });

/** Same guard as the OD API: keeps log() finite for a degenerate (zero-size) box or anchor. */
const EPSILON = 1e-8;

/**
 * Upper bound on a decoded log size ratio (torchvision's log(1000/16)). An untrained head can emit large
 * th/tw; without the bound exp() overflows to Infinity and NMS/IoU turn into NaN.
 */
export const MAX_LOG_SIZE_RATIO = Math.log(1000 / 16);

export type Quad = [number, number, number, number];

/**
 * Encodes box `gt` (at offset gOff of `boxes`) against anchor `aOff` of `anchors`, writing 4 numbers at
 * `oOff` of `out`. The offset-based form lets the target builder encode only matched anchors without
 * allocating per anchor.
 */
export function encodeInto(
  boxes: ArrayLike<number>,
  gOff: number,
  anchors: ArrayLike<number>,
  aOff: number,
  out: { [i: number]: number },
  oOff: number,
  scales: BoxCoderScales = DEFAULT_BOX_CODER_SCALES,
): void {
  const ymin = boxes[gOff];
  const xmin = boxes[gOff + 1];
  const ymax = boxes[gOff + 2];
  const xmax = boxes[gOff + 3];
  const h = ymax - ymin + EPSILON;
  const w = xmax - xmin + EPSILON;
  const cy = ymin + 0.5 * (ymax - ymin);
  const cx = xmin + 0.5 * (xmax - xmin);
  const cya = anchors[aOff];
  const cxa = anchors[aOff + 1];
  const ha = anchors[aOff + 2] + EPSILON;
  const wa = anchors[aOff + 3] + EPSILON;
  out[oOff] = (scales.y * (cy - cya)) / ha;
  out[oOff + 1] = (scales.x * (cx - cxa)) / wa;
  out[oOff + 2] = scales.h * Math.log(h / ha);
  out[oOff + 3] = scales.w * Math.log(w / wa);
}

/** Decodes offsets at `rOff` of `rel` against anchor `aOff`, writing [ymin, xmin, ymax, xmax] at `oOff`. */
export function decodeInto(
  rel: ArrayLike<number>,
  rOff: number,
  anchors: ArrayLike<number>,
  aOff: number,
  out: { [i: number]: number },
  oOff: number,
  scales: BoxCoderScales = DEFAULT_BOX_CODER_SCALES,
): void {
  const cya = anchors[aOff];
  const cxa = anchors[aOff + 1];
  const ha = anchors[aOff + 2];
  const wa = anchors[aOff + 3];
  const cy = (rel[rOff] / scales.y) * ha + cya;
  const cx = (rel[rOff + 1] / scales.x) * wa + cxa;
  const h = Math.exp(Math.min(rel[rOff + 2] / scales.h, MAX_LOG_SIZE_RATIO)) * ha;
  const w = Math.exp(Math.min(rel[rOff + 3] / scales.w, MAX_LOG_SIZE_RATIO)) * wa;
  out[oOff] = cy - h / 2;
  out[oOff + 1] = cx - w / 2;
  out[oOff + 2] = cy + h / 2;
  out[oOff + 3] = cx + w / 2;
}

/** One box [ymin, xmin, ymax, xmax] against one anchor [cy, cx, h, w] → [ty, tx, th, tw]. */
export function encodeBox(gt: ArrayLike<number>, anchor: ArrayLike<number>, scales?: BoxCoderScales): Quad {
  const out: Quad = [0, 0, 0, 0];
  encodeInto(gt, 0, anchor, 0, out, 0, scales);
  return out;
}

/** [ty, tx, th, tw] against anchor [cy, cx, h, w] → [ymin, xmin, ymax, xmax]. */
export function decodeBox(rel: ArrayLike<number>, anchor: ArrayLike<number>, scales?: BoxCoderScales): Quad {
  const out: Quad = [0, 0, 0, 0];
  decodeInto(rel, 0, anchor, 0, out, 0, scales);
  return out;
}

function checkPairs(a: ArrayLike<number>, b: ArrayLike<number>, what: string): number {
  if (a.length % 4 !== 0 || a.length !== b.length) {
    throw new Error(`${what}: expected two arrays of M×4 numbers, got ${a.length} and ${b.length}`);
  }
  return a.length / 4;
}

/** Row i of `boxes` (M×4) encoded against row i of `anchors` (M×4). */
export function encodeBoxes(boxes: ArrayLike<number>, anchors: ArrayLike<number>, scales?: BoxCoderScales): Float32Array {
  const m = checkPairs(boxes, anchors, 'encodeBoxes');
  const out = new Float32Array(m * 4);
  for (let i = 0; i < m; i++) encodeInto(boxes, 4 * i, anchors, 4 * i, out, 4 * i, scales);
  return out;
}

/** Row i of `rel` (M×4) decoded against row i of `anchors` (M×4). */
export function decodeBoxes(rel: ArrayLike<number>, anchors: ArrayLike<number>, scales?: BoxCoderScales): Float32Array {
  const m = checkPairs(rel, anchors, 'decodeBoxes');
  const out = new Float32Array(m * 4);
  for (let i = 0; i < m; i++) decodeInto(rel, 4 * i, anchors, 4 * i, out, 4 * i, scales);
  return out;
}
