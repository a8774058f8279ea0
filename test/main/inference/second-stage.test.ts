/**
 * The second stage in the detector: with `<model stem>.crop.onnx` beside a KSL model, the detector's boxes
 * only propose hands, each is cropped from the frame at the frame's own size, and the crop model decides
 * the word (score = hand score × P(word)) and the box. The stage-1 model is tiny-models' tinyKslModel (two
 * anchors, two classes); the crop model (tiny-crop-model.ts) is the real export graph with weights whose
 * biases make word 2 win whatever the crop, and a fixed box offset.
 * Without the file, the same model answers from its own class scores, as before.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropModelFile, openDetector, readCropMeta, regionFor, regionHolds, steadyBox } from '../../../src-main/services/inference/detector';
import { InferenceService } from '../../../src-main/services/inference/inference-service';
import { biasedCropWeights, CROP_P_WORD2 as P_WORD2, CROP_TEST_META as META, expectedCropBox as expectedBox, tinyCropModel, tinyHandScores } from './tiny-crop-model';
import { buildCropClassifierOnnx } from '../../../src-main/services/detector/export-onnx';
import { classifyCrop, cropReads, cropRgb, cropWindow } from '../../../src-main/services/training/crop-classifier';
import { KSL_BOX_0, KSL_BOX_1, tinyKslModel } from './tiny-models';

const LABEL_MAP = `item {\n  id: 1\n  name: 'hello'\n  display_name: '안녕하세요'\n}\nitem {\n  id: 2\n  name: 'thanks'\n  display_name: '감사합니다'\n}\n`;

const grey = (w: number, h: number) => new Uint8Array(w * h * 3).fill(128);
const BRIGHTNESS = (128 / 127.5 - 1 + 1) / 2;
const HAND = tinyHandScores(128);

describe('a KSL model with a second stage beside it', () => {
  let dir: string;
  let model: string;
  let alone: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-second-stage-'));
    model = path.join(dir, 'model.onnx');
    writeFileSync(model, tinyKslModel());
    writeFileSync(cropModelFile(model), tinyCropModel());
    writeFileSync(path.join(dir, 'label_map.pbtxt'), LABEL_MAP);
    // The same detector without a crop model, in the same folder (the label map is shared).
    alone = path.join(dir, 'alone.onnx');
    copyFileSync(model, alone);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the crop file model.crop.onnx and writes its metadata', () => {
    expect(cropModelFile('/x/runs/r1/model.onnx')).toBe('/x/runs/r1/model.crop.onnx');
    expect(cropModelFile('/x/detector.ONNX')).toBe('/x/detector.crop.onnx');
    expect(readCropMeta(readFileSync(cropModelFile(model)))).toEqual(META);
  });

  it('gives the crop model’s word, scored hand × P(word), with the box refined in the frame’s own pixels', async () => {
    const d = await openDetector(model);
    try {
      expect(d.info.secondStage).toEqual({ file: cropModelFile(model), ...META });
      // 640×480: stage 1 sees the frame stretched to 320×320; the crops are squares in the 640×480 frame.
      const W = 640;
      const H = 480;
      const r = await d.detect(grey(W, H), W, H, { threshold: 0.3, iou: 0.6, maxDetections: 5 });
      expect(r.detections.map((x) => [x.classId, x.label])).toEqual([
        [2, '감사합니다'],
        [2, '감사합니다'],
      ]);
      // Best first: anchor 1 (hand 0.73), then anchor 0.
      expect(r.detections[0]!.score).toBeCloseTo(HAND[1]! * P_WORD2, 5);
      expect(r.detections[1]!.score).toBeCloseTo(HAND[0]! * P_WORD2, 5);
      const close = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
      close(r.detections[0]!.box, expectedBox(KSL_BOX_1, W, H));
      close(r.detections[1]!.box, expectedBox(KSL_BOX_0, W, H));
      expect(r.timing.cropMs).toBeGreaterThan(0);
      expect(r.timing.nmsMs).toBe(0);

      // The final threshold applies to hand × p: 0.53 × 0.95 < 0.6 drops anchor 0.
      const strict = await d.detect(grey(W, H), W, H, { threshold: 0.6 });
      expect(strict.detections.map((x) => [x.classId, Number(x.score.toFixed(4))])).toEqual([[2, Number((HAND[1]! * P_WORD2).toFixed(4))]]);
      // maxDetections caps the candidates and the result.
      expect((await d.detect(grey(W, H), W, H, { threshold: 0.3, maxDetections: 1 })).detections).toHaveLength(1);
    } finally {
      await d.close();
    }
  });

  it('a "no sign" output takes its share from every word, in the exported graph as in the app', async () => {
    // Three outputs (2 words + "no sign" last) with logits 0, 3, 2: word 2 keeps e³ / (1 + e³ + e²).
    const w = { ...biasedCropWeights(), classes: 3, background: true, w2: new Float32Array(4 * 3), b2: Float32Array.from([0, 3, 2]) };
    const pWord2 = Math.exp(3) / (1 + Math.exp(3) + Math.exp(2));
    const js = classifyCrop(w, new Float32Array(w.inputs));
    expect(js.probs).toHaveLength(2);
    expect(js.probs[1]).toBeCloseTo(pWord2, 6);
    const sub = mkdtempSync(path.join(os.tmpdir(), 'ksl-no-sign-'));
    try {
      const m = path.join(sub, 'model.onnx');
      writeFileSync(m, tinyKslModel());
      writeFileSync(cropModelFile(m), buildCropClassifierOnnx(w, META, 'no-sign test').bytes);
      writeFileSync(path.join(sub, 'label_map.pbtxt'), LABEL_MAP);
      const d = await openDetector(m);
      try {
        const r = await d.detect(grey(640, 480), 640, 480, { threshold: 0.3, iou: 0.6, maxDetections: 5 });
        expect(r.detections.map((x) => x.classId)).toEqual([2, 2]);
        expect(r.detections[0]!.score).toBeCloseTo(HAND[1]! * pWord2, 5);
        // 0.73 × 0.71 ≈ 0.52: below the default 0.6, where the word alone (0.95) would have passed.
        expect((await d.detect(grey(640, 480), 640, 480, { threshold: 0.6 })).detections).toEqual([]);
      } finally {
        await d.close();
      }
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('follows the hands between detector runs on a stream (redetectEvery), never on unrelated frames', async () => {
    const d = await openDetector(model, { redetectEvery: 3 });
    const W = 640;
    const H = 480;
    const s = { threshold: 0.3, iou: 0.6, maxDetections: 5 };
    const close = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    try {
      const first = await d.detect(grey(W, H), W, H, s, undefined, { track: true });
      expect(first.timing.tracked).toBeUndefined();
      expect(first.timing.inferenceMs).toBeGreaterThan(0);
      // Frames 2 and 3: no detector; each hand is cropped at the box the last frame's close-up gave it, and
      // keeps the detector's hand score (so the score stays hand × P(word)). The tiny crop model moves
      // every box the same way, so the hands' boxes converge and the class-wise NMS may merge them: the
      // best (anchor 1's hand) is followed exactly.
      expect(first.detections).toHaveLength(2);
      // Each frame's crop is at the last refined box, held within steadyBox's limits of the box it came from.
      let from: readonly number[] = KSL_BOX_1;
      let box = first.detections[0]!.box;
      for (let k = 0; k < 2; k++) {
        from = steadyBox(from, box);
        const next = await d.detect(grey(W, H), W, H, s, undefined, { track: true });
        expect(next.timing).toMatchObject({ tracked: true, inferenceMs: 0, preprocessMs: 0 });
        expect(next.timing.cropMs).toBeGreaterThan(0);
        expect(next.detections.length).toBeGreaterThanOrEqual(1);
        expect(next.detections.every((x) => x.classId === 2)).toBe(true);
        expect(next.detections[0]!.score).toBeCloseTo(HAND[1]! * P_WORD2, 5);
        close(next.detections[0]!.box, expectedBox(from, W, H));
        box = next.detections[0]!.box;
      }
      // Frame 4: the detector again, its boxes from scratch.
      const fourth = await d.detect(grey(W, H), W, H, s, undefined, { track: true });
      expect(fourth.timing.tracked).toBeUndefined();
      close(fourth.detections[0]!.box, expectedBox(KSL_BOX_1, W, H));
      // Streams are followed apart: a second camera's first frame runs the detector, and the first
      // camera's hands are still followed after it.
      const other = await d.detect(grey(W, H), W, H, s, undefined, { track: true, stream: 'kiosk' });
      expect(other.timing.tracked).toBeUndefined();
      expect((await d.detect(grey(W, H), W, H, s, undefined, { track: true })).timing.tracked).toBe(true);
      expect((await d.detect(grey(W, H), W, H, s, undefined, { track: true, stream: 'kiosk' })).timing.tracked).toBe(true);
      // Calls without `track` (unrelated images: proposals, folders) always run the detector.
      for (let k = 0; k < 3; k++) expect((await d.detect(grey(W, H), W, H, s)).timing.tracked).toBeUndefined();
      // A hand that no longer reads as a word at the threshold is dropped; with none left, the next frame
      // runs the detector.
      const none = await d.detect(grey(W, H), W, H, { ...s, threshold: 0.99 }, undefined, { track: true });
      expect(none).toMatchObject({ detections: [], timing: { tracked: true } });
      expect((await d.detect(grey(W, H), W, H, s, undefined, { track: true })).timing.tracked).toBeUndefined();
    } finally {
      await d.close();
    }
  });

  it('reads all of a frame’s hands in one run of the crop model, each crop answered as if alone; older one-crop exports still read', async () => {
    // Weights that look at the crop (w1 ≠ 0), so that crops mixed up or misaligned in a batch would show.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const base = biasedCropWeights();
    const w = { ...base, w1: base.w1.map(() => rand() * 0.05), w2: Float32Array.from({ length: base.hidden * 2 }, () => rand()), b2: new Float32Array(2), wBox: Float32Array.from({ length: base.hidden * 4 }, () => rand() * 0.2) };
    const batched = buildCropClassifierOnnx(w, META, 'batched');
    const single = buildCropClassifierOnnx(w, META, 'one crop per run', { oneCropPerRun: true });
    expect(batched.inputs[0]!.shape).toEqual(['crops', META.cropSize, META.cropSize, 3]);
    expect(single.inputs[0]!.shape).toEqual([1, META.cropSize, META.cropSize, 3]);

    // The graph: three different crops in one run against each alone.
    const ort = await import('onnxruntime-node');
    const S = META.cropSize;
    const crops = [0, 1, 2].map((k) => Float32Array.from({ length: S * S * 3 }, (_, i) => Math.sin(i * (k + 1) * 0.013) * (k === 1 ? -1 : 1)));
    const session = await ort.InferenceSession.create(batched.bytes);
    try {
      const x = new Float32Array(3 * S * S * 3);
      crops.forEach((c, k) => x.set(c, k * S * S * 3));
      const all = await session.run({ crop: new ort.Tensor('float32', x, [3, S, S, 3]) });
      expect(all.word_probs!.dims).toEqual([3, 2]);
      const alone = await Promise.all(crops.map(async (c) => session.run({ crop: new ort.Tensor('float32', c, [1, S, S, 3]) })));
      const probs = alone.map((o) => (o.word_probs!.data as Float32Array)[1]!);
      const dx = alone.map((o) => (o.box_offsets!.data as Float32Array)[0]!);
      // the crops do differ: a batch that answered one crop three times would fail below
      expect(Math.abs(probs[0]! - probs[1]!)).toBeGreaterThan(0.01);
      expect(Math.abs(dx[0]! - dx[2]!)).toBeGreaterThan(0.01);
      alone.forEach((o, k) => {
        (o.word_probs!.data as Float32Array).forEach((v, j) => expect((all.word_probs!.data as Float32Array)[k * 2 + j]).toBeCloseTo(v, 5));
        (o.box_offsets!.data as Float32Array).forEach((v, j) => expect((all.box_offsets!.data as Float32Array)[k * 4 + j]).toBeCloseTo(v, 5));
      });
    } finally {
      await session.release();
    }

    // The detector: a frame with two hands to read gives the same words, scores and boxes with either file.
    const sub = mkdtempSync(path.join(os.tmpdir(), 'ksl-crop-batch-'));
    try {
      const frame = new Uint8Array(640 * 480 * 3).map((_, i) => (i * 7 + ((i / 1920) | 0) * 3) & 255);
      const answers = [];
      for (const [name, built] of [['batched', batched], ['single', single]] as const) {
        const m = path.join(sub, `${name}.onnx`);
        writeFileSync(m, tinyKslModel());
        writeFileSync(cropModelFile(m), built.bytes);
        writeFileSync(path.join(sub, 'label_map.pbtxt'), LABEL_MAP);
        const d = await openDetector(m);
        try {
          answers.push((await d.detect(frame, 640, 480, { threshold: 0.01, iou: 0.6, maxDetections: 5 })).detections);
        } finally {
          await d.close();
        }
      }
      const [one, other] = answers;
      expect(one!.length).toBe(2);
      expect(other!.map((x) => x.classId)).toEqual(one!.map((x) => x.classId));
      other!.forEach((x, i) => {
        expect(x.score).toBeCloseTo(one![i]!.score, 5);
        x.box.forEach((v, j) => expect(v).toBeCloseTo(one![i]!.box[j]!, 5));
      });
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('reads a followed frame from only the region its last answer named, exactly as from the whole frame', async () => {
    // A crop model that looks at the pixels (so a region cut or indexed wrongly would change the answer),
    // and frames with texture everywhere, changing from frame to frame.
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const base = biasedCropWeights();
    // Small box refinements around the hand's own size (the window is `pad` times the hand): the tiny
    // detector's hand is already a third of the frame.
    const keep = 5 * Math.log(1 / META.pad);
    const w = { ...base, w1: base.w1.map(() => rand() * 0.05), w2: Float32Array.from({ length: base.hidden * 2 }, () => rand()), b2: Float32Array.from([0, 2]), wBox: Float32Array.from({ length: base.hidden * 4 }, () => rand() * 0.01), bBox: Float32Array.from([0, 0, keep, keep]) };
    const W = 640;
    const H = 480;
    const frameAt = (k: number) => new Uint8Array(W * H * 3).map((_, i) => (i * (7 + k) + ((i / (W * 3)) | 0) * (3 + 2 * k)) & 255);
    const cut = (f: Uint8Array, r: { x: number; y: number; width: number; height: number }) => {
      const o = new Uint8Array(r.width * r.height * 3);
      for (let y = 0; y < r.height; y++) o.set(f.subarray(((r.y + y) * W + r.x) * 3, ((r.y + y) * W + r.x + r.width) * 3), y * r.width * 3);
      return o;
    };
    const sub = mkdtempSync(path.join(os.tmpdir(), 'ksl-region-'));
    const m = path.join(sub, 'model.onnx');
    writeFileSync(m, tinyKslModel());
    writeFileSync(cropModelFile(m), buildCropClassifierOnnx(w, META, 'region test').bytes);
    writeFileSync(path.join(sub, 'label_map.pbtxt'), LABEL_MAP);
    // One hand (maxDetections 1): the tiny model's boxes are big, and two would ask for most of the frame.
    const s = { threshold: 0.01, iou: 0.6, maxDetections: 1 };
    const whole = await openDetector(m, { redetectEvery: 4 });
    const parts = await openDetector(m, { redetectEvery: 4 });
    try {
      let next: { x: number; y: number; width: number; height: number } | undefined;
      let regionFrames = 0;
      for (let k = 0; k < 8; k++) {
        const f = frameAt(k);
        const a = await whole.detect(f, W, H, s, undefined, { track: true });
        const b = next ? await parts.detect(cut(f, next), W, H, s, undefined, { track: true, region: next }) : await parts.detect(f, W, H, s, undefined, { track: true });
        if (next) regionFrames++;
        expect(b.incomplete).toBeUndefined();
        expect(b.detections).toHaveLength(1);
        expect(b.detections).toEqual(a.detections);
        // Frames 0 and 4 run the detector; 1–3 and 5–7 follow, and each answer but the third names the next
        // frame's region: even-aligned, inside the frame, under 80% of it.
        expect(a.timing.tracked).toBe(k % 4 === 0 ? undefined : true);
        expect(b.next === undefined).toBe(k % 4 === 3);
        expect(b.next).toEqual(a.next);
        if (b.next) {
          const r = b.next;
          expect([r.x, r.y, r.width, r.height].every((v) => v % 2 === 0)).toBe(true);
          expect(r.x + r.width).toBeLessThanOrEqual(W);
          expect(r.y + r.height).toBeLessThanOrEqual(H);
          expect(r.width * r.height).toBeLessThan(0.8 * W * H);
        }
        next = b.next;
      }
      expect(regionFrames).toBe(6);

      // A region when the whole picture is needed: nothing detected, `incomplete`, and the stream as it was.
      // Frame 8 is the detector's turn.
      const f = frameAt(8);
      const region = { x: 100, y: 100, width: 200, height: 200 };
      expect(await parts.detect(cut(f, region), W, H, s, undefined, { track: true, region })).toEqual({ detections: [], timing: { preprocessMs: 0, inferenceMs: 0, nmsMs: 0, cropMs: 0 }, incomplete: true });
      const detector = await parts.detect(f, W, H, s, undefined, { track: true });
      expect(detector.timing.tracked).toBeUndefined();
      expect(detector.next).toBeDefined();
      // A region 2 px off the one named misses some of the close-up's pixels: incomplete again, and the
      // whole frame after it is still followed.
      const off = { ...detector.next!, x: detector.next!.x + 2 };
      if (off.x + off.width > W) off.x -= 4;
      expect((await parts.detect(cut(f, off), W, H, s, undefined, { track: true, region: off })).incomplete).toBe(true);
      expect((await parts.detect(f, W, H, s, undefined, { track: true })).timing.tracked).toBe(true);
      // Bad regions are refused with what is wrong.
      await expect(parts.detect(new Uint8Array(200 * 200 * 3), W, H, s, undefined, { track: true, region: { x: 500, y: 0, width: 200, height: 200 } })).rejects.toThrow(/not inside the 640×480 frame/);
      await expect(parts.detect(new Uint8Array(10), W, H, s, undefined, { track: true, region })).rejects.toThrow(/the 200×200 region RGB needs 120000/);
    } finally {
      await whole.close();
      await parts.close();
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('does not show a followed hand that reads as another word; the detector reads the next frame afresh', async () => {
    // A crop model that looks at the pixels, and plain frames of different greys: some read as one word,
    // some as the other (found below by reading each grey on its own, untracked).
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const base = biasedCropWeights();
    const w = { ...base, w1: base.w1.map(() => rand() * 0.2), w2: Float32Array.from({ length: base.hidden * 2 }, () => rand() * 4), b2: new Float32Array(2), bBox: Float32Array.from([0, 0, 5 * Math.log(1 / META.pad), 5 * Math.log(1 / META.pad)]) }; // boxes kept at the hand's size, as in the region test
    const sub = mkdtempSync(path.join(os.tmpdir(), 'ksl-word-change-'));
    const m = path.join(sub, 'model.onnx');
    writeFileSync(m, tinyKslModel());
    writeFileSync(cropModelFile(m), buildCropClassifierOnnx(w, META, 'word change test').bytes);
    writeFileSync(path.join(sub, 'label_map.pbtxt'), LABEL_MAP);
    const W = 640;
    const H = 480;
    const s = { threshold: 0.01, iou: 0.6, maxDetections: 1 };
    const d = await openDetector(m, { redetectEvery: 5 });
    try {
      const wordOf = new Map<number, number>();
      for (let v = 0; v <= 255; v += 15) wordOf.set(v, (await d.detect(grey(W, H).fill(v), W, H, s)).detections[0]!.classId);
      const one = [...wordOf].find(([, c]) => c === 1)?.[0];
      const two = [...wordOf].find(([, c]) => c === 2)?.[0];
      expect([one, two], `greys reading as each word: ${JSON.stringify([...wordOf])}`).not.toContain(undefined);
      const frame = (v: number) => grey(W, H).fill(v);
      const track = { track: true } as const;
      // The detector's frame and a followed frame of the same picture: the word, followed.
      expect((await d.detect(frame(one!), W, H, s, undefined, track)).detections.map((x) => x.classId)).toEqual([1]);
      const same = await d.detect(frame(one!), W, H, s, undefined, track);
      expect(same.timing.tracked).toBe(true);
      expect(same.detections.map((x) => x.classId)).toEqual([1]);
      expect(same.next).toBeDefined();
      // The picture changes under the followed close-up: it reads as the other word, which is not shown,
      // and no region is named, for the next frame is the detector's.
      const changed = await d.detect(frame(two!), W, H, s, undefined, track);
      expect(changed.timing.tracked).toBe(true);
      expect(changed.detections).toEqual([]);
      expect(changed.next).toBeUndefined();
      // The next frame: the detector, two frames before its turn, and the new word.
      const fresh = await d.detect(frame(two!), W, H, s, undefined, track);
      expect(fresh.timing.tracked).toBeUndefined();
      expect(fresh.detections.map((x) => x.classId)).toEqual([2]);
      // …which is followed from there.
      const after = await d.detect(frame(two!), W, H, s, undefined, track);
      expect(after.timing.tracked).toBe(true);
      expect(after.detections.map((x) => x.classId)).toEqual([2]);

      // Two hands, one of which changes word: the other is still shown, and the next frame is the
      // detector's all the same (the changed hand may be a new word, to be read from a fresh box). With
      // this model, grey 30 reads as word 1 in both close-ups; with the top 216 rows black, the lower
      // hand's close-up reads as word 2 and the upper one's still as word 1.
      const two2 = { ...s, maxDetections: 2 };
      const split = grey(W, H).fill(30).fill(0, 0, 216 * W * 3);
      const words = (r: { detections: { classId: number; box: number[] }[] }) => r.detections.map((x) => `${x.classId}@${x.box[0]!.toFixed(2)}`).sort();
      expect(words(await d.detect(frame(30), W, H, two2))).toEqual(['1@0.03', '1@0.30']);
      expect(words(await d.detect(split, W, H, two2))).toEqual(['1@0.03', '2@0.30']);
      const stream = { track: true, stream: 'two hands' } as const;
      expect(words(await d.detect(frame(30), W, H, two2, undefined, stream))).toEqual(['1@0.03', '1@0.30']);
      const partly = await d.detect(split, W, H, two2, undefined, stream);
      expect(partly.timing.tracked).toBe(true);
      expect(words(partly)).toEqual(['1@0.03']);
      expect((await d.detect(split, W, H, two2, undefined, stream)).timing.tracked).toBeUndefined();
    } finally {
      await d.close();
      rmSync(sub, { recursive: true, force: true });
    }
  });

  it('cuts a region that holds every pixel of the close-ups, even-aligned, or none when it would be most of the frame', () => {
    const W = 640;
    const H = 480;
    const a = cropWindow({ x: 100.3, y: 50.6, w: 60, h: 80 }, 1.3);
    const b = cropWindow({ x: 400, y: 300, w: 50, h: 40 }, 1.3);
    const r = regionFor([a, b], W, H)!;
    expect([r.x, r.y, r.width, r.height].every((v) => v % 2 === 0)).toBe(true);
    expect(regionHolds(r, [a, b], W, H)).toBe(true);
    // No bigger than the pixels the crops read, give or take a row or column for the alignment.
    const ra = cropReads(a, W, H);
    const rb = cropReads(b, W, H);
    expect(r.x).toBeGreaterThanOrEqual(ra.x - 1);
    expect(r.y).toBeGreaterThanOrEqual(ra.y - 1);
    expect(r.x + r.width).toBeLessThanOrEqual(rb.x + rb.width + 1);
    expect(r.y + r.height).toBeLessThanOrEqual(rb.y + rb.height + 1);
    // The crop from the region is the crop from the frame, byte for byte.
    const frame = new Uint8Array(W * H * 3).map((_, i) => (i * 13 + ((i / (W * 3)) | 0)) & 255);
    const part = new Uint8Array(r.width * r.height * 3);
    for (let y = 0; y < r.height; y++) part.set(frame.subarray(((r.y + y) * W + r.x) * 3, ((r.y + y) * W + r.x + r.width) * 3), y * r.width * 3);
    for (const win of [a, b]) expect(Buffer.from(cropRgb(part, W, H, win, 64, r)).equals(Buffer.from(cropRgb(frame, W, H, win, 64)))).toBe(true);
    // A window off the frame's edge: clamped there, as the frame clamps it.
    const edge = cropWindow({ x: -20, y: 430, w: 60, h: 60 }, 1.3);
    const re = regionFor([edge], W, H)!;
    expect(re).toMatchObject({ x: 0 });
    expect(re.y + re.height).toBe(H);
    const pe = new Uint8Array(re.width * re.height * 3);
    for (let y = 0; y < re.height; y++) pe.set(frame.subarray(((re.y + y) * W + re.x) * 3, ((re.y + y) * W + re.x + re.width) * 3), y * re.width * 3);
    expect(Buffer.from(cropRgb(pe, W, H, edge, 64, re)).equals(Buffer.from(cropRgb(frame, W, H, edge, 64)))).toBe(true);
    // One row short of a window's pixels does not hold it.
    expect(regionHolds({ ...r, height: r.height - 2 }, [b], W, H)).toBe(false);
    // Most of the frame, an odd-sized frame, or no hands: no region.
    expect(regionFor([cropWindow({ x: 100, y: 50, w: 450, h: 420 }, 1.3)], W, H)).toBeNull();
    expect(regionFor([a], 641, 480)).toBeNull();
    expect(regionFor([], W, H)).toBeNull();
  });

  it('holds a followed box within 1.25× of its size and half a side of its centre from one frame to the next', () => {
    const from = [0.2, 0.2, 0.4, 0.4]; // 0.2 × 0.2, centred at (0.3, 0.3)
    const same = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 9));
    same(steadyBox(from, [0.21, 0.22, 0.43, 0.41]), [0.21, 0.22, 0.43, 0.41]); // within the limits: as refined
    same(steadyBox(from, [0, 0, 1, 1]), [0.275, 0.275, 0.525, 0.525]); // grew to the whole frame: 1.25× at most, centre half a side on
    same(steadyBox(from, [0.25, 0.25, 0.26, 0.26]), [0.175, 0.175, 0.335, 0.335]); // shrank to a dot: 1/1.25 at least, about its own centre
    same(steadyBox(from, [0.6, 0.6, 0.8, 0.8]), [0.3, 0.3, 0.5, 0.5]); // jumped away: the centre moves half a side
  });

  it('answers from the detector’s own scores without a .crop.onnx, as before', async () => {
    const d = await openDetector(alone);
    try {
      expect(d.info.secondStage).toBeNull();
      const r = await d.detect(grey(640, 480), 640, 480, { threshold: 0.3 });
      expect(r.detections.map((x) => [x.classId, Number(x.score.toFixed(4)), x.box.map((v) => Number(v.toFixed(4)))])).toEqual([
        [2, 0.7, KSL_BOX_1],
        [1, Number(BRIGHTNESS.toFixed(4)), KSL_BOX_0],
      ]);
      expect(r.timing.cropMs).toBe(0);
    } finally {
      await d.close();
    }
  });

  it('refuses a file beside the model that is not a crop model, saying what to do', async () => {
    const wrong = path.join(dir, 'wrong.onnx');
    copyFileSync(model, wrong);
    writeFileSync(cropModelFile(wrong), tinyKslModel());
    await expect(openDetector(wrong)).rejects.toThrow(/wrong\.crop\.onnx \(the second stage beside the model\) lacks crop, word_probs, box_offsets.*remove the file to use the detector alone/);
    writeFileSync(cropModelFile(wrong), 'not onnx');
    await expect(openDetector(wrong)).rejects.toThrow(/is not an ONNX model onnxruntime can load/);
  });

  it('runs in the inference worker too, the crop file found beside the model', async () => {
    const service = new InferenceService();
    try {
      const info = await service.load('m', model);
      expect(info.secondStage?.cropSize).toBe(64);
      const r = await service.detect('m', grey(640, 480), 640, 480, { threshold: 0.3 });
      expect(r.detections.map((x) => x.classId)).toEqual([2, 2]);
      expect(r.detections[0]!.score).toBeCloseTo(HAND[1]! * P_WORD2, 5);
    } finally {
      await service.close();
    }
  });
});
