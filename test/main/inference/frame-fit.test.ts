/**
 * A frame of another shape than a non-square model input is scaled to fit and padded, not stretched
 * (frame-fit.ts); the detector's boxes on the padded input map back to the frame.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDetector } from '../../../src-main/services/inference/detector';
import { boxesToFrame, frameFit, padRgbInto, PAD_ASPECT_RATIO } from '../../../src-shared/frame-fit';
import { KSL_BOX_0, KSL_BOX_1, tinyKslModel } from './tiny-models';

describe('frameFit', () => {
  it('stretches frames of about the input’s shape, as training did, and always into a square input', () => {
    // 16:9 into 384×224 (1.71): 3.7% apart, the stretch training itself made
    expect(frameFit(1280, 720, 384, 224)).toEqual({ mode: 'stretch' });
    expect(frameFit(640, 360, 384, 224)).toEqual({ mode: 'stretch' });
    // square inputs were trained on frames stretched from any shape
    expect(frameFit(640, 480, 320, 320)).toEqual({ mode: 'stretch' });
    expect(frameFit(1280, 720, 320, 320)).toEqual({ mode: 'stretch' });
    // just inside the limit
    expect(frameFit(Math.round(224 * (384 / 224) * (PAD_ASPECT_RATIO - 0.01)), 224, 384, 224)).toEqual({ mode: 'stretch' });
  });

  it('pads a 4:3 frame into a 16:9 input at full height, bars left and right; a wider one above and below', () => {
    // 640×480 into 384×224: 224 × 4/3 = 298.67 → 299 wide, centred
    expect(frameFit(640, 480, 384, 224)).toEqual({ mode: 'pad', x: 42, y: 0, width: 299, height: 224 });
    // portrait phone footage into a landscape input
    expect(frameFit(360, 640, 384, 224)).toEqual({ mode: 'pad', x: 129, y: 0, width: 126, height: 224 });
    // 21:9 into 16:9: full width, bars above and below
    expect(frameFit(2560, 1080, 384, 224)).toEqual({ mode: 'pad', x: 0, y: 31, width: 384, height: 162 });
    // a 4:3 input (a 4:3 dataset) gets 16:9 frames padded above and below
    expect(frameFit(1280, 720, 320, 256)).toEqual({ mode: 'pad', x: 0, y: 38, width: 320, height: 180 });
  });
});

describe('padRgbInto and boxesToFrame', () => {
  it('places the scaled frame at its offset with black around it, and maps boxes on the input back to the frame', () => {
    const fit = { mode: 'pad' as const, x: 2, y: 0, width: 3, height: 2 };
    const inner = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i + 1);
    const out = padRgbInto(inner, fit, 7, 2, new Uint8Array(7 * 2 * 3).fill(99));
    const px = (x: number, y: number) => Array.from(out.subarray((y * 7 + x) * 3, (y * 7 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([0, 0, 0]);
    expect(px(1, 1)).toEqual([0, 0, 0]);
    expect(px(2, 0)).toEqual([1, 2, 3]);
    expect(px(4, 1)).toEqual([16, 17, 18]);
    expect(px(5, 0)).toEqual([0, 0, 0]);
    expect(px(6, 1)).toEqual([0, 0, 0]);
    expect(() => padRgbInto(inner, fit, 7, 3, new Uint8Array(7 * 2 * 3))).toThrow(/7×3×3/);

    // 640×480 in 384×224 at x 42, 299 wide. A box covering exactly the frame's area on the input is the
    // whole frame; one on the left bar is empty and its scores are zeroed; one across the edge is clipped.
    const f = frameFit(640, 480, 384, 224);
    if (f.mode !== 'pad') throw new Error('expected a padded fit');
    const boxes = Float32Array.from([0, 42 / 384, 1, (42 + 299) / 384, 0.25, 0, 0.5, 30 / 384, 0.5, 0, 0.75, (42 + 149.5) / 384]);
    const scores = Float32Array.from([0.9, 0.1, 0.8, 0.7, 0.6, 0.5]);
    boxesToFrame(boxes, scores, 2, f, 384, 224);
    const b = Array.from(boxes);
    [0, 0, 1, 1].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    expect(b[5]).toBe(0);
    expect(b[7]).toBe(0); // the second box is empty: on the bar
    [0.5, 0, 0.75, 0.5].forEach((v, i) => expect(b[8 + i]).toBeCloseTo(v, 5));
    expect(Array.from(scores)).toEqual([Math.fround(0.9), Math.fround(0.1), 0, 0, Math.fround(0.6), Math.fround(0.5)]);
  });
});

describe('a detector with a 384×224 input', () => {
  it('pads a white 4:3 frame (the model sees the black bars) and gives its boxes on the frame; stretches a 16:9 one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-frame-fit-'));
    try {
      const file = path.join(dir, 'model.onnx');
      // tinyKslModel: anchor 0 class 1 scores (mean input + 1) / 2, anchor 1 class 2 scores 0.7; fixed boxes
      writeFileSync(file, tinyKslModel(384, 224));
      const d = await openDetector(file);
      try {
        const s = { threshold: 0.5, iou: 0.6, maxDetections: 5 };
        const wide = await d.detect(new Uint8Array(640 * 360 * 3).fill(255), 640, 360, s);
        expect(wide.detections.map((x) => x.classId)).toEqual([1, 2]);
        expect(wide.detections[0]!.score).toBeCloseTo(1, 5);
        wide.detections[0]!.box.forEach((v, i) => expect(v).toBeCloseTo(KSL_BOX_0[i]!, 5));

        const r = await d.detect(new Uint8Array(640 * 480 * 3).fill(255), 640, 480, s);
        // 299 of 384 columns white (1), 85 black (−1): mean 0.557, score 0.779
        const white = 299 / 384;
        expect(r.detections[0]!.classId).toBe(1);
        expect(r.detections[0]!.score).toBeCloseTo((white - (1 - white) + 1) / 2, 3);
        // x on the input → x on the frame: (x · 384 − 42) / 299; y unchanged (full height)
        const toFrame = (b: readonly number[]) => [b[0]!, (b[1]! * 384 - 42) / 299, b[2]!, (b[3]! * 384 - 42) / 299];
        r.detections[0]!.box.forEach((v, i) => expect(v).toBeCloseTo(toFrame(KSL_BOX_0)[i]!, 5));
        r.detections[1]!.box.forEach((v, i) => expect(v).toBeCloseTo(toFrame(KSL_BOX_1)[i]!, 5));
      } finally {
        await d.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
