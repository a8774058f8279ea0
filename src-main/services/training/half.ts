/**
 * IEEE 754 half-precision storage for the cached training features: half the memory of float32, so
 * more augmented copies (or more channels) fit under the 4 GB budget. The features are ReLU6
 * activations and logits of moderate size; half precision keeps ~3 significant digits (relative
 * error ≤ 2⁻¹¹), far below what the head can tell apart. Test features stay float32, so the metrics
 * training reports are exactly those `ksl eval` recomputes.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → half bits, round to nearest even; overflow → ±Inf, NaN kept. */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  e = h >>> 10;
  return sign | h;
}

/** Every half bit pattern as float32 (256 KB): reading is one table lookup. */
export const HALF_TO_FLOAT: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? sign * m * 2 ** -24 : e === 0x1f ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** Converts `src` into `dst` (same length) as half bits. */
export function encodeHalf(src: Float32Array, dst: Uint16Array, dstOffset = 0): void {
  for (let i = 0; i < src.length; i++) dst[dstOffset + i] = toHalf(src[i]!);
}
