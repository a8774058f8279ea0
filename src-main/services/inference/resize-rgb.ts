/**
 * The resize between a camera frame and the model's input, done the way training's decode path does
 * it: training and evaluation hand every frame to ffmpeg with `scale=W:H:flags=bilinear` (decode-frames.ts),
 * a plain stretch (no letterbox, as the TF OD API's fixed_shape_resizer) with swscale's "bilinear" filter.
 * When swscale shrinks, its bilinear filter is a triangle whose support grows with the ratio (each output
 * pixel averages the whole footprint it covers), not a 2-tap lookup; when it enlarges it is the 2-tap
 * lookup. This file does the same in floating point on RGB, separably (rows, then columns), with the
 * same pixel-centre alignment. It agrees with ffmpeg on the same RGB picture to a couple of grey levels
 * (swscale works in 14-bit fixed point): test/main/inference/resize-rgb.test.ts measures it.
 */

interface Taps {
  /** First source index of each output position. */
  start: Int32Array;
  /** Number of taps of each output position. */
  count: Int32Array;
  /** Weights, `maxTaps` per output position (normalised to sum 1). */
  weights: Float32Array;
  maxTaps: number;
}

const tapCache = new Map<string, Taps>();

/** swscale-style bilinear taps for resampling `src` positions to `dst` positions. */
function taps(src: number, dst: number): Taps {
  const key = `${src}>${dst}`;
  const hit = tapCache.get(key);
  if (hit) return hit;
  const scale = src / dst;
  // Shrinking: the triangle spans ±scale source pixels; enlarging: ±1 (linear interpolation).
  const radius = Math.max(1, scale);
  const maxTaps = Math.ceil(2 * radius) + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * maxTaps);
  for (let i = 0; i < dst; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    let lo = Math.ceil(centre - radius);
    let hi = Math.floor(centre + radius);
    lo = Math.max(lo, 0);
    hi = Math.min(hi, src - 1);
    if (hi < lo) hi = lo = Math.min(src - 1, Math.max(0, Math.round(centre)));
    let sum = 0;
    const n = Math.min(maxTaps, hi - lo + 1);
    for (let k = 0; k < n; k++) {
      const w = Math.max(0, 1 - Math.abs(lo + k - centre) / radius);
      weights[i * maxTaps + k] = w;
      sum += w;
    }
    if (sum <= 0) {
      // The centre sits past the edge (tiny sizes): take the nearest pixel.
      weights[i * maxTaps] = 1;
      sum = 1;
    }
    for (let k = 0; k < n; k++) weights[i * maxTaps + k]! /= sum;
    start[i] = lo;
    count[i] = n;
  }
  const t = { start, count, weights, maxTaps };
  if (tapCache.size > 32) tapCache.clear();
  tapCache.set(key, t);
  return t;
}

/**
 * Buffers a caller keeps from frame to frame (the live detector: 30 frames a second would otherwise
 * allocate ~2 MB each for the garbage collector). Grown as needed; every element is overwritten.
 */
export interface ResizeScratch {
  mid?: Float32Array;
  out?: Uint8Array;
}

/**
 * Stretches an RGB picture (3 bytes per pixel, row-major) from sw×sh to dw×dh with swscale's bilinear
 * filter (see the file comment). Returns a new buffer, or `scratch.out` when given (then valid until the
 * next call with the same scratch); the input is left alone.
 */
export function resizeRgb(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, scratch?: ResizeScratch): Uint8Array {
  if (src.length !== sw * sh * 3) throw new RangeError(`resizeRgb: ${src.length} bytes is not ${sw}×${sh}×3`);
  if (sw === dw && sh === dh) return src.slice();
  const tx = taps(sw, dw);
  const ty = taps(sh, dh);
  // Rows first (sh rows of dw pixels), in float, then columns into bytes.
  let mid = scratch?.mid;
  if (!mid || mid.length !== sh * dw * 3) mid = new Float32Array(sh * dw * 3);
  if (scratch) scratch.mid = mid;
  for (let y = 0; y < sh; y++) {
    const row = y * sw * 3;
    const out = y * dw * 3;
    for (let x = 0; x < dw; x++) {
      const s0 = tx.start[x]!;
      const n = tx.count[x]!;
      const wo = x * tx.maxTaps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++) {
        const w = tx.weights[wo + k]!;
        const p = row + (s0 + k) * 3;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
      }
      const o = out + x * 3;
      mid[o] = r;
      mid[o + 1] = g;
      mid[o + 2] = b;
    }
  }
  let dst = scratch?.out;
  if (!dst || dst.length !== dw * dh * 3) dst = new Uint8Array(dw * dh * 3);
  if (scratch) scratch.out = dst;
  const stride = dw * 3;
  const acc = new Float32Array(stride);
  for (let y = 0; y < dh; y++) {
    const s0 = ty.start[y]!;
    const n = ty.count[y]!;
    const wo = y * ty.maxTaps;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = ty.weights[wo + k]!;
      const row = (s0 + k) * stride;
      for (let i = 0; i < stride; i++) acc[i]! += mid[row + i]! * w;
    }
    const out = y * stride;
    for (let i = 0; i < stride; i++) {
      const v = acc[i]! + 0.5;
      dst[out + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return dst;
}
