/**
 * Camera frames as the camera gives them: I420 (a full-size Y plane, then U and V at half size each way,
 * rows packed without padding). Half the bytes of RGB, copied out of a WebCodecs VideoFrame in 0.4–0.5 ms
 * against 1.5–2.6 for RGB at 640×360 (measured in Chromium here). The service turns them into RGB with
 * the same arithmetic as Chromium's own conversion — each 2×2 block shares its chroma sample — and the
 * page checks the first frame of every camera against Chromium's RGB before it relies on it
 * (src-renderer/live/frame-grab.ts).
 */

/** The YUV→RGB matrix and range of a frame: BT.601 (SD, and what Chromium assumes when a camera says nothing) or BT.709. */
export interface YuvColour {
  matrix: 'bt601' | 'bt709';
  fullRange: boolean;
}

export const BT601_LIMITED: YuvColour = { matrix: 'bt601', fullRange: false };

/** Bytes of an I420 frame of width × height (chroma planes of ⌈w/2⌉ × ⌈h/2⌉). */
export function i420Length(width: number, height: number): number {
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
}

/** A VideoFrame's colour space (VideoColorSpace.toJSON()) → the conversion to use, or null for one this file does not do. */
export function yuvColourOf(cs: { matrix?: string | null; fullRange?: boolean | null } | null | undefined): YuvColour | null {
  const matrix = cs?.matrix ?? null;
  const fullRange = cs?.fullRange === true;
  if (matrix === null || matrix === 'smpte170m' || matrix === 'bt470bg') return { matrix: 'bt601', fullRange };
  if (matrix === 'bt709') return { matrix: 'bt709', fullRange };
  return null;
}

interface Tables {
  y: Float32Array;
  rV: Float32Array;
  gU: Float32Array;
  gV: Float32Array;
  bU: Float32Array;
}
const tableCache = new Map<string, Tables>();

function tables(c: YuvColour): Tables {
  const key = `${c.matrix}/${c.fullRange}`;
  const hit = tableCache.get(key);
  if (hit) return hit;
  const [kr, kb] = c.matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const t: Tables = { y: new Float32Array(256), rV: new Float32Array(256), gU: new Float32Array(256), gV: new Float32Array(256), bU: new Float32Array(256) };
  for (let v = 0; v < 256; v++) {
    const luma = c.fullRange ? v : ((v - 16) * 255) / 219;
    const chroma = c.fullRange ? v - 128 : ((v - 128) * 255) / 224;
    t.y[v] = luma;
    t.rV[v] = 2 * (1 - kr) * chroma;
    t.bU[v] = 2 * (1 - kb) * chroma;
    // G = (Y − kr·R − kb·B) / kg with R = Y + rV, B = Y + bU
    t.gU[v] = (-kb * 2 * (1 - kb) * chroma) / kg;
    t.gV[v] = (-kr * 2 * (1 - kr) * chroma) / kg;
  }
  tableCache.set(key, t);
  return t;
}

/** I420 (i420Length bytes) → RGB, 3 bytes per pixel row-major, into `out` (width × height × 3). */
export function i420ToRgbInto(yuv: Uint8Array, width: number, height: number, colour: YuvColour, out: Uint8Array): Uint8Array {
  if (yuv.length !== i420Length(width, height)) throw new RangeError(`i420ToRgbInto: ${yuv.length} bytes is not a ${width}×${height} I420 frame (${i420Length(width, height)})`);
  if (out.length !== width * height * 3) throw new RangeError(`i420ToRgbInto: ${out.length} bytes is not ${width}×${height}×3`);
  const t = tables(colour);
  const cw = (width + 1) >> 1;
  const uBase = width * height;
  const vBase = uBase + cw * ((height + 1) >> 1);
  // A clamped view rounds to the nearest and clips to 0…255 on store (ties to even, which a sum of these
  // tables practically never lands on).
  const o8 = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  const { y: ty, rV, gU, gV, bU } = t;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const crow = (y >> 1) * cw;
    let o = row * 3;
    // two pixels per chroma sample
    for (let x = 0; x < width; x += 2) {
      const U = yuv[uBase + crow + (x >> 1)]!;
      const V = yuv[vBase + crow + (x >> 1)]!;
      const r = rV[V]!;
      const g = gU[U]! + gV[V]!;
      const b = bU[U]!;
      let Y = ty[yuv[row + x]!]!;
      o8[o++] = Y + r;
      o8[o++] = Y + g;
      o8[o++] = Y + b;
      if (x + 1 < width) {
        Y = ty[yuv[row + x + 1]!]!;
        o8[o++] = Y + r;
        o8[o++] = Y + g;
        o8[o++] = Y + b;
      }
    }
  }
  return out;
}
