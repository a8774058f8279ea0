/**
 * Training-time augmentation on RGB buffers, with the boxes moved along: a random crop (scale
 * 0.75–1 of the source, boxes clipped and dropped when mostly cut away), a bilinear resize to the
 * model's input, and colour jitter (brightness, contrast, saturation). Horizontal flip is OFF:
 * mirroring swaps the signing hand, which changes the sign.
 */
import type { LiveRegion } from '../../../src-shared/api-live';

export interface NormBox {
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
  cls: number;
}

export interface AugmentOptions {
  crop: boolean;
  jitter: boolean;
  minScale?: number;
  /**
   * Largest crop side as a fraction of the source (default 1). Above 1 the crop is larger than the frame
   * (zoom out: hands and signers come out smaller, as from farther away) and the outside repeats the
   * frame's edge pixels.
   */
  maxScale?: number;
  /** Scales the colour jitter's ranges (default 1: brightness ±0.15, contrast and saturation ±0.2). */
  jitterStrength?: number;
}

/** A rectangle of a frame in whole pixels (the contract's region): what a buffer holds when it holds only part of the frame. */
export type FramePart = LiveRegion;

/**
 * Bilinear resize of an RGB crop (x0,y0,w,h in source pixels) to outW×outH, edges clamped. With `part`,
 * `src` holds only that rectangle of the sw×sh frame, which must hold every pixel the crop reads
 * (crop-classifier.ts cropReads): the result is the same, byte for byte, as from the whole frame.
 */
export function resizeCropRgb(src: Uint8Array, sw: number, sh: number, x0: number, y0: number, cw: number, ch: number, outW: number, outH: number, part?: FramePart): Uint8Array {
  const out = new Uint8Array(outW * outH * 3);
  const sx = cw / outW;
  const sy = ch / outH;
  // Coordinates are the frame's; with `part`, `src` holds only that rectangle of it.
  const ox = part?.x ?? 0;
  const oy = part?.y ?? 0;
  const rowLength = part?.width ?? sw;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(sh - 1, Math.max(0, y0 + (y + 0.5) * sy - 0.5));
    const y1 = Math.floor(fy);
    const y2 = Math.min(sh - 1, y1 + 1);
    const wy = fy - y1;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(sw - 1, Math.max(0, x0 + (x + 0.5) * sx - 0.5));
      const x1 = Math.floor(fx);
      const x2 = Math.min(sw - 1, x1 + 1);
      const wx = fx - x1;
      const a = ((y1 - oy) * rowLength + x1 - ox) * 3;
      const b = ((y1 - oy) * rowLength + x2 - ox) * 3;
      const c = ((y2 - oy) * rowLength + x1 - ox) * 3;
      const d = ((y2 - oy) * rowLength + x2 - ox) * 3;
      const o = (y * outW + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * wx;
        const bot = src[c + k]! + (src[d + k]! - src[c + k]!) * wx;
        out[o + k] = top + (bot - top) * wy + 0.5;
      }
    }
  }
  return out;
}

/** In-place colour jitter: brightness ±0.15, contrast 0.8–1.2, saturation 0.8–1.2 (× strength). */
export function jitterRgb(rgb: Uint8Array, rand: () => number, strength = 1): void {
  const bright = (rand() - 0.5) * 0.3 * strength * 255;
  const contrast = 1 + (rand() - 0.5) * 0.4 * strength;
  const sat = 1 + (rand() - 0.5) * 0.4 * strength;
  let mean = 0;
  for (let i = 0; i < rgb.length; i++) mean += rgb[i]!;
  mean /= rgb.length;
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    for (let k = 0; k < 3; k++) {
      let v = rgb[i + k]!;
      v = grey + (v - grey) * sat;
      v = (v - mean) * contrast + mean + bright;
      rgb[i + k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/**
 * One augmented copy of a frame (source size sw×sh) at out×out (or out.width×out.height) with its
 * boxes. Boxes keep at least 60% of their area or are dropped (a hand mostly outside the crop is not
 * that sign).
 */
export function augmentFrame(src: Uint8Array, sw: number, sh: number, boxes: NormBox[], out: number | { width: number; height: number }, rand: () => number, opts: AugmentOptions): { rgb: Uint8Array; boxes: NormBox[] } {
  const outW = typeof out === 'number' ? out : out.width;
  const outH = typeof out === 'number' ? out : out.height;
  let x0 = 0;
  let y0 = 0;
  let cw = sw;
  let ch = sh;
  if (opts.crop) {
    const lo = opts.minScale ?? 0.75;
    const hi = Math.max(lo, opts.maxScale ?? 1);
    const scale = lo + rand() * (hi - lo);
    cw = sw * scale;
    ch = sh * scale;
    // A crop larger than the frame (scale > 1) is placed so that the frame stays inside it.
    x0 = rand() * (sw - cw);
    y0 = rand() * (sh - ch);
  }
  const rgb = resizeCropRgb(src, sw, sh, x0, y0, cw, ch, outW, outH);
  if (opts.jitter) jitterRgb(rgb, rand, opts.jitterStrength ?? 1);
  const nx0 = x0 / sw;
  const ny0 = y0 / sh;
  const nw = cw / sw;
  const nh = ch / sh;
  const moved: NormBox[] = [];
  for (const b of boxes) {
    const xmin = Math.max(0, (b.xmin - nx0) / nw);
    const xmax = Math.min(1, (b.xmax - nx0) / nw);
    const ymin = Math.max(0, (b.ymin - ny0) / nh);
    const ymax = Math.min(1, (b.ymax - ny0) / nh);
    if (xmax <= xmin || ymax <= ymin) continue;
    const kept = ((xmax - xmin) * nw * (ymax - ymin) * nh) / Math.max(1e-12, (b.xmax - b.xmin) * (b.ymax - b.ymin));
    if (kept < 0.6) continue;
    moved.push({ ymin, xmin, ymax, xmax, cls: b.cls });
  }
  return { rgb, boxes: moved };
}

/** RGB bytes → Float32 NHWC scaled to [-1, 1], the pretrained model's input. */
export function toModelInput(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = rgb[i]! / 127.5 - 1;
  return out;
}
