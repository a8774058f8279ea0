/** Half-precision storage of cached training features: exact bit patterns and round-trip error. */
import { describe, expect, it } from 'vitest';
import { encodeHalf, HALF_TO_FLOAT, toHalf } from '../../../src-main/services/training/half';

describe('half precision', () => {
  it('encodes hand-checked values', () => {
    expect(toHalf(0)).toBe(0x0000);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(6)).toBe(0x4600);
    expect(toHalf(65504)).toBe(0x7bff); // largest half
    expect(toHalf(1e6)).toBe(0x7c00); // overflow → Inf
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(HALF_TO_FLOAT[toHalf(NaN)]!)).toBe(true);
    expect(HALF_TO_FLOAT[0x3555]).toBeCloseTo(0.333251953125, 12);
    expect(HALF_TO_FLOAT[0x0001]).toBe(2 ** -24);
  });

  it('round-trips every half exactly and floats within 2^-11 relative', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = HALF_TO_FLOAT[h]!;
      if (!Number.isNaN(v) && toHalf(v) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
    const src = Float32Array.from({ length: 10000 }, (_, i) => Math.sin(i) * 7);
    const dst = new Uint16Array(src.length);
    encodeHalf(src, dst);
    let worst = 0;
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      worst = Math.max(worst, Math.abs(HALF_TO_FLOAT[dst[i]!]! - v) / Math.max(Math.abs(v), 2 ** -14));
    }
    expect(worst).toBeLessThanOrEqual(2 ** -11);
  });
});
