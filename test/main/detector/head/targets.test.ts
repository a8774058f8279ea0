import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchTargets,
  boxTargetTensors,
  buildTargets,
  classTargetTensors,
} from '../../../../src-main/services/detector/head/targets';
import { DEFAULT_ANCHORS, generateAnchors } from '../../../../src-shared/detector/anchors';
import { decodeBox } from '../../../../src-shared/detector/box-coder';
import { BACKGROUND, IGNORED } from '../../../../src-shared/detector/matcher';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Three anchors [cy, cx, h, w]: A0 at the centre (0.2 × 0.2), A1 top-left, A2 bottom-right.
const anchors = new Float32Array([0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.2, 0.2]);

describe('buildTargets', () => {
  it('labels the matched anchor with its class and encoded box, the rest as background', () => {
    // The box equals A1 except 0.02 wider to the right: IoU 0.04/0.044 = 0.91 with A1.
    const t = buildTargets([{ ymin: 0.1, xmin: 0.1, ymax: 0.3, xmax: 0.32, cls: 2 }], anchors);
    expect(Array.from(t.cls)).toEqual([BACKGROUND, 2, BACKGROUND]);
    expect(t.matched).toBe(1);
    // Encoded against A1: ty = 0; tx = 10·0.01/0.2 = 0.5; th = 0; tw = 5·ln(0.22/0.2) = 0.476551.
    const box = Array.from(t.box.subarray(4, 8));
    expect(box[0]).toBeCloseTo(0, 5);
    expect(box[1]).toBeCloseTo(0.5, 5);
    expect(box[2]).toBeCloseTo(0, 5);
    expect(box[3]).toBeCloseTo(5 * Math.log(1.1), 5);
    // Unmatched anchors carry zero box targets; decoding the matched one gives the box back.
    expect(Array.from(t.box.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    decodeBox(box, [0.2, 0.2, 0.2, 0.2]).forEach((v, i) => expect(v).toBeCloseTo([0.1, 0.1, 0.3, 0.32][i], 5));
  });

  it('clips boxes to the image before matching, and drops boxes entirely outside', () => {
    const clipped = buildTargets([{ ymin: 0.7, xmin: 0.7, ymax: 1.3, xmax: 0.9, cls: 0 }], anchors);
    // Clipped to [0.7, 0.7, 1.0, 0.9]: IoU with A2 = 0.04 / 0.06 = 0.667.
    expect(clipped.cls[2]).toBe(0);
    expect(buildTargets([{ ymin: 1.2, xmin: 0.1, ymax: 1.5, xmax: 0.3, cls: 0 }], anchors).matched).toBe(0);
  });

  it('rejects an invalid class index', () => {
    expect(() => buildTargets([{ ymin: 0.1, xmin: 0.1, ymax: 0.3, xmax: 0.3, cls: 5 }], anchors, { numClasses: 3 })).toThrow();
    expect(() => buildTargets([{ ymin: 0.1, xmin: 0.1, ymax: 0.3, xmax: 0.3, cls: -1 }], anchors)).toThrow();
  });

  it('gives every small hand at least one positive on the default anchors', () => {
    const a = generateAnchors(DEFAULT_ANCHORS);
    const s = 1 / 320;
    const gt = [
      { ymin: 20 * s, xmin: 30 * s, ymax: 30 * s, xmax: 40 * s, cls: 0 }, // 10 px
      { ymin: 200 * s, xmin: 200 * s, ymax: 240 * s, xmax: 230 * s, cls: 1 }, // 40 × 30 px
    ];
    const t = buildTargets(gt, a);
    expect(t.cls.indexOf(0)).toBeGreaterThanOrEqual(0);
    expect(t.cls.indexOf(1)).toBeGreaterThanOrEqual(0);
  });
});

describe('batched targets', () => {
  const t0 = buildTargets([{ ymin: 0.1, xmin: 0.1, ymax: 0.3, xmax: 0.32, cls: 2 }], anchors);
  const t1 = { cls: new Int32Array([1, IGNORED, BACKGROUND]), box: new Float32Array(12).fill(0.5), matched: 1 };
  const batch = batchTargets([t0, t1]);

  it('concatenates samples in order and sums the matches', () => {
    expect(Array.from(batch.cls)).toEqual([BACKGROUND, 2, BACKGROUND, 1, IGNORED, BACKGROUND]);
    expect(batch.box.length).toBe(24);
    expect(batch.box[12]).toBe(0.5);
    expect(batch.matched).toBe(2);
  });

  it('turns into [B, M, ·] tensors: box targets, positive mask, one-hot classes, ignore weights', () => {
    const { box, boxMask } = boxTargetTensors(batch, 2);
    const { clsOneHot, clsWeight } = classTargetTensors(batch, 2, 3);
    expect(box.shape).toEqual([2, 3, 4]);
    expect(boxMask.shape).toEqual([2, 3, 4]);
    expect(Array.from(boxMask.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(clsOneHot.shape).toEqual([2, 3, 3]);
    expect(Array.from(clsOneHot.dataSync())).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(clsWeight.dataSync())).toEqual([1, 1, 1, 1, 0, 1]);
    tf.dispose([box, boxMask, clsOneHot, clsWeight]);
  });

  it('rejects samples built for different anchors', () => {
    expect(() => batchTargets([t0, { cls: new Int32Array(2), box: new Float32Array(8), matched: 0 }])).toThrow();
  });
});
