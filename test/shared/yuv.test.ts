/**
 * I420 → RGB as the service does it for camera frames sent as I420 (src-shared/yuv.ts): BT.601/BT.709,
 * limited and full range, chroma shared by each 2×2 block, against known colours and against ffmpeg on a
 * real frame; and the live.detect contract for I420 frames.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LiveDetectArgs } from '../../src-shared/api-live';
import { BT601_LIMITED, i420Length, i420ToRgbInto, yuvColourOf } from '../../src-shared/yuv';
import path from 'node:path';
import { fixturesDir } from '../helpers/fixtures';

/** One colour everywhere: an I420 frame of w × h. */
function flat(w: number, h: number, y: number, u: number, v: number): Uint8Array {
  const b = new Uint8Array(i420Length(w, h));
  b.fill(y, 0, w * h);
  b.fill(u, w * h, w * h + ((w + 1) >> 1) * ((h + 1) >> 1));
  b.fill(v, w * h + ((w + 1) >> 1) * ((h + 1) >> 1));
  return b;
}
const rgbOf = (yuv: Uint8Array, w: number, h: number, colour = BT601_LIMITED) => Array.from(i420ToRgbInto(yuv, w, h, colour, new Uint8Array(w * h * 3)).subarray(0, 3));

describe('i420ToRgbInto', () => {
  it('gives black, white and the primaries of BT.601 limited range, and full range as it is', () => {
    expect(rgbOf(flat(4, 2, 16, 128, 128), 4, 2)).toEqual([0, 0, 0]);
    expect(rgbOf(flat(4, 2, 235, 128, 128), 4, 2)).toEqual([255, 255, 255]);
    expect(rgbOf(flat(4, 2, 126, 128, 128), 4, 2)).toEqual([128, 128, 128]); // (126 − 16) · 255/219 = 128.1
    // BT.601 limited red, green, blue (Rec. 601 studio levels)
    const near = (got: number[], want: number[]) => got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(2));
    near(rgbOf(flat(2, 2, 81, 90, 240), 2, 2), [255, 0, 0]);
    near(rgbOf(flat(2, 2, 145, 54, 34), 2, 2), [0, 255, 0]);
    near(rgbOf(flat(2, 2, 41, 240, 110), 2, 2), [0, 0, 255]);
    // BT.709 limited red is another YUV
    near(rgbOf(flat(2, 2, 63, 102, 240), 2, 2, { matrix: 'bt709', fullRange: false }), [255, 0, 0]);
    expect(rgbOf(flat(2, 2, 0, 128, 128), 2, 2, { matrix: 'bt601', fullRange: true })).toEqual([0, 0, 0]);
    expect(rgbOf(flat(2, 2, 200, 128, 128), 2, 2, { matrix: 'bt601', fullRange: true })).toEqual([200, 200, 200]);
  });

  it('shares each chroma sample among its 2×2 block, odd sizes included, and refuses wrong sizes', () => {
    // 3×3: chroma planes 2×2; pixel (2, 2) takes chroma (1, 1)
    const w = 3;
    const h = 3;
    const b = flat(w, h, 126, 128, 128);
    const uAt = (cx: number, cy: number) => w * h + cy * 2 + cx;
    b[uAt(1, 1)] = 240; // U of the bottom-right block: bluer
    const out = i420ToRgbInto(b, w, h, BT601_LIMITED, new Uint8Array(w * h * 3));
    const px = (x: number, y: number) => Array.from(out.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
    expect(px(0, 0)).toEqual([128, 128, 128]);
    expect(px(1, 1)).toEqual([128, 128, 128]);
    expect(px(2, 2)[2]).toBe(255);
    expect(px(2, 1)).toEqual(px(1, 1)); // row 1 still belongs to chroma row 0
    expect(() => i420ToRgbInto(b.subarray(1), w, h, BT601_LIMITED, new Uint8Array(27))).toThrow(/3×3 I420/);
    expect(i420Length(640, 360)).toBe(345_600);
    expect(i420Length(3, 3)).toBe(17);
  });

  it('agrees with ffmpeg on a real frame within 3 levels (ffmpeg’s fast path rounds its own way; Chromium’s came within 2 in the browser)', () => {
    const video = path.join(fixturesDir, 'video', 'signer-540x720.mp4');
    const args = ['-hide_banner', '-loglevel', 'error', '-i', video, '-frames:v', '1', '-vf', 'format=yuv420p', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'];
    const yuv = new Uint8Array(execFileSync('ffmpeg', args, { maxBuffer: 1 << 26 }));
    const rgb = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '540x720', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { input: yuv, maxBuffer: 1 << 26 });
    const ours = i420ToRgbInto(yuv, 540, 720, BT601_LIMITED, new Uint8Array(540 * 720 * 3));
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - rgb[i]!));
    expect(max).toBeLessThanOrEqual(3);
  });

  it('takes a VideoFrame’s colour space: unspecified and SD matrices as BT.601, BT.709, and nothing else', () => {
    expect(yuvColourOf(null)).toEqual({ matrix: 'bt601', fullRange: false });
    expect(yuvColourOf({ matrix: null, fullRange: null })).toEqual({ matrix: 'bt601', fullRange: false });
    expect(yuvColourOf({ matrix: 'smpte170m', fullRange: false })).toEqual({ matrix: 'bt601', fullRange: false });
    expect(yuvColourOf({ matrix: 'bt709', fullRange: true })).toEqual({ matrix: 'bt709', fullRange: true });
    expect(yuvColourOf({ matrix: 'bt2020-ncl', fullRange: false })).toBeNull();
    expect(yuvColourOf({ matrix: 'rgb' })).toBeNull();
  });
});

