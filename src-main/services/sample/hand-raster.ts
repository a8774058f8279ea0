/**
 * Rasterises a posed hand shape and measures the pixels it covers.
 *
 * The ground-truth box of the sample is the tight bounding box of exactly the pixels painted here
 * (not a formula around the pose), so it is right for every shape, rotation and clipping case.
 */
import { HAND_PIVOT, PACK_STRIDE, packedSdf, type HandShape } from './hand-shapes';
import { setPixel, type Rgb, type RgbFrame } from './raster';

export interface HandPose {
  /** Pixel position of HAND_PIVOT (palm centre). */
  cx: number;
  cy: number;
  /** Pixels per hand unit (≈ wrist-to-fingertip length of an open hand). */
  unit: number;
  /** Rotation in degrees, clockwise on screen, applied in the right hand's frame. */
  angleDeg: number;
  /** Draw a left hand: the mirror image (about the vertical through cx) of the right-hand drawing. */
  mirror: boolean;
}

export interface PixelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Hand-local point → pixel coordinates (used to attach the forearm at the wrist). */
export function handPointToPixel(pose: HandPose, lx: number, ly: number): { x: number; y: number } {
  const a = (pose.angleDeg * Math.PI) / 180;
  const dx = (lx - HAND_PIVOT.x) * pose.unit;
  const dy = -(ly - HAND_PIVOT.y) * pose.unit;
  const rx = dx * Math.cos(a) - dy * Math.sin(a);
  const ry = dx * Math.sin(a) + dy * Math.cos(a);
  return { x: pose.cx + (pose.mirror ? -rx : rx), y: pose.cy + ry };
}

/**
 * Visits every pixel of a width×height raster covered by the posed hand, with a shade factor
 * (silhouette outline and finger creases are darker so the shape reads even on a skin-coloured
 * wall). Returns the tight box of the visited pixels, or null if none is inside the raster.
 */
export function forEachHandPixel(
  shape: HandShape,
  pose: HandPose,
  width: number,
  height: number,
  visit: (x: number, y: number, shade: number) => void,
): PixelBox | null {
  const a = (pose.angleDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const m = pose.mirror ? -1 : 1;
  // Raster only the union of the primitives' bounding circles (much tighter than the extent).
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (const b of shape.bounds) {
    const c = handPointToPixel(pose, b.cx, b.cy);
    const r = b.r * pose.unit + 1;
    bx0 = Math.min(bx0, c.x - r);
    bx1 = Math.max(bx1, c.x + r);
    by0 = Math.min(by0, c.y - r);
    by1 = Math.max(by1, c.y + r);
  }
  const x0 = Math.max(0, Math.floor(bx0));
  const x1 = Math.min(width - 1, Math.ceil(bx1));
  const y0 = Math.max(0, Math.floor(by0));
  const y1 = Math.min(height - 1, Math.ceil(by1));
  // About one pixel, in hand units.
  const edge = 1.1 / pose.unit;
  const packed = shape.packed;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const qx = (x + 0.5 - pose.cx) * m;
      const qy = y + 0.5 - pose.cy;
      const lx = (qx * cos + qy * sin) / pose.unit + HAND_PIVOT.x;
      const ly = HAND_PIVOT.y - (-qx * sin + qy * cos) / pose.unit;
      let union = Infinity;
      let top = 0;
      let covered = false;
      for (let o = 0; o < packed.length; o += PACK_STRIDE) {
        const d = packedSdf(packed, o, lx, ly);
        if (d < union) union = d;
        if (d < 0) {
          top = d;
          covered = true;
        }
      }
      if (!covered) continue;
      // Soft top-lit gradient, dark silhouette rim, and a crease where a finger overlaps the palm.
      let shade = 0.9 + 0.12 * Math.min(1, Math.max(0, ly));
      if (union > -edge) shade *= 0.6;
      else if (top > -edge) shade *= 0.75;
      visit(x, y, shade);
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (maxX < minX) return null;
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 };
}

/** Paints the hand in `skin` and returns the tight box of the painted pixels. */
export function drawHand(frame: RgbFrame, shape: HandShape, pose: HandPose, skin: Rgb): PixelBox | null {
  return forEachHandPixel(shape, pose, frame.width, frame.height, (x, y, shade) => setPixel(frame, x, y, skin, shade));
}

/** The hand as a 0/1 mask (row-major width×height) plus its box; used by tests and analysis. */
export function handMask(shape: HandShape, pose: HandPose, width: number, height: number): { mask: Uint8Array; box: PixelBox | null } {
  const mask = new Uint8Array(width * height);
  const box = forEachHandPixel(shape, pose, width, height, (x, y) => {
    mask[y * width + x] = 1;
  });
  return { mask, box };
}
