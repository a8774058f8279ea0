/**
 * `ksl detect` through the built CLI, on real ffmpeg decoding and real onnxruntime, with tiny models whose
 * scores are computed from the frame (test/main/inference/tiny-models.ts): the [-1,1] scaling, threshold,
 * max, label map, both model layouts, --video and --images, the JSON shape, and the usage errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ksl } from '../../helpers/cli';
import { makeClip } from '../../helpers/video';
import { CROP_P_WORD2, CROP_TEST_META, expectedCropBox, tinyCropModel, tinyHandScores } from '../inference/tiny-crop-model';
import { KSL_BOX_0, KSL_BOX_1, tinyKslModel, tinyTf2OnnxModel } from '../inference/tiny-models';

const LABELS = "item { id: 1 name: 'hello' display_name: '안녕하세요' }\nitem { id: 2 name: '119' }\n";

describe('ksl detect', () => {
  let dir: string;
  let kslModel: string;
  let tfModel: string;
  let images: string;
  let clip: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-detect-cli-'));
    mkdirSync(path.join(dir, 'ksl'));
    mkdirSync(path.join(dir, 'tf'));
    kslModel = path.join(dir, 'ksl', 'model.onnx');
    tfModel = path.join(dir, 'tf', 'model.onnx');
    writeFileSync(kslModel, tinyKslModel());
    writeFileSync(path.join(dir, 'ksl', 'label_map.pbtxt'), LABELS);
    mkdirSync(path.join(dir, 'two-stage'));
    writeFileSync(path.join(dir, 'two-stage', 'model.onnx'), tinyKslModel());
    writeFileSync(path.join(dir, 'two-stage', 'model.crop.onnx'), tinyCropModel());
    writeFileSync(path.join(dir, 'two-stage', 'label_map.pbtxt'), LABELS);
    writeFileSync(tfModel, tinyTf2OnnxModel());
    writeFileSync(path.join(dir, 'tf', 'label_map.pbtxt'), LABELS);
    images = path.join(dir, 'images');
    mkdirSync(images);
    // a-white, b-black, c-grey 128 (a PNG keeps the exact value).
    for (const [name, colour] of [
      ['a-white.png', 'white'],
      ['b-black.png', 'black'],
      ['c-grey.png', '0x808080'],
    ]) {
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=200x150`, '-frames:v', '1', path.join(images, name!)]);
    }
    writeFileSync(path.join(images, 'notes.txt'), 'not an image');
    clip = makeClip(path.join(dir, 'clip.mp4'), { seconds: 1, size: '640x360', rate: 25 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs our layout over images: pixels scaled to [-1,1], threshold and max applied, Korean labels', () => {
    const r = ksl(['detect', kslModel, '--images', images, '--threshold', '0.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ frames: 3, format: 'ksl', input: { width: 320, height: 320, dtype: 'float32' }, settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } });
    expect(out.fps).toBeGreaterThan(0);
    expect(out.latencyMs.p95).toBeGreaterThanOrEqual(out.latencyMs.p50);
    expect(out.latencyMs.p50).toBeGreaterThan(0);
    const [white, black, grey] = out.detections;
    expect(white.file).toBe('a-white.png');
    // White: (1 + 1) / 2 = 1 for class 1 on anchor 0, then 0.7 for class 2 on anchor 1.
    expect(white.boxes.map((b: { classId: number; label: string }) => [b.classId, b.label])).toEqual([
      [1, '안녕하세요'],
      [2, '119'],
    ]);
    expect(white.boxes[0].score).toBeCloseTo(1, 5);
    expect(white.boxes[0].box).toEqual(KSL_BOX_0.map((v) => Math.fround(v)));
    // Black: class 1 scores 0; grey 128: 128/127.5 − 1 = 0.0039 → 0.502, just above 0.5.
    expect(black.boxes.map((b: { classId: number }) => b.classId)).toEqual([2]);
    expect(grey.boxes.map((b: { classId: number }) => b.classId)).toEqual([2, 1]);
    expect(grey.boxes[1].score).toBeCloseTo((128 / 127.5 - 1 + 1) / 2, 4);

    const strict = ksl(['detect', kslModel, '--images', images, '--threshold', '0.8', '--max', '1', '--json']).json();
    expect(strict.detections.map((d: { boxes: unknown[] }) => d.boxes.length)).toEqual([1, 0, 0]);
  });

  it('runs a second stage beside the model on frames decoded at their own size, its time in the breakdown', () => {
    const r = ksl(['detect', path.join(dir, 'two-stage', 'model.onnx'), '--images', images, '--threshold', '0.3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.secondStage).toMatchObject({ file: path.join(dir, 'two-stage', 'model.crop.onnx'), ...CROP_TEST_META });
    expect(out.breakdownMs.crop).toBeGreaterThan(0);
    const grey = out.detections[2];
    expect(grey.cropMs).toBeGreaterThan(0);
    expect(grey.cropMs).toBeLessThan(grey.ms);
    // Both hands were read (in one run of the crop model).
    expect(grey.crops).toBe(2);
    expect(grey.file).toBe('c-grey.png');
    // The crop model's word (2) for both hands, scored hand × P(word), best first.
    const hands = tinyHandScores(128);
    expect(grey.boxes.map((b: { classId: number }) => b.classId)).toEqual([2, 2]);
    expect(grey.boxes[0].score).toBeCloseTo(hands[1] * CROP_P_WORD2, 4);
    expect(grey.boxes[1].score).toBeCloseTo(hands[0] * CROP_P_WORD2, 4);
    // Square crop windows in the 200×150 source frame (not the 320×320 model input) give these boxes.
    expectedCropBox(KSL_BOX_1, 200, 150).forEach((v, i) => expect(grey.boxes[0].box[i]).toBeCloseTo(v, 4));
    expectedCropBox(KSL_BOX_0, 200, 150).forEach((v, i) => expect(grey.boxes[1].box[i]).toBeCloseTo(v, 4));
  });

  it('runs a video through ffmpeg, with per-frame times, and a tf2onnx model with its own label map', () => {
    const r = ksl(['detect', kslModel, '--video', clip, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.frames).toBe(25);
    expect(out.detections).toHaveLength(25);
    expect(out.detections[5]).toMatchObject({ frame: 5, t: 0.2 });
    expect(out.source).toMatchObject({ width: 640, height: 360, fps: 25 });
    expect(Object.keys(out.breakdownMs).sort()).toEqual(['crop', 'decodeWait', 'inference', 'nms', 'preprocess']);
    // Each frame's own latency (what p50 / p95 summarise); no second stage, so no crop time.
    const ms = out.detections.map((d: { ms: number }) => d.ms);
    expect(ms.every((v: number) => v > 0)).toBe(true);
    expect(out.detections.every((d: { cropMs: number }) => d.cropMs === 0)).toBe(true);
    expect(Math.max(...ms)).toBeCloseTo(out.latencyMs.max, 1);
    expect(ms.filter((v: number) => v <= out.latencyMs.p50 + 0.01).length).toBeGreaterThanOrEqual(12);

    const labels = path.join(dir, 'other-labels.pbtxt');
    writeFileSync(labels, "item { id: 1 name: 'one' }\nitem { id: 2 name: '둘' }\n");
    const tf = ksl(['detect', tfModel, '--video', clip, '--labels', labels, '--frames', '5', '--json']);
    expect(tf.code, tf.stderr).toBe(0);
    const t = tf.json();
    expect(t).toMatchObject({ frames: 5, format: 'tf2onnx', input: { dtype: 'uint8', dynamic: true } });
    // The frame-derived row (class 2) is too dark for 0.6 on testsrc; the 0.9 row (class 1) is always there.
    expect(t.detections[0].boxes[0]).toMatchObject({ classId: 1, label: 'one' });
    // The human summary.
    const human = ksl(['detect', kslModel, '--video', clip]);
    expect(human.stdout).toMatch(/25 frames in [\d.]+ s: [\d.]+ fps, latency p50 [\d.]+ ms, p95 [\d.]+ ms/);
  });

  it('--redetect follows the hands between detector runs on a video, and never on images', () => {
    const model = path.join(dir, 'two-stage', 'model.onnx');
    const r = ksl(['detect', model, '--video', clip, '--threshold', '0.3', '--redetect', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    const tracked = out.detections.filter((d: { tracked?: boolean }) => d.tracked).map((d: { frame: number }) => d.frame);
    // The detector on frames 0, 3, 6, …; the hands it found followed on the two frames after each.
    expect(tracked).toEqual(Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 3 !== 0));
    expect(out.tracking).toMatchObject({ redetectEvery: 3, trackedFrames: tracked.length, latencyMs: { detector: { frames: 25 - tracked.length }, tracked: { frames: tracked.length } } });
    expect(out.detections.every((d: { boxes: unknown[] }) => d.boxes.length > 0)).toBe(true);
    expect(out.breakdownMs.inference).toBeGreaterThan(0);
    const images = ksl(['detect', model, '--images', path.join(dir, 'images'), '--threshold', '0.3', '--redetect', '3', '--json']).json();
    expect(images.tracking).toMatchObject({ redetectEvery: 1, trackedFrames: 0 });
    expect(ksl(['detect', model, '--video', clip, '--redetect', '0']).stderr).toMatch(/--redetect/);
    // Without --redetect a video is followed, the detector on every 30th frame (FOLLOW_REDETECT): on these
    // 25 frames, the first only.
    const byDefault = ksl(['detect', model, '--video', clip, '--threshold', '0.3', '--json']).json();
    expect(byDefault.tracking).toMatchObject({ redetectEvery: 30, trackedFrames: 24 });
  });

  it('pads a 4:3 video into a 16:9 model with ffmpeg (no stretch), as the worker would, and reports the fit', () => {
    const sub = path.join(dir, 'wide');
    mkdirSync(sub);
    const model = path.join(sub, 'model.onnx');
    writeFileSync(model, tinyKslModel(384, 224));
    writeFileSync(path.join(sub, 'label_map.pbtxt'), LABELS);
    const white = path.join(dir, 'white-4x3.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=white:s=640x480:r=10', '-t', '0.5', '-pix_fmt', 'yuv420p', white]);
    const wide = path.join(dir, 'white-16x9.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=white:s=640x360:r=10', '-t', '0.5', '-pix_fmt', 'yuv420p', wide]);
    const padded = ksl(['detect', model, '--video', white, '--json']).json();
    expect(padded.fit).toEqual({ mode: 'pad', x: 42, y: 0, width: 299, height: 224 });
    const stretched = ksl(['detect', model, '--video', wide, '--json']).json();
    expect(stretched.fit).toEqual({ mode: 'stretch' });
    // The model scores the mean of its input: (near) white everywhere when stretched, 85 of 384 columns
    // black (RGB 0, −1) when padded: (share · 1 − (1 − share) + 1) / 2 = share for white.
    const share = 299 / 384;
    expect(stretched.detections[0].boxes[0].score).toBeGreaterThan(0.97);
    for (const f of padded.detections) {
      expect(f.boxes[0].classId).toBe(1);
      expect(Math.abs(f.boxes[0].score - share)).toBeLessThan(0.012);
      // the box on the frame: x through the padding, (x · 384 − 42) / 299
      expect(f.boxes[0].box[1]).toBeCloseTo((KSL_BOX_0[1]! * 384 - 42) / 299, 4);
      expect(f.boxes[0].box[3]).toBeCloseTo((KSL_BOX_0[3]! * 384 - 42) / 299, 4);
    }
    expect(stretched.detections[0].boxes[0].box[1]).toBeCloseTo(KSL_BOX_0[1]!, 5);
  });

  it('refuses bad usage with one clear line', () => {
    const both = ksl(['detect', kslModel, '--images', images, '--video', clip]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --video FILE or --images DIR/);
    const thr = ksl(['detect', kslModel, '--images', images, '--threshold', '1.5']);
    expect(thr.code).toBe(2);
    expect(thr.stderr).toMatch(/--threshold must be a number/);
    const missing = ksl(['detect', path.join(dir, 'nope.onnx'), '--images', images]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No model at .*nope\.onnx/);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(ksl(['detect', kslModel, '--images', empty]).stderr).toMatch(/No images .* in .*empty/);
    const notModel = path.join(dir, 'text.onnx');
    writeFileSync(notModel, 'hello');
    expect(ksl(['detect', notModel, '--images', images]).stderr).toMatch(/text\.onnx is not an ONNX model/);
  });
});
