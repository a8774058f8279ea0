/**
 * A frame of another shape than a non-square model input is scaled to fit and padded, not stretched
 * (frame-fit.ts); the detector's boxes on the padded input map back to the frame.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDetector } from '../../../src-main/services/inference/detector';
import { boxesToFrame, boxToInput, frameFit, padRgbInto, PAD_ASPECT_RATIO, type FrameFit } from '../../../src-shared/frame-fit';
import { decodeFittedRgb } from '../../../src-main/services/training/decode-frames';
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

  it('places a box of the frame on the input as the frame was placed (boxesToFrame undoes it); a stretched frame’s boxes stay', () => {
    const f = frameFit(360, 640, 384, 224); // portrait: 126 wide at x 129
    if (f.mode !== 'pad') throw new Error('expected a padded fit');
    const box = { ymin: 0.25, xmin: 0.1, ymax: 0.75, xmax: 0.6, cls: 3 };
    const on = boxToInput(box, f, 384, 224);
    expect(on.cls).toBe(3);
    expect(on.xmin).toBeCloseTo((129 + 0.1 * 126) / 384, 9);
    expect(on.xmax).toBeCloseTo((129 + 0.6 * 126) / 384, 9);
    [on.ymin, on.ymax].forEach((v, i) => expect(v).toBeCloseTo([0.25, 0.75][i]!, 9));
    const back = Float32Array.from([on.ymin, on.xmin, on.ymax, on.xmax]);
    boxesToFrame(back, null, 1, f, 384, 224);
    [0.25, 0.1, 0.75, 0.6].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 5));
    expect(boxToInput(box, { mode: 'stretch' }, 384, 224)).toBe(box);
  });
});

describe('decodeFittedRgb', () => {
  it('decodes frames of two shapes into one input: the 16:9 one stretched, the portrait one scaled and padded with black', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-fitted-'));
    try {
      // white pictures, so that the picture and the bars tell apart
      const make = (name: string, size: string) => {
        const file = path.join(dir, name);
        execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=white:s=${size}`, '-frames:v', '1', file]);
        return file;
      };
      const wide = make('wide.png', '640x360');
      const tall = make('tall.png', '360x640');
      const frames = [
        { file: wide, width: 640, height: 360 },
        { file: tall, width: 360, height: 640 },
        { file: wide, width: 640, height: 360 },
      ];
      const got: { index: number; rgb: Uint8Array; fit: FrameFit }[] = [];
      await decodeFittedRgb(frames, 64, 36, (index, rgb, fit) => void got.push({ index, rgb, fit }));
      // one decode per size, each in order; every frame once
      expect(got.map((g) => g.index)).toEqual([0, 2, 1]);
      expect(got.every((g) => g.rgb.length === 64 * 36 * 3)).toBe(true);
      expect(got[0]!.fit).toEqual({ mode: 'stretch' });
      expect(Math.min(...got[0]!.rgb)).toBeGreaterThan(250);
      const fit = frameFit(360, 640, 64, 36);
      expect(got[2]!.fit).toEqual(fit);
      if (fit.mode !== 'pad') throw new Error('expected a padded fit');
      // columns outside the picture are black; inside, white
      const column = (x: number) => Array.from({ length: 36 }, (_, y) => got[2]!.rgb[(y * 64 + x) * 3]!);
      for (let x = 0; x < 64; x++) {
        const inside = x >= fit.x && x < fit.x + fit.width;
        expect(column(x).every((v) => (inside ? v > 250 : v === 0)), `column ${x}`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
