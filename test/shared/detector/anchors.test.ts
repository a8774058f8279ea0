import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ANCHORS,
  anchorsPerPosition,
  featureMapShapes,
  featureMapSizes,
  generateAnchors,
  inputDims,
  numAnchors,
  numPositions,
  type AnchorConfig,
} from '../../../src-shared/detector/anchors';

// A 32 px input with strides 16 and 32: a 2×2 map and a 1×1 map, 5 positions, 6 anchors each.
const tiny: AnchorConfig = { inputSize: 32, strides: [16, 32], baseSizes: [16, 32], scalesPerOctave: 2, aspectRatios: [0.5, 1, 2] };

/** Row i of the N×4 array as a plain array. */
const row = (a: Float32Array, i: number) => Array.from(a.subarray(4 * i, 4 * i + 4));

describe('anchor counts', () => {
  it('has scalesPerOctave × ratios anchors per position and one position per feature cell', () => {
    expect(anchorsPerPosition(tiny)).toBe(6);
    expect(featureMapSizes(tiny)).toEqual([2, 1]);
    expect(numPositions(tiny)).toBe(5);
    expect(numAnchors(tiny)).toBe(30);
    expect(generateAnchors(tiny).length).toBe(30 * 4);
  });
  it('gives 2100 positions and 12 600 anchors for the 320 px default', () => {
    // 40² + 20² + 10² = 1600 + 400 + 100.
    expect(featureMapSizes(DEFAULT_ANCHORS)).toEqual([40, 20, 10]);
    expect(numPositions(DEFAULT_ANCHORS)).toBe(2100);
    expect(generateAnchors(DEFAULT_ANCHORS).length).toBe(12600 * 4);
  });
});

describe('anchor order and geometry', () => {
  const a = generateAnchors(tiny);
  it('orders level → y → x → anchor, with centres at (i + 0.5)·stride', () => {
    // Level 0 (stride 16): centres at 8 and 24 px → 0.25 and 0.75 of 32.
    for (let k = 0; k < 6; k++) expect(row(a, k).slice(0, 2)).toEqual([0.25, 0.25]); // y0 x0
    expect(row(a, 6).slice(0, 2)).toEqual([0.25, 0.75]); // y0 x1: x varies faster than y
    expect(row(a, 12).slice(0, 2)).toEqual([0.75, 0.25]); // y1 x0
    expect(row(a, 18).slice(0, 2)).toEqual([0.75, 0.75]);
    // Level 1 (stride 32): a single centre at 16 px → 0.5.
    expect(row(a, 24).slice(0, 2)).toEqual([0.5, 0.5]);
  });
  it('uses sizes base·2^(k/2) and h = s/√r, w = s·√r (scale-major, then ratio)', () => {
    const s = Math.SQRT2;
    // Level 0, base 16 px of 32: s = 0.5 then 0.5·√2.
    const expected = [
      [0.5 * s, 0.5 / s], // k0, r 0.5: h = 0.5/√0.5, w = 0.5·√0.5
      [0.5, 0.5], // k0, r 1
      [0.5 / s, 0.5 * s], // k0, r 2
      [1, 0.5], // k1 (s = 0.5√2), r 0.5: h = 0.5√2·√2 = 1, w = 0.5√2/√2 = 0.5
      [0.5 * s, 0.5 * s], // k1, r 1
      [0.5, 1], // k1, r 2
    ];
    for (let k = 0; k < 6; k++) {
      expect(row(a, k)[2]).toBeCloseTo(expected[k][0], 6);
      expect(row(a, k)[3]).toBeCloseTo(expected[k][1], 6);
      // Same shapes at every position of the level.
      expect(row(a, 18 + k)[2]).toBeCloseTo(expected[k][0], 6);
    }
    // Level 1, base 32 px: twice level 0's sizes (r 1, k 0 → 1 × 1).
    expect(row(a, 25).slice(2)).toEqual([1, 1]);
  });
  it('keeps the area s² for every aspect ratio', () => {
    const d = generateAnchors(DEFAULT_ANCHORS);
    // Position 0, k = 0: s = 16 px → (16/320)² for all three ratios.
    for (let k = 0; k < 3; k++) expect(d[4 * k + 2] * d[4 * k + 3]).toBeCloseTo((16 / 320) ** 2, 8);
  });
});

describe('anchor config validation', () => {
  it('rejects a base size list that does not match the strides', () => {
    expect(() => generateAnchors({ ...tiny, baseSizes: [16] })).toThrow(/base sizes/);
  });
  it('rejects a non-positive aspect ratio', () => {
    expect(() => generateAnchors({ ...tiny, aspectRatios: [0, 1] })).toThrow(/aspect/);
  });
});

describe('non-square input', () => {
  // 64×128 (h×w) at stride 32: a 2×4 map; one 32 px square anchor per position.
  const wide: AnchorConfig = { inputSize: 320, inputHeight: 64, inputWidth: 128, strides: [32], baseSizes: [32], scalesPerOctave: 1, aspectRatios: [1] };
  const a = generateAnchors(wide);
  it('has height × width positions per level', () => {
    expect(inputDims(wide)).toEqual({ height: 64, width: 128 });
    expect(featureMapShapes(wide)).toEqual([[2, 4]]);
    expect(numPositions(wide)).toBe(8);
    expect(a.length).toBe(8 * 4);
    expect(() => featureMapSizes(wide)).toThrow(/square/);
    // 288×512 for 16:9 video: 36×64 + 18×32 + 9×16 positions.
    expect(numPositions({ ...DEFAULT_ANCHORS, inputHeight: 288, inputWidth: 512 })).toBe(2304 + 576 + 144);
  });
  it('normalises y and h by the height, x and w by the width, so a square anchor stays square in pixels', () => {
    // Position (0,0): centre 16 px → 16/64 = 0.25 down, 16/128 = 0.125 across; 32 px → 0.5 of the height, 0.25 of the width.
    expect(row(a, 0)).toEqual([0.25, 0.125, 0.5, 0.25]);
    expect(row(a, 1)).toEqual([0.25, 0.375, 0.5, 0.25]); // x varies fastest
    expect(row(a, 4)).toEqual([0.75, 0.125, 0.5, 0.25]); // second row of the map
    expect(row(a, 7)).toEqual([0.75, 0.875, 0.5, 0.25]);
  });
  it('rejects a size that is not a positive integer', () => {
    expect(() => generateAnchors({ ...wide, inputWidth: 0 })).toThrow(/inputWidth/);
    expect(() => generateAnchors({ ...wide, inputHeight: 12.5 })).toThrow(/inputHeight/);
  });
});
