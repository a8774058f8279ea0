import { describe, expect, it } from 'vitest';
import { DEFAULT_ANCHORS, generateAnchors } from '../../../src-shared/detector/anchors';
import { BACKGROUND, IGNORED, anchorsToCorners, iouMatrix, matchAnchors } from '../../../src-shared/detector/matcher';

// Anchors as [cy, cx, h, w]:
//   A0 centre 0.5, 0.2 × 0.2 → corners [0.40, 0.40, 0.60, 0.60], area 0.04
//   A1 centre 0.2, 0.2 × 0.2 → [0.10, 0.10, 0.30, 0.30]
//   A2 centre 0.8, 0.4 × 0.4 → [0.60, 0.60, 1.00, 1.00]
//   A3 centre 0.5, 0.3 × 0.3 → [0.35, 0.35, 0.65, 0.65], area 0.09
const anchors = new Float32Array([0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.4, 0.4, 0.5, 0.5, 0.3, 0.3]);

describe('iouMatrix', () => {
  it('matches hand-computed overlaps', () => {
    // [0,0,2,2] vs [1,1,3,3]: intersection 1, union 4 + 4 − 1 = 7.
    const m = iouMatrix([0, 0, 2, 2], [1, 1, 3, 3, 0, 0, 2, 2, 5, 5, 6, 6]);
    expect(m[0]).toBeCloseTo(1 / 7, 6);
    expect(m[1]).toBe(1);
    expect(m[2]).toBe(0);
  });
  it('is K×M row-major', () => {
    const m = iouMatrix([0, 0, 1, 1, 0, 0, 2, 2], [0, 0, 1, 1, 0, 0, 2, 2, 9, 9, 10, 10]);
    // Row 1 (the 2×2 box) vs column 0 (the 1×1 box): 1/4.
    expect(Array.from(m)).toEqual([1, 0.25, 0, 0.25, 1, 0]);
  });
  it('converts anchors to corners', () => {
    expect(Array.from(anchorsToCorners(anchors).subarray(0, 4)).map((v) => +v.toFixed(6))).toEqual([0.4, 0.4, 0.6, 0.6]);
  });
});

describe('matchAnchors', () => {
  it('matches anchors at IoU ≥ 0.5 and leaves the rest as background', () => {
    // Box [0.4, 0.4, 0.6, 0.62]: area 0.044, intersection with A0 0.04 → IoU 0.909; A3: 0.044/0.09 = 0.49.
    const r = matchAnchors([0.4, 0.4, 0.6, 0.62], [3], anchors);
    expect(Array.from(r.cls)).toEqual([3, BACKGROUND, BACKGROUND, BACKGROUND]);
    expect(Array.from(r.gtIndex)).toEqual([0, BACKGROUND, BACKGROUND, BACKGROUND]);
    expect(r.numMatched).toBe(1);
  });
  it('force-matches a tiny box whose best IoU is far below 0.5', () => {
    // 0.05 × 0.05 box inside A0: IoU with A0 = 0.0025 / 0.04 = 0.0625, with A3 = 0.0278.
    const tiny = [0.45, 0.45, 0.5, 0.5];
    const forced = matchAnchors(tiny, [1], anchors);
    expect(Array.from(forced.cls)).toEqual([1, BACKGROUND, BACKGROUND, BACKGROUND]);
    expect(forced.numMatched).toBe(1);
    const notForced = matchAnchors(tiny, [1], anchors, { forceMatchForEachRow: false });
    expect(notForced.numMatched).toBe(0);
  });
  it("gives a second box that shares the first box's best anchor its next-best anchor", () => {
    // Both tiny boxes have IoU 0.0625 with A0 (their best) and 0.0278 with A3. The OD API would force
    // A0 to box 0 only and leave box 1 without any anchor; here box 1 takes A3.
    const r = matchAnchors([0.45, 0.45, 0.5, 0.5, 0.5, 0.5, 0.55, 0.55], [0, 1], anchors);
    expect(Array.from(r.gtIndex)).toEqual([0, BACKGROUND, BACKGROUND, 1]);
    expect(Array.from(r.cls)).toEqual([0, BACKGROUND, BACKGROUND, 1]);
  });
  it('ignores anchors between the thresholds when they differ', () => {
    // Box [0.4, 0.4, 0.6, 0.48]: area 0.016, all inside A0 → IoU 0.016 / 0.04 = 0.4.
    const r = matchAnchors([0.4, 0.4, 0.6, 0.48], [2], anchors, {
      matchedThreshold: 0.5,
      unmatchedThreshold: 0.3,
      forceMatchForEachRow: false,
    });
    expect(r.cls[0]).toBe(IGNORED);
    expect(r.cls[1]).toBe(BACKGROUND);
    expect(r.numMatched).toBe(0);
  });
  it('returns all background for an image without boxes, and skips empty boxes', () => {
    expect(matchAnchors([], [], anchors).numMatched).toBe(0);
    // A zero-area box overlaps nothing; it must not force-match anchor 0.
    expect(matchAnchors([0.5, 0.5, 0.5, 0.7], [0], anchors).numMatched).toBe(0);
  });
  it('matches a 10 px hand on the 320 px default anchors', () => {
    const a = generateAnchors(DEFAULT_ANCHORS);
    const s = 1 / 320;
    // The smallest anchors are 16 px, so IoU ≤ 100/256 < 0.5: only the force-match gives it a positive.
    const r = matchAnchors([155 * s, 100 * s, 165 * s, 110 * s], [4], a);
    expect(r.numMatched).toBeGreaterThanOrEqual(1);
    const j = r.cls.indexOf(4);
    // Its anchor is one of the finest level's (the first 40·40·6 anchors), near the box centre.
    expect(j).toBeLessThan(40 * 40 * 6);
    expect(Math.abs(a[4 * j] - 160 * s)).toBeLessThanOrEqual(4 * s);
    expect(Math.abs(a[4 * j + 1] - 105 * s)).toBeLessThanOrEqual(4 * s);
  });
  it('rejects mismatched boxes and classes', () => {
    expect(() => matchAnchors([0, 0, 1, 1], [0, 1], anchors)).toThrow();
  });
});
