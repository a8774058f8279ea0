/**
 * Axis-aligned boxes in image pixels (top-left origin, x to the right, y down), as the catalog stores them
 * (boxes.x/y/w/h) and as the editor draws them. Shared by the editor, the services and the exporters, so it
 * uses ES2022 only.
 *
 * A box covers the continuous range [x, x + w) × [y, y + h): a box drawn from pixel corner (0, 0) to (64, 48)
 * on a 64×48 image covers the whole image. Pascal VOC's `xmax` is read as `x + w` (labelImg does the same:
 * it turns the corner points it drew into xmin/xmax directly, without the VOC devkit's "+1 inclusive" rule).
 */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A box from two corners in any order (a drag can go up and to the left). */
export function boxFromCorners(a: Point, b: Point): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
}

/** The same box with a non-negative width and height (a negative size flips the box over its origin). */
export function normalizeBox(b: Box): Box {
  return boxFromCorners({ x: b.x, y: b.y }, { x: b.x + b.w, y: b.y + b.h });
}

export function area(b: Box): number {
  return Math.max(0, b.w) * Math.max(0, b.h);
}

/** Intersection over union; 0 when either box is empty (never NaN). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The part of `box` inside a width × height image. `clamped` says whether anything was cut, so importers can
 * report it instead of silently moving annotations. A box entirely outside comes back with zero width or
 * height (degenerate) at the nearest edge.
 */
export function clampBox(box: Box, width: number, height: number): { box: Box; clamped: boolean } {
  const n = normalizeBox(box);
  const x0 = Math.min(Math.max(n.x, 0), width);
  const y0 = Math.min(Math.max(n.y, 0), height);
  const x1 = Math.min(Math.max(n.x + n.w, 0), width);
  const y1 = Math.min(Math.max(n.y + n.h, 0), height);
  const out = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  const clamped = out.x !== box.x || out.y !== box.y || out.w !== box.w || out.h !== box.h;
  return { box: out, clamped };
}

/**
 * Keeps a box's size and slides it back inside the image (what a move does at the edge: the box stops, it
 * does not shrink). A box larger than the image is clamped instead.
 */
export function keepInside(box: Box, width: number, height: number): Box {
  const n = normalizeBox(box);
  if (n.w > width || n.h > height) return clampBox(n, width, height).box;
  return { x: Math.min(Math.max(n.x, 0), width - n.w), y: Math.min(Math.max(n.y, 0), height - n.h), w: n.w, h: n.h };
}

/** True for a box that cannot be a training example: non-finite, or narrower or lower than `minSize` pixels. */
export function isDegenerate(box: Box, minSize = 1): boolean {
  if (![box.x, box.y, box.w, box.h].every(Number.isFinite)) return true;
  return box.w < minSize || box.h < minSize;
}

/**
 * Pascal VOC's `truncated` flag exactly as labelImg sets it when saving (libs/pascal_voc_io.py,
 * PascalVocWriter.appendObjects):
 *
 *   if int(ymax) == int(height) or int(ymin) == 1: truncated = 1
 *   elif int(xmax) == int(width) or int(xmin) == 1: truncated = 1
 *
 * labelImg first clamps xmin/ymin up to 1 (LabelFile.convert_points_to_bndbox: "0-valued coordinates of BB
 * caused an error while training faster-rcnn") and its canvas never lets a point leave the image, so its `==`
 * tests mean "touches the edge". We compare with ≤ 1 and ≥ size, which gives the same answer for every box
 * labelImg can write and stays right for boxes that other tools let run past the edge. Note the far edge is
 * `== width`, not `width - 1`: labelImg's coordinates are pixel corners, not inclusive pixel indices.
 */
export function truncated(box: Box, width: number, height: number): boolean {
  const n = normalizeBox(box);
  return (
    Math.trunc(n.y + n.h) >= Math.trunc(height) ||
    Math.trunc(n.y) <= 1 ||
    Math.trunc(n.x + n.w) >= Math.trunc(width) ||
    Math.trunc(n.x) <= 1
  );
}

export interface Keyframe {
  /** Time (seconds, or any monotonic frame position). */
  t: number;
  box: Box;
}

/**
 * The box at time `t` on the straight line between two keyframes: each of x, y, w, h moves linearly (the
 * same as interpolating the two corners). Outside [k0.t, k1.t] the line is extended; equal times give k0.
 */
export function interpolateBoxes(k0: Keyframe, k1: Keyframe, t: number): Box {
  const span = k1.t - k0.t;
  const f = span === 0 ? 0 : (t - k0.t) / span;
  const lerp = (a: number, b: number) => a + (b - a) * f;
  return { x: lerp(k0.box.x, k1.box.x), y: lerp(k0.box.y, k1.box.y), w: lerp(k0.box.w, k1.box.w), h: lerp(k0.box.h, k1.box.h) };
}

export function translateBox(b: Box, dx: number, dy: number): Box {
  return { x: b.x + dx, y: b.y + dy, w: b.w, h: b.h };
}

export function boxesEqual(a: Box, b: Box): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

export function containsPoint(b: Box, p: Point): boolean {
  return p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;
}

export function boxCenter(b: Box): Point {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}
