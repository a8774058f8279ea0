/**
 * Minimal RGB24 rasteriser for the synthetic sample (no DOM/canvas in the main process).
 *
 * Frames are tightly packed rgb24, row-major, exactly what `ffmpeg -f rawvideo -pix_fmt rgb24`
 * reads on stdin. Shapes are filled by testing pixel centres, without anti-aliasing: hard edges
 * keep the hand mask (and thus the ground-truth box) exact.
 */

export type Rgb = readonly [number, number, number];

export interface RgbFrame {
  width: number;
  height: number;
  /** width * height * 3 bytes. */
  data: Uint8Array;
}

export function createFrame(width: number, height: number): RgbFrame {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

export function setPixel(frame: RgbFrame, x: number, y: number, c: Rgb, shade = 1): void {
  const i = (y * frame.width + x) * 3;
  frame.data[i] = clampByte(c[0] * shade);
  frame.data[i + 1] = clampByte(c[1] * shade);
  frame.data[i + 2] = clampByte(c[2] * shade);
}

/**
 * Vertical gradient from `top` to `bottom` with static per-pixel noise of ±noise (grey, so it
 * reads as sensor grain). The noise uses an inline xorshift32 seeded by `seed`: calling a PRNG
 * closure per pixel made this the slowest step of a clip.
 */
export function fillGradient(frame: RgbFrame, top: Rgb, bottom: Rgb, noise: number, seed: number): void {
  const { width, height } = frame;
  // A clamped view rounds and clamps on store, much faster than doing it by hand per channel.
  const data = new Uint8ClampedArray(frame.data.buffer, frame.data.byteOffset, frame.data.length);
  let state = seed >>> 0 || 0x9e3779b9;
  const scale = (2 * noise) / 4294967296;
  for (let y = 0; y < height; y++) {
    const f = height > 1 ? y / (height - 1) : 0;
    const r = top[0] + (bottom[0] - top[0]) * f;
    const g = top[1] + (bottom[1] - top[1]) * f;
    const b = top[2] + (bottom[2] - top[2]) * f;
    let i = y * width * 3;
    for (let x = 0; x < width; x++, i += 3) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const n = (state >>> 0) * scale - noise;
      data[i] = r + n;
      data[i + 1] = g + n;
      data[i + 2] = b + n;
    }
  }
}

// The fills below are deliberately written as plain loops (no per-pixel callbacks): a shared
// callback-taking helper becomes megamorphic in V8 and made frame rendering ~5x slower, and
// rendering on the main thread is what bounds the sample's generation time.

function clipSpan(lo: number, hi: number, size: number): [number, number] {
  return [Math.max(0, Math.floor(lo)), Math.min(size - 1, Math.ceil(hi))];
}

export function fillEllipse(frame: RgbFrame, cx: number, cy: number, rx: number, ry: number, colour: Rgb, shade = 1): void {
  const { width, data } = frame;
  const [xa, xb] = clipSpan(cx - rx, cx + rx, frame.width);
  const [ya, yb] = clipSpan(cy - ry, cy + ry, frame.height);
  for (let y = ya; y <= yb; y++) {
    const v = (y + 0.5 - cy) / ry;
    for (let x = xa; x <= xb; x++) {
      const u = (x + 0.5 - cx) / rx;
      const k = u * u + v * v;
      if (k > 1) continue;
      // Slight darkening towards the rim gives round things some volume.
      const s = shade * (1 - 0.12 * k);
      const i = (y * width + x) * 3;
      data[i] = clampByte(colour[0] * s);
      data[i + 1] = clampByte(colour[1] * s);
      data[i + 2] = clampByte(colour[2] * s);
    }
  }
}

export function fillCapsule(frame: RgbFrame, ax: number, ay: number, bx: number, by: number, r: number, colour: Rgb, shade = 1): void {
  const { width, data } = frame;
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  const [xa, xb] = clipSpan(Math.min(ax, bx) - r, Math.max(ax, bx) + r, frame.width);
  const [ya, yb] = clipSpan(Math.min(ay, by) - r, Math.max(ay, by) + r, frame.height);
  for (let y = ya; y <= yb; y++) {
    const py = y + 0.5 - ay;
    for (let x = xa; x <= xb; x++) {
      const px = x + 0.5 - ax;
      let h = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
      h = h < 0 ? 0 : h > 1 ? 1 : h;
      const ex = px - dx * h;
      const ey = py - dy * h;
      const d2 = ex * ex + ey * ey;
      if (d2 > r2) continue;
      const s = shade * (1 - (0.15 * d2) / r2);
      const i = (y * width + x) * 3;
      data[i] = clampByte(colour[0] * s);
      data[i + 1] = clampByte(colour[1] * s);
      data[i + 2] = clampByte(colour[2] * s);
    }
  }
}

export function fillRect(frame: RgbFrame, x0: number, y0: number, x1: number, y1: number, colour: Rgb, shade = 1): void {
  // Pixel centres inside [x0, x1) × [y0, y1).
  const xa = Math.max(0, Math.ceil(x0 - 0.5));
  const xb = Math.min(frame.width, Math.ceil(x1 - 0.5));
  const ya = Math.max(0, Math.ceil(y0 - 0.5));
  const yb = Math.min(frame.height, Math.ceil(y1 - 0.5));
  for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) setPixel(frame, x, y, colour, shade);
}

/** HSV (h in degrees, s and v in [0, 1]) to RGB bytes. */
export function hsv(h: number, s: number, v: number): Rgb {
  const c = v * s;
  const hh = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  const [r, g, b] =
    hh < 1 ? [c, x, 0] : hh < 2 ? [x, c, 0] : hh < 3 ? [0, c, x] : hh < 4 ? [0, x, c] : hh < 5 ? [x, 0, c] : [c, 0, x];
  const m = v - c;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

export function mix(a: Rgb, b: Rgb, f: number): Rgb {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}
