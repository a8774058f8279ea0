import { describe, expect, it } from 'vitest';
import { augmentFrame, jitterRgb, resizeCropRgb, toModelInput } from '../../../src-main/services/training/augment';

/** A w×h frame: black, with a white rectangle at [x0,x1)×[y0,y1) pixels. */
function frame(w: number, h: number, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return out;
}

/** Bounding box of the bright pixels (> 127) of an RGB image, normalised. */
function brightBox(rgb: Uint8Array, w: number, h: number) {
  let [xmin, ymin, xmax, ymax] = [w, h, -1, -1];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (rgb[(y * w + x) * 3]! > 127) {
        xmin = Math.min(xmin, x);
        ymin = Math.min(ymin, y);
        xmax = Math.max(xmax, x + 1);
        ymax = Math.max(ymax, y + 1);
      }
  return { xmin: xmin / w, ymin: ymin / h, xmax: xmax / w, ymax: ymax / h };
}

const seq = (...v: number[]) => {
  let i = 0;
  return () => v[i++ % v.length]!;
};

describe('augmentation', () => {
  const W = 160;
  const H = 90;
  // the "hand": 40..60 × 30..60 px
  const src = frame(W, H, 40, 30, 60, 60);
  const box = { xmin: 40 / W, ymin: 30 / H, xmax: 60 / W, ymax: 60 / H, cls: 2 };

  it('without crop resizes to a non-square output and keeps the boxes', () => {
    const r = augmentFrame(src, W, H, [box], { width: 64, height: 36 }, seq(0.5), { crop: false, jitter: false });
    expect(r.rgb.length).toBe(64 * 36 * 3);
    expect(r.boxes).toEqual([box]);
    const b = brightBox(r.rgb, 64, 36);
    expect(b.xmin).toBeCloseTo(box.xmin, 1);
    expect(b.ymax).toBeCloseTo(box.ymax, 1);
  });

  it('a zoom-in crop moves the box with the pixels', () => {
    // scale 0.75 + 0·0.25, crop at the top-left corner
    const r = augmentFrame(src, W, H, [box], { width: 120, height: 68 }, seq(0, 0, 0), { crop: true, jitter: false, minScale: 0.75 });
    expect(r.boxes).toHaveLength(1);
    const b = r.boxes[0]!;
    expect(b.xmin).toBeCloseTo(40 / 120, 5);
    expect(b.ymax).toBeCloseTo(60 / 67.5, 5);
    const seen = brightBox(r.rgb, 120, 68);
    expect(Math.abs(seen.xmin - b.xmin)).toBeLessThan(0.02);
    expect(Math.abs(seen.xmax - b.xmax)).toBeLessThan(0.02);
  });

  it('a zoom-out crop (maxScale > 1) shrinks the box, keeps it whole and repeats the edges outside', () => {
    // scale = 1 + 1·0.5 = 1.5 → the frame is centred-ish in a crop 1.5× its size
    const r = augmentFrame(src, W, H, [box], { width: 160, height: 90 }, seq(1, 0.5, 0.5), { crop: true, jitter: false, minScale: 1, maxScale: 1.5 });
    expect(r.boxes).toHaveLength(1);
    const b = r.boxes[0]!;
    expect((b.xmax - b.xmin) / (box.xmax - box.xmin)).toBeCloseTo(1 / 1.5, 5);
    expect((b.ymax - b.ymin) / (box.ymax - box.ymin)).toBeCloseTo(1 / 1.5, 5);
    const seen = brightBox(r.rgb, 160, 90);
    expect(Math.abs(seen.xmin - b.xmin)).toBeLessThan(0.02);
    expect(Math.abs(seen.ymax - b.ymax)).toBeLessThan(0.03);
    // outside the frame: the edge repeated (black here), not garbage
    expect(r.rgb[0]).toBe(0);
  });

  it('drops a box that the crop cuts mostly away', () => {
    const corner = { xmin: 0, ymin: 0, xmax: 20 / W, ymax: 20 / H, cls: 0 };
    // scale 0.75, crop at the bottom-right: the corner box is outside
    const r = augmentFrame(src, W, H, [corner, box], { width: 64, height: 36 }, seq(0, 1, 1), { crop: true, jitter: false, minScale: 0.75 });
    expect(r.boxes.map((b) => b.cls)).toEqual([2]);
  });

  it('jitter changes colours and is repeatable with the same random numbers', () => {
    const a = resizeCropRgb(src, W, H, 0, 0, W, H, 32, 18);
    const b = Uint8Array.from(a);
    jitterRgb(a, seq(0.9, 0.1, 0.8), 2);
    jitterRgb(b, seq(0.9, 0.1, 0.8), 2);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.some((v, i) => v !== resizeCropRgb(src, W, H, 0, 0, W, H, 32, 18)[i])).toBe(true);
  });

  it('scales bytes to [-1, 1]', () => {
    expect(Array.from(toModelInput(Uint8Array.from([0, 255, 127])))).toEqual([-1, 1, Math.fround(127 / 127.5 - 1)]);
  });
});
