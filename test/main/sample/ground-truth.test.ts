import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatGroundTruth,
  groundTruthBoxAt,
  readGroundTruth,
  type GroundTruth,
  type GroundTruthVideo,
} from '../../../src-main/services/sample/ground-truth';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-gt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function video(frames = 3, fps = 10): GroundTruthVideo {
  return {
    number: 1,
    file: 'videos/0001~3000/KETI_SL_0000000001.mp4',
    word: '유치원 버스',
    signer: 1,
    fps,
    frames,
    boxes: Array.from({ length: frames }, (_, i) => ({ t: i / fps, x: 10 * i, y: 5, w: 20, h: 30 + i })),
  };
}

function sample(): GroundTruth {
  return { version: 1, width: 160, height: 120, videos: [video()] };
}

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('groundTruthBoxAt', () => {
  const v = video(3, 10); // frames at 0, 0.1, 0.2; clip covers [0, 0.3)

  it('returns the exact box at a frame time', () => {
    expect(groundTruthBoxAt(v, 0)).toEqual({ x: 0, y: 5, w: 20, h: 30 });
    expect(groundTruthBoxAt(v, 0.1)).toEqual({ x: 10, y: 5, w: 20, h: 31 });
    expect(groundTruthBoxAt(v, 0.2)).toEqual({ x: 20, y: 5, w: 20, h: 32 });
  });

  it('picks the nearest frame between frame times', () => {
    expect(groundTruthBoxAt(v, 0.04)?.x).toBe(0);
    expect(groundTruthBoxAt(v, 0.06)?.x).toBe(10);
    expect(groundTruthBoxAt(v, 0.149)?.x).toBe(10);
    expect(groundTruthBoxAt(v, 0.151)?.x).toBe(20);
    // Within the last frame's display period.
    expect(groundTruthBoxAt(v, 0.29)?.x).toBe(20);
  });

  it('returns null outside the clip and for non-finite times', () => {
    expect(groundTruthBoxAt(v, -0.06)).toBeNull();
    expect(groundTruthBoxAt(v, -0.04)?.x).toBe(0);
    expect(groundTruthBoxAt(v, 0.3)).toBeNull();
    expect(groundTruthBoxAt(v, 5)).toBeNull();
    expect(groundTruthBoxAt(v, Number.NaN)).toBeNull();
    expect(groundTruthBoxAt({ ...v, frames: 0, boxes: [] }, 0)).toBeNull();
  });

  it('returns a copy without the time', () => {
    const b = groundTruthBoxAt(v, 0)!;
    expect(Object.keys(b).sort()).toEqual(['h', 'w', 'x', 'y']);
    b.x = 999;
    expect(v.boxes[0].x).toBe(0);
  });
});

describe('readGroundTruth', () => {
  it('reads what formatGroundTruth writes', () => {
    const gt = sample();
    const file = write('ok.json', formatGroundTruth(gt));
    expect(readGroundTruth(file)).toEqual(gt);
  });

  it('names the file when it is missing', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => readGroundTruth(file)).toThrow(`Cannot read ground truth ${file}`);
  });

  it('names the file when the JSON is broken', () => {
    const file = write('broken.json', '{"version": 1,');
    expect(() => readGroundTruth(file)).toThrow(`Ground truth ${file} is not valid JSON`);
  });

  it('reports schema problems with their path', () => {
    const wrongVersion = write('v2.json', { ...sample(), version: 2 });
    expect(() => readGroundTruth(wrongVersion)).toThrow(new RegExp(`${wrongVersion.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: version`));
    const badBox = sample();
    (badBox.videos[0].boxes[1] as { w: unknown }).w = 'wide';
    expect(() => readGroundTruth(write('badbox.json', badBox))).toThrow(/videos\.0\.boxes\.1\.w/);
    const backslash = sample();
    backslash.videos[0].file = 'videos\\0001~3000\\KETI_SL_0000000001.mp4';
    expect(() => readGroundTruth(write('backslash.json', backslash))).toThrow(/videos\.0\.file: must be a relative path/);
  });

  it('checks one box per frame, boxes inside the frame, increasing times and unique numbers', () => {
    const fewer = sample();
    fewer.videos[0].frames = 4;
    expect(() => readGroundTruth(write('fewer.json', fewer))).toThrow(/3 boxes for 4 frames/);
    const outside = sample();
    outside.videos[0].boxes[2].x = 150;
    expect(() => readGroundTruth(write('outside.json', outside))).toThrow(/boxes\.2 lies outside the 160x120 frame/);
    const order = sample();
    order.videos[0].boxes[2].t = 0.1;
    expect(() => readGroundTruth(write('order.json', order))).toThrow(/boxes\.2: times must increase/);
    const dup = sample();
    dup.videos.push(video());
    expect(() => readGroundTruth(write('dup.json', dup))).toThrow(/duplicate video number 1/);
  });
});
