/**
 * Evaluation scores each test frame's detections on the frame itself: a frame that was padded into the
 * input (frame-fit.ts) has its boxes mapped back from the input before they meet the ground truth. The
 * head is replaced by one that "sees" every hand exactly where the fitted frame put it on the input, so
 * every detection is right once mapped, and a portrait frame's would miss if it were not.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { boxToInput, frameFit } from '../../../src-shared/frame-fit';
import type { KslCocoGt } from '../../../src-main/services/dataset/export-coco';
import type { LabelMapEntry } from '../../../src-main/services/dataset/label-maps';
import type { SplitExample } from '../../../src-main/services/dataset/split-examples';
import type { Prediction, Trainer } from '../../../src-main/services/detector/head/train-step';
import { evaluate, type FeatureCache } from '../../../src-main/services/training/train-job';

describe('evaluate with frames of two shapes', () => {
  it('maps a padded frame’s boxes back onto the frame before scoring them', async () => {
    const dims = { width: 384, height: 224 };
    const frame = (frameId: number, width: number, height: number, box: { x: number; y: number; w: number; h: number }): SplitExample => ({
      frameId,
      file: `frames/${frameId}.jpg`,
      width,
      height,
      direction: null,
      side: 'test',
      boxes: [{ ...box, classId: 1 } as SplitExample['boxes'][number]],
    });
    // a 16:9 frame (stretched into the input) and an upright one (scaled to 126×224 and centred)
    const test = [frame(1, 640, 360, { x: 100, y: 80, w: 60, h: 90 }), frame(2, 360, 640, { x: 40, y: 300, w: 90, h: 60 })];
    expect(frameFit(360, 640, dims.width, dims.height).mode).toBe('pad');
    const gt: KslCocoGt = {
      info: { description: 'test', split_id: 1, side: 'test', level: null, date_created: '2026-11-26' },
      images: test.map((e) => ({ id: e.frameId, width: e.width, height: e.height, file_name: e.file })),
      annotations: test.map((e, i) => ({ id: i + 1, image_id: e.frameId, category_id: 1, bbox: [e.boxes[0]!.x, e.boxes[0]!.y, e.boxes[0]!.w, e.boxes[0]!.h], area: e.boxes[0]!.w * e.boxes[0]!.h, iscrowd: 0 })),
      categories: [{ id: 1, name: 'hello' }],
    };
    const labelMap: LabelMapEntry[] = [{ id: 1, name: 'hello', wordId: 1, text: '안녕하세요', label: 'hello', level: null }];
    // One position, one anchor per frame: the hand where the fitted frame put it on the input, score 0.9.
    const onInput = test.map((e) => {
      const b = e.boxes[0]!;
      const n = boxToInput({ ymin: b.y / e.height, xmin: b.x / e.width, ymax: (b.y + b.h) / e.height, xmax: (b.x + b.w) / e.width }, frameFit(e.width, e.height, dims.width, dims.height), dims.width, dims.height);
      return Float32Array.from([n.ymin, n.xmin, n.ymax, n.xmax]);
    });
    // frame 2's hand on the input is not where it is on the frame: scoring it unmapped would miss
    expect(Math.abs(onInput[1]![1]! - 40 / 360)).toBeGreaterThan(0.2);
    let seen = 0;
    const trainer = {
      predict: (x: tf.Tensor3D): Prediction[] =>
        Array.from({ length: x.shape[0] }, () => ({ boxes: Float32Array.from(onInput[seen++]!), scores: Float32Array.from([0.9]) })),
    } as unknown as Trainer;
    const cache: FeatureCache = { train: new Uint16Array(0), test: new Float32Array(test.length), channels: 1, dims, positions: 1, trainBoxes: [], nTrain: 0, nTest: test.length, backend: 'test' };
    const r = await evaluate(tf, trainer, cache, test, gt, labelMap, 1);
    expect(seen).toBe(2);
    expect(r.stats.AP50).toBeCloseTo(1, 6);
    expect(r.stats.AP).toBeCloseTo(1, 6);
    expect(r.errors).toMatchObject({ correct: 2, poorBox: 0, background: 0 });
  });
});
