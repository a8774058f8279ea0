import { describe, expect, it } from 'vitest';
import { EVAL_NMS, nonMaxSuppression } from '../../../src-shared/detector/nms';

// Box 0 and box 1 overlap with IoU 0.8 (10×10 vs 10×8 inside it: 80/100); box 2 is far away.
const boxes = [0, 0, 10, 10, 0, 0, 10, 8, 50, 50, 60, 60];

describe('class-wise NMS', () => {
  it('keeps overlapping boxes of different classes and suppresses the same class', () => {
    // Scores M×C (3 boxes × 2 classes): box 0 is class 0 (0.9), box 1 is class 1 (0.8) → both kept.
    const kept = nonMaxSuppression(boxes, [0.9, 0, 0, 0.8, 0, 0], { scoreThreshold: 0.5 });
    expect(kept.map((d) => [d.index, d.cls])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // Same class (0) for both: box 1 (lower score, IoU 0.8 > 0.6) is suppressed.
    const same = nonMaxSuppression(boxes, [0.9, 0, 0.8, 0, 0, 0], { scoreThreshold: 0.5 });
    expect(same.map((d) => d.index)).toEqual([0]);
  });
  it('keeps same-class boxes whose IoU is at or below the threshold', () => {
    const kept = nonMaxSuppression(boxes, [0.9, 0.8, 0.7], { iouThreshold: 0.8, scoreThreshold: 0.5 });
    // IoU 0.8 is not > 0.8: all three kept, ordered by score.
    expect(kept.map((d) => d.index)).toEqual([0, 1, 2]);
  });
  it('applies the score threshold (0.6 by default, for live use)', () => {
    const kept = nonMaxSuppression(boxes, [0.59, 0.61, 0.9]);
    expect(kept.map((d) => d.index)).toEqual([2, 1]);
    expect(nonMaxSuppression(boxes, [0.59, 0.61, 0.9], EVAL_NMS)).toHaveLength(2); // 0 suppressed by 1
  });
  it('caps the number of detections over all classes and per class', () => {
    const many: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < 10; i++) {
      many.push(i * 20, 0, i * 20 + 10, 10); // disjoint boxes
      scores.push(0.9 - i * 0.01, 0.5 - i * 0.01); // two classes
    }
    const top3 = nonMaxSuppression(many, scores, { scoreThreshold: 0.1, maxDetections: 3 });
    expect(top3.map((d) => [d.index, d.cls])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    const perClass = nonMaxSuppression(many, scores, { scoreThreshold: 0.1, maxDetections: 100, maxPerClass: 2 });
    expect(perClass.map((d) => [d.index, d.cls])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
  });
  it('orders ties by class then index, and gives the same result on normalised boxes', () => {
    const norm = boxes.map((v) => v / 100);
    const a = nonMaxSuppression(boxes, [0.7, 0.7, 0.7, 0.7, 0.7, 0.7], { scoreThreshold: 0.5 });
    const b = nonMaxSuppression(norm, [0.7, 0.7, 0.7, 0.7, 0.7, 0.7], { scoreThreshold: 0.5 });
    expect(a.map((d) => [d.cls, d.index])).toEqual([
      [0, 0],
      [0, 2],
      [1, 0],
      [1, 2],
    ]);
    expect(b.map((d) => [d.cls, d.index])).toEqual(a.map((d) => [d.cls, d.index]));
    expect(a[0].box).toEqual([0, 0, 10, 10]);
  });
  it('handles no boxes', () => {
    expect(nonMaxSuppression([], [])).toEqual([]);
  });
});
