import { describe, expect, it } from 'vitest';
import { decodeBox, decodeBoxes, encodeBox, encodeBoxes } from '../../../src-shared/detector/box-coder';

describe('Faster R-CNN box coder (10, 10, 5, 5)', () => {
  it('encodes a hand-computed example', () => {
    // Anchor: centre (0.5, 0.5), h 0.2, w 0.1. Box [0.40, 0.45, 0.64, 0.65]: centre (0.52, 0.55),
    // h 0.24, w 0.20. ty = 10·0.02/0.2 = 1; tx = 10·0.05/0.1 = 5; th = 5·ln 1.2 = 0.911608;
    // tw = 5·ln 2 = 3.465736.
    const t = encodeBox([0.4, 0.45, 0.64, 0.65], [0.5, 0.5, 0.2, 0.1]);
    expect(t[0]).toBeCloseTo(1, 5);
    expect(t[1]).toBeCloseTo(5, 5);
    expect(t[2]).toBeCloseTo(5 * Math.log(1.2), 5);
    expect(t[3]).toBeCloseTo(5 * Math.log(2), 5);
  });
  it('decodes the hand-computed example back', () => {
    const b = decodeBox([1, 5, 5 * Math.log(1.2), 5 * Math.log(2)], [0.5, 0.5, 0.2, 0.1]);
    [0.4, 0.45, 0.64, 0.65].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
  });
  it('encodes a box equal to its anchor as zeros', () => {
    const t = encodeBox([0.1, 0.2, 0.3, 0.6], [0.2, 0.4, 0.2, 0.4]);
    t.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
  });
  it('round-trips random boxes through the batched versions', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const m = 500;
    const boxes = new Float32Array(m * 4);
    const anchors = new Float32Array(m * 4);
    for (let i = 0; i < m; i++) {
      const y = rnd() * 0.8;
      const x = rnd() * 0.8;
      boxes.set([y, x, y + 0.01 + rnd() * 0.2, x + 0.01 + rnd() * 0.2], 4 * i);
      anchors.set([rnd(), rnd(), 0.02 + rnd() * 0.3, 0.02 + rnd() * 0.3], 4 * i);
    }
    const back = decodeBoxes(encodeBoxes(boxes, anchors), anchors);
    for (let i = 0; i < m * 4; i++) expect(Math.abs(back[i] - boxes[i])).toBeLessThan(1e-5);
  });
  it('keeps decoded boxes finite for an absurd size offset', () => {
    const b = decodeBox([0, 0, 1e4, 1e4], [0.5, 0.5, 0.1, 0.1]);
    b.forEach((v) => expect(Number.isFinite(v)).toBe(true));
  });
  it('rejects mismatched batch lengths', () => {
    expect(() => encodeBoxes(new Float32Array(8), new Float32Array(4))).toThrow();
  });
});
