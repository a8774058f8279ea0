import { describe, expect, it } from 'vitest';
import {
  boxFromCorners,
  clampBox,
  interpolateBoxes,
  iou,
  isDegenerate,
  keepInside,
  normalizeBox,
  truncated,
} from '../../../src-shared/geometry/boxes';

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint or empty boxes', () => {
    expect(iou({ x: 1, y: 2, w: 3, h: 4 }, { x: 1, y: 2, w: 3, h: 4 })).toBe(1);
    expect(iou({ x: 0, y: 0, w: 2, h: 2 }, { x: 5, y: 5, w: 2, h: 2 })).toBe(0);
    expect(iou({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 })).toBe(0);
  });
  it('matches a hand-computed overlap', () => {
    // 10×10 boxes offset by 5 in x: intersection 5×10 = 50, union 150.
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(1 / 3, 12);
  });
});

describe('clampBox', () => {
  it('leaves a box inside the image alone', () => {
    expect(clampBox({ x: 1, y: 1, w: 10, h: 10 }, 64, 48)).toEqual({ box: { x: 1, y: 1, w: 10, h: 10 }, clamped: false });
  });
  it('cuts what runs past each edge and says so', () => {
    expect(clampBox({ x: -5, y: 40, w: 20, h: 20 }, 64, 48)).toEqual({ box: { x: 0, y: 40, w: 15, h: 8 }, clamped: true });
    expect(clampBox({ x: 60, y: -2, w: 10, h: 4 }, 64, 48)).toEqual({ box: { x: 60, y: 0, w: 4, h: 2 }, clamped: true });
  });
  it('gives a degenerate box for one entirely outside', () => {
    const r = clampBox({ x: 100, y: 10, w: 10, h: 10 }, 64, 48);
    expect(r.clamped).toBe(true);
    expect(isDegenerate(r.box)).toBe(true);
  });
  it('normalises a negative size', () => {
    expect(normalizeBox({ x: 10, y: 10, w: -4, h: -2 })).toEqual({ x: 6, y: 8, w: 4, h: 2 });
    expect(boxFromCorners({ x: 10, y: 3 }, { x: 2, y: 9 })).toEqual({ x: 2, y: 3, w: 8, h: 6 });
  });
});

describe('keepInside', () => {
  it('slides a box back without shrinking it', () => {
    expect(keepInside({ x: 58, y: -3, w: 10, h: 10 }, 64, 48)).toEqual({ x: 54, y: 0, w: 10, h: 10 });
  });
});

describe('isDegenerate', () => {
  it('refuses tiny, zero and non-finite boxes', () => {
    expect(isDegenerate({ x: 0, y: 0, w: 3, h: 10 }, 4)).toBe(true);
    expect(isDegenerate({ x: 0, y: 0, w: 4, h: 4 }, 4)).toBe(false);
    expect(isDegenerate({ x: NaN, y: 0, w: 4, h: 4 })).toBe(true);
    expect(isDegenerate({ x: 0, y: 0, w: 0, h: 5 })).toBe(true);
  });
});

describe('truncated (labelImg pascal_voc_io.py rule)', () => {
  // labelImg: int(ymax) == height or int(ymin) == 1 → 1; elif int(xmax) == width or int(xmin) == 1 → 1.
  const W = 64;
  const H = 48;
  const fromVoc = (xmin: number, ymin: number, xmax: number, ymax: number) => ({ x: xmin, y: ymin, w: xmax - xmin, h: ymax - ymin });
  it('flags a box touching any edge', () => {
    expect(truncated(fromVoc(1, 10, 20, 20), W, H)).toBe(true); // xmin == 1
    expect(truncated(fromVoc(10, 1, 20, 20), W, H)).toBe(true); // ymin == 1
    expect(truncated(fromVoc(10, 10, 64, 20), W, H)).toBe(true); // xmax == width
    expect(truncated(fromVoc(10, 10, 20, 48), W, H)).toBe(true); // ymax == height
    expect(truncated(fromVoc(0, 10, 20, 20), W, H)).toBe(true); // labelImg would have raised xmin to 1
  });
  it('does not flag a box one pixel in from the far edge (labelImg compares with width, not width-1)', () => {
    expect(truncated(fromVoc(2, 2, 63, 47), W, H)).toBe(false);
    expect(truncated(fromVoc(10, 10, 20, 20), W, H)).toBe(false);
  });
  it('uses int() truncation like labelImg', () => {
    expect(truncated(fromVoc(1.9, 10, 20, 20), W, H)).toBe(true); // int(1.9) == 1
    expect(truncated(fromVoc(10, 10, 63.9, 20), W, H)).toBe(false); // int(63.9) == 63
  });
});

describe('interpolateBoxes', () => {
  it('moves each coordinate linearly in time (hand-computed)', () => {
    const k0 = { t: 1, box: { x: 10, y: 20, w: 30, h: 40 } };
    const k1 = { t: 3, box: { x: 20, y: 10, w: 50, h: 40 } };
    expect(interpolateBoxes(k0, k1, 1)).toEqual(k0.box);
    expect(interpolateBoxes(k0, k1, 3)).toEqual(k1.box);
    // a quarter of the way: x 10 + 10/4, y 20 − 10/4, w 30 + 20/4
    expect(interpolateBoxes(k0, k1, 1.5)).toEqual({ x: 12.5, y: 17.5, w: 35, h: 40 });
    expect(interpolateBoxes(k0, k1, 2)).toEqual({ x: 15, y: 15, w: 40, h: 40 });
  });
  it('returns the first keyframe when both share a time', () => {
    expect(interpolateBoxes({ t: 2, box: { x: 1, y: 1, w: 1, h: 1 } }, { t: 2, box: { x: 9, y: 9, w: 9, h: 9 } }, 2)).toEqual({ x: 1, y: 1, w: 1, h: 1 });
  });
});
