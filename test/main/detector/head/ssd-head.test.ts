import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEAD_WEIGHT_NAMES, createHead, flattenLevels } from '../../../../src-main/services/detector/head/ssd-head';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// K input channels, H hidden, A anchors per position, C classes; P positions, B images.
const K = 8;
const H = 5;
const A = 2;
const C = 3;
const P = 4;
const B = 2;

describe('SSD head', () => {
  it('maps [B, P, K] features to [B, P·A, C] logits and [B, P·A, 4] boxes', () => {
    const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 1 });
    const f = tf.randomNormal([B, P, K]) as tf.Tensor3D;
    const out = head.apply(f);
    expect(out.logits.shape).toEqual([B, P * A, C]);
    expect(out.boxes.shape).toEqual([B, P * A, 4]);
    tf.dispose([f, out.logits, out.boxes]);
    head.dispose();
  });

  it('starts every class at probability 0.01 (bias −log(99)) and every box at the anchor', () => {
    const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C });
    // Zero features → hidden = relu6(0) = 0 → logits = class bias, boxes = box bias = 0.
    const f = tf.zeros([1, P, K]) as tf.Tensor3D;
    const out = head.apply(f);
    const p = tf.sigmoid(out.logits);
    for (const v of p.dataSync()) expect(v).toBeCloseTo(0.01, 6);
    for (const v of out.boxes.dataSync()) expect(v).toBe(0);
    tf.dispose([f, out.logits, out.boxes, p]);
    head.dispose();
  });

  it('lays out outputs as position-major, anchor-minor rows (the order of generateAnchors)', () => {
    const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 3 });
    const weights = head.getWeights();
    const w = Object.fromEntries(weights.map((x) => [x.name, x.data]));
    const fData = tf.randomNormal([B, P, K], 0, 1, 'float32', 9).dataSync() as Float32Array;
    const f = tf.tensor3d(fData, [B, P, K]);
    const out = head.apply(f);
    const logits = out.logits.dataSync();
    const boxes = out.boxes.dataSync();
    // Plain-JS reference: hidden = relu6(x·W1 + b1); logit(b, p·A + a, c) = hidden·Wc[:, a·C + c] + bc[a·C + c].
    for (let bi = 0; bi < B; bi++) {
      for (let p = 0; p < P; p++) {
        const hid: number[] = [];
        for (let j = 0; j < H; j++) {
          let s = w['hidden/bias'][j];
          for (let k = 0; k < K; k++) s += fData[(bi * P + p) * K + k] * w['hidden/kernel'][k * H + j];
          hid.push(Math.min(6, Math.max(0, s)));
        }
        for (let a = 0; a < A; a++) {
          const r = bi * P * A + p * A + a;
          for (let c = 0; c < C; c++) {
            let s = w['class/bias'][a * C + c];
            for (let j = 0; j < H; j++) s += hid[j] * w['class/kernel'][j * A * C + a * C + c];
            expect(logits[r * C + c]).toBeCloseTo(s, 4);
          }
          for (let q = 0; q < 4; q++) {
            let s = w['box/bias'][a * 4 + q];
            for (let j = 0; j < H; j++) s += hid[j] * w['box/kernel'][j * A * 4 + a * 4 + q];
            expect(boxes[r * 4 + q]).toBeCloseTo(s, 4);
          }
        }
      }
    }
    tf.dispose([f, out.logits, out.boxes]);
    head.dispose();
  });

  it('exports named weights with shapes and restores them into another head', () => {
    const a = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 1 });
    const b = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 2 });
    const wa = a.getWeights();
    expect(wa.map((w) => w.name)).toEqual([...HEAD_WEIGHT_NAMES]);
    expect(wa.map((w) => w.shape)).toEqual([[K, H], [H], [H, A * C], [A * C], [H, A * 4], [A * 4]]);
    const f = tf.randomNormal([1, P, K]) as tf.Tensor3D;
    const before = b.apply(f);
    const ya = a.apply(f);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(before.logits, ya.logits))).dataSync()[0])).toBeGreaterThan(1e-3);
    b.setWeights(wa);
    const after = b.apply(f);
    expect(Array.from(after.logits.dataSync())).toEqual(Array.from(ya.logits.dataSync()));
    expect(Array.from(after.boxes.dataSync())).toEqual(Array.from(ya.boxes.dataSync()));
    // The exported arrays are copies: changing them does not change the head.
    wa[0].data.fill(0);
    expect(a.getWeights()[0].data.some((v) => v !== 0)).toBe(true);
    tf.dispose([f, before.logits, before.boxes, ya.logits, ya.boxes, after.logits, after.boxes]);
    a.dispose();
    b.dispose();
  });

  it('rejects a checkpoint with a wrong shape and leaves the weights unchanged', () => {
    const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed: 1 });
    const good = head.getWeights();
    const bad = good.map((w) => (w.name === 'class/kernel' ? { ...w, shape: [H, 4 * C], data: new Float32Array(H * 4 * C) } : w));
    bad[0] = { ...bad[0], data: new Float32Array(K * H) };
    expect(() => head.setWeights(bad)).toThrow(/class\/kernel/);
    expect(head.getWeights()[0].data).toEqual(good[0].data);
    head.dispose();
  });

  it('is deterministic for a seed and different across seeds', () => {
    const w = (seed: number) => {
      const h = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C, seed });
      const r = h.getWeights();
      h.dispose();
      return r;
    };
    expect(w(5)[0].data).toEqual(w(5)[0].data);
    expect(w(5)[0].data).not.toEqual(w(6)[0].data);
    // Glorot uniform bound √(6/(K + H)).
    const bound = Math.sqrt(6 / (K + H));
    for (const v of w(5)[0].data) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
  });

  it('leaves no tensors behind besides its outputs, and frees its variables on dispose', () => {
    const before = tf.memory().numTensors;
    const head = createHead({ channels: K, hidden: H, anchorsPerPosition: A, numClasses: C });
    expect(tf.memory().numTensors).toBe(before + 6);
    const f = tf.randomNormal([B, P, K]) as tf.Tensor3D;
    const out = head.apply(f);
    expect(tf.memory().numTensors).toBe(before + 6 + 3);
    tf.dispose([f, out.logits, out.boxes]);
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('flattenLevels', () => {
  it('concatenates NHWC maps in row-major position order, finest level first', () => {
    // Level 0: 2×2 positions with values 0..3 (channel 0) and 10..13 (channel 1); level 1: one position.
    const l0 = tf.tensor4d([0, 10, 1, 11, 2, 12, 3, 13], [1, 2, 2, 2]);
    const l1 = tf.tensor4d([4, 14], [1, 1, 1, 2]);
    const flat = flattenLevels([l0, l1]);
    expect(flat.shape).toEqual([1, 5, 2]);
    expect(Array.from(flat.dataSync())).toEqual([0, 10, 1, 11, 2, 12, 3, 13, 4, 14]);
    tf.dispose([l0, l1, flat]);
  });
});
