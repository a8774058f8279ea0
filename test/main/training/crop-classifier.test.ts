/**
 * The second stage's parts against hand-computed values: crop window, box coding, pooling, hand scores,
 * the MLP's forward pass; its training on a separable toy problem; weights saved and loaded.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CANDIDATE_IOU,
  EVAL_CANDIDATES,
  MINING_CANDIDATES,
  classifyCrop,
  cropFeatureLength,
  cropWindow,
  decodeCropBox,
  encodeCropBox,
  handCandidates,
  handScores,
  jitteredWindow,
  loadCropClassifier,
  poolCropFeatures,
  saveCropClassifier,
  trainCropClassifier,
  type CropClassifierWeights,
} from '../../../src-main/services/training/crop-classifier';
import { mulberry32 } from '../../../src-shared/random';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir('ksl-crop-');

describe('crop classifier parts', () => {
  it('crops a square of pad × the longer side, centred on the box', () => {
    expect(cropWindow({ x: 10, y: 20, w: 40, h: 20 }, 1.5)).toEqual({ x0: 0, y0: 0, side: 60 });
    expect(cropWindow({ x: 100, y: 50, w: 10, h: 30 }, 1)).toEqual({ x0: 90, y0: 50, side: 30 });
  });

  it('encodes a box against a window with the 10/10/5/5 scales and decodes it back', () => {
    const win = { x0: 0, y0: 0, side: 100 };
    // centre (60, 50) is 0.1 sides right of the window's centre; width 50 = half the side
    const t = encodeCropBox({ x: 35, y: 25, w: 50, h: 50 }, win);
    expect(t[0]).toBeCloseTo(1, 6);
    expect(t[1]).toBeCloseTo(0, 6);
    expect(t[2]).toBeCloseTo(5 * Math.log(0.5), 6);
    const rand = mulberry32(3);
    for (let i = 0; i < 20; i++) {
      const gt = { x: rand() * 200, y: rand() * 200, w: 5 + rand() * 60, h: 5 + rand() * 60 };
      const w = jitteredWindow(gt, rand);
      const back = decodeCropBox(encodeCropBox(gt, w), w);
      for (const k of ['x', 'y', 'w', 'h'] as const) expect(back[k]).toBeCloseTo(gt[k], 4);
    }
  });

  it('jitters windows within the given shift and scale', () => {
    const gt = { x: 100, y: 100, w: 40, h: 20 };
    const base = cropWindow(gt);
    const rand = mulberry32(9);
    for (let i = 0; i < 200; i++) {
      const w = jitteredWindow(gt, rand, 0.1, 0.2);
      expect(w.side).toBeGreaterThanOrEqual(base.side * 0.8 - 1e-9);
      expect(w.side).toBeLessThanOrEqual(base.side * 1.2 + 1e-9);
      expect(Math.abs(w.x0 + w.side / 2 - 120)).toBeLessThanOrEqual(0.1 * base.side + 1e-9);
      expect(Math.abs(w.y0 + w.side / 2 - 110)).toBeLessThanOrEqual(0.1 * base.side + 1e-9);
    }
  });

  it('average-pools each map to pool×pool cells, map by map, row, column, channel', () => {
    // A 64² crop: maps 8×8, 4×4, 2×2 with one channel; value = 4y + x on the 4×4 map, 10y + x elsewhere.
    const map = (n: number, f: (y: number, x: number) => number) => Float32Array.from({ length: n * n }, (_, i) => f(Math.floor(i / n), i % n));
    const s8 = map(8, () => 1);
    const s16 = map(4, (y, x) => 4 * y + x);
    const s32 = map(2, (y, x) => 10 * y + x);
    const out = poolCropFeatures([s8, s16, s32], 64, 2, 1);
    expect(out).toHaveLength(cropFeatureLength(2, 1));
    expect(Array.from(out)).toEqual([1, 1, 1, 1, 2.5, 4.5, 10.5, 12.5, 0, 1, 10, 11]);
    expect(() => poolCropFeatures([s8, s16, s32], 64, 3, 1)).toThrow(/does not pool/);
  });

  it('scores a hand as the chance of any word, and keeps one candidate per hand', () => {
    expect(Array.from(handScores([0.5, 0.5, 0, 0, 0.9, 0], 2))).toEqual([0.75, 0, expect.closeTo(0.9, 6)]);
    // two overlapping anchors on one hand (one says word 0, the other word 1) and one elsewhere
    const boxes = [0, 0, 0.2, 0.2, 0.01, 0.01, 0.21, 0.21, 0.6, 0.6, 0.8, 0.8];
    const scores = [0.6, 0.1, 0.1, 0.7, 0.3, 0.0];
    const found = handCandidates(boxes, scores, 2, { scoreThreshold: 0.05, iouThreshold: 0.5, maxDetections: 5 });
    expect(found.map((d) => d.index)).toEqual([1, 2]);
    expect(found[0]!.score).toBeCloseTo(1 - 0.9 * 0.3, 6);
  });

  it('takes two candidates at IoU 0.5 as one hand (one crop pass), and two at IoU 0.3 as two', () => {
    // Box A [0,0,0.2,0.3]; B shifted right by d overlaps it with IoU (0.3 − d) / (0.3 + d).
    const shifted = (d: number) => [0, 0, 0.2, 0.3, 0, d, 0.2, 0.3 + d];
    const scores = [0.9, 0, 0.8, 0];
    const d05 = 0.1; // IoU 0.2 / 0.4 = 0.5
    const d03 = 0.3 * (1 - 0.3) / (1 + 0.3); // IoU 0.3
    expect(CANDIDATE_IOU).toBeLessThan(0.5);
    expect(EVAL_CANDIDATES.iouThreshold).toBe(CANDIDATE_IOU);
    expect(handCandidates(shifted(d05), scores, 2).map((d) => d.index)).toEqual([0]);
    expect(handCandidates(shifted(d03), scores, 2).map((d) => d.index)).toEqual([0, 1]);
    // Mining for the second stage's training set keeps the 0.5 it was measured with: both stay.
    expect(handCandidates(shifted(d05 + 0.001), scores, 2, MINING_CANDIDATES).map((d) => d.index)).toEqual([0, 1]);
  });

  it('runs the MLP forward pass as computed by hand', () => {
    const w: CropClassifierWeights = {
      inputs: 2,
      hidden: 2,
      classes: 2,
      mean: Float32Array.from([1, 0]),
      invStd: Float32Array.from([1, 2]),
      w1: Float32Array.from([1, 0, 0, 1]),
      b1: Float32Array.from([0, 0]),
      w2: Float32Array.from([1, 0, 0, 1]),
      b2: Float32Array.from([0, 0]),
      wBox: new Float32Array(8),
      bBox: Float32Array.from([1, 2, 3, 4]),
    };
    // standardised [3-1, -1·2] = [2, -2] → relu [2, 0] → softmax([2, 0])
    const p = classifyCrop(w, Float32Array.from([3, -1]));
    expect(p.probs[0]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 6);
    expect(p.probs[1]).toBeCloseTo(1 / (Math.exp(2) + 1), 6);
    expect(Array.from(p.box)).toEqual([1, 2, 3, 4]);
    expect(() => classifyCrop(w, new Float32Array(3))).toThrow(/expected 2 features/);
  });
});

describe('training the crop classifier', () => {
  it('learns separable words and a linear box target; its weights survive save and load', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const rand = mulberry32(5);
    const D = 16;
    const C = 3;
    const make = (n: number) => {
      const x = new Float32Array(n * D);
      const labels = new Int32Array(n);
      const t = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const c = i % C;
        labels[i] = c;
        for (let d = 0; d < D; d++) x[i * D + d] = (d % C === c ? 2 : 0) + (rand() - 0.5);
        for (let k = 0; k < 4; k++) t[i * 4 + k] = 0.5 * x[i * D + k]!;
      }
      return { x, labels, t };
    };
    const train = make(300);
    const losses: number[] = [];
    const w = await trainCropClassifier(tf, train.x, train.labels, train.t, C, { steps: 300, batch: 32, lr: 0.01, hidden: 16, dropout: 0.1 }, (_s, loss) => {
      losses.push(loss);
    });
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.3);
    const test = make(60);
    let right = 0;
    let boxErr = 0;
    for (let i = 0; i < 60; i++) {
      const p = classifyCrop(w, test.x.subarray(i * D, (i + 1) * D));
      if (p.probs.indexOf(Math.max(...p.probs)) === test.labels[i]) right++;
      for (let k = 0; k < 4; k++) boxErr += Math.abs(p.box[k]! - test.t[i * 4 + k]!) / 240;
    }
    expect(right / 60).toBeGreaterThan(0.95);
    expect(boxErr).toBeLessThan(0.25);

    const dir = tmp();
    saveCropClassifier(dir, w, { cropSize: 128, pad: 1.3, pool: 2 }, { crops: 300 });
    const back = loadCropClassifier(dir)!;
    expect(back.meta).toEqual({ cropSize: 128, pad: 1.3, pool: 2 });
    expect(back.extra.crops).toBe(300);
    expect(Array.from(back.weights.w1)).toEqual(Array.from(w.w1));
    expect(back.weights.classes).toBe(C);
    expect(back.weights.background).toBeUndefined();
    expect(loadCropClassifier(path.join(dir, 'none'))).toBeUndefined();
    // with a "no sign" output: the flag survives, and only the words' probabilities come out
    saveCropClassifier(dir, { ...w, background: true }, { cropSize: 128, pad: 1.3, pool: 2 });
    const bg = loadCropClassifier(dir)!.weights;
    expect(bg.background).toBe(true);
    const probs = classifyCrop(bg, test.x.subarray(0, D)).probs;
    expect(probs).toHaveLength(C - 1);
    expect(probs.reduce((a, b) => a + b, 0)).toBeLessThan(1);
  }, 60_000);
});