describe('live.detect with an I420 frame', () => {
  const base = { modelId: 'run:x', width: 640, height: 360 };
  it('takes I420 planes of the right size, with or without a colour, instead of RGB', () => {
    expect(LiveDetectArgs.safeParse({ ...base, i420: new Uint8Array(345_600) }).success).toBe(true);
    expect(LiveDetectArgs.safeParse({ ...base, i420: new Uint8Array(345_600), colour: { matrix: 'bt709', fullRange: false } }).success).toBe(true);
  });
  it('refuses a wrong size, both or neither form, a colour on RGB, and I420 as base64', () => {
    const issue = (a: unknown) => {
      const r = LiveDetectArgs.safeParse(a);
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(issue({ ...base, i420: new Uint8Array(345_599) })).toMatch(/^i420: 345599 bytes, but a 640×360 I420 frame needs 345600/);
    expect(issue({ ...base, i420: new Uint8Array(345_600), rgb: new Uint8Array(691_200) })).toMatch(/as `rgb`.*or as `i420`/);
    expect(issue({ ...base })).toMatch(/not both and not neither/);
    expect(issue({ ...base, rgb: new Uint8Array(691_200), colour: { matrix: 'bt601', fullRange: false } })).toMatch(/^colour: /);
    expect(issue({ ...base, i420: 'AAAA' })).toMatch(/^i420: /);
    expect(issue({ ...base, i420: new Uint8Array(345_600), colour: { matrix: 'bt2020', fullRange: false } })).toMatch(/^colour\.matrix/);
  });
  it('takes only a region of the frame (the previous answer\'s `next`): even, inside the frame, its own bytes', () => {
    const issue = (a: unknown) => {
      const r = LiveDetectArgs.safeParse(a);
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    const region = { x: 100, y: 60, width: 80, height: 76 };
    // 80×76 I420 is 80·76 + 2·40·38 bytes; as RGB 80·76·3.
    expect(issue({ ...base, i420: new Uint8Array(9120), region })).toBeNull();
    expect(issue({ ...base, rgb: new Uint8Array(18_240), region })).toBeNull();
    expect(issue({ ...base, i420: new Uint8Array(345_600), region })).toMatch(/^i420: 345600 bytes, but the 80×76 region as I420 needs 9120/);
    expect(issue({ ...base, rgb: new Uint8Array(691_200), region })).toMatch(/^rgb: 691200 bytes, but the 80×76 region as RGB needs 18240/);
    expect(issue({ ...base, i420: new Uint8Array(9120), region: { ...region, x: 600 } })).toMatch(/^region: 80×76 at \(600, 60\) is not inside the 640×360 frame/);
    expect(issue({ ...base, i420: new Uint8Array(9120), region: { ...region, x: 101 } })).toMatch(/^region: x, y, width and height must be even/);
    expect(issue({ ...base, i420: new Uint8Array(9120), region: { ...region, x: -2 } })).toMatch(/^region\.x: /);
    expect(issue({ ...base, i420: new Uint8Array(9120), region: { ...region, z: 1 } })).toMatch(/^region: /);
  });
});
