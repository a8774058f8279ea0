/**
 * The live path's resize against ffmpeg's `scale=…:flags=bilinear` (what training's decode path uses),
 * both starting from the same RGB picture so that only the filter differs.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resizeRgb } from '../../../src-main/services/inference/resize-rgb';
import { fixture } from '../../helpers/fixtures';

function ffmpegRgb(args: string[], input?: Buffer): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { input, maxBuffer: 64 << 20 });
}

function stats(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

describe('resizeRgb (swscale bilinear, stretched)', () => {
  const video = fixture('video/signer-540x720.mp4');
  it.runIf(!!video)('matches ffmpeg on real frames, shrinking and enlarging', () => {
    const [sw, sh] = [540, 720];
    const src = ffmpegRgb(['-i', video!, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(src.length).toBe(sw * sh * 3);
    for (const [dw, dh] of [
      [320, 320],
      [640, 360],
      [1280, 720],
      [100, 57],
    ] as const) {
      const ref = ffmpegRgb(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${sw}x${sh}`, '-i', 'pipe:0', '-vf', `scale=${dw}:${dh}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], src);
      const ours = resizeRgb(new Uint8Array(src), sw, sh, dw, dh);
      const s = stats(ours, new Uint8Array(ref));
      console.log(`${sw}x${sh} → ${dw}x${dh}: max ${s.max}, mean ${s.mean.toFixed(3)}`);
      expect(s.mean, `${dw}x${dh}`).toBeLessThan(0.1);
      expect(s.max, `${dw}x${dh}`).toBeLessThanOrEqual(4);
    }
  });

  it('reuses the caller\'s buffers frame after frame, with the same bytes as fresh ones', () => {
    const frame = (seed: number) => Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 73 + seed * 29) & 255);
    const scratch = {};
    const first = resizeRgb(frame(1), 64, 48, 40, 30, scratch);
    expect(Buffer.from(first).equals(Buffer.from(resizeRgb(frame(1), 64, 48, 40, 30)))).toBe(true);
    const second = resizeRgb(frame(2), 64, 48, 40, 30, scratch);
    expect(second).toBe(first); // the same buffer, overwritten
    expect(Buffer.from(second).equals(Buffer.from(resizeRgb(frame(2), 64, 48, 40, 30)))).toBe(true);
    // another size: new buffers of the right length
    expect(resizeRgb(frame(2), 64, 48, 20, 10, scratch)).toHaveLength(20 * 10 * 3);
  });

  it('is the identity at the same size and refuses a wrong byte count', () => {
    const px = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i);
    expect(resizeRgb(px, 4, 3, 4, 3)).toEqual(px);
    expect(() => resizeRgb(px, 5, 3, 2, 2)).toThrow(/36 bytes is not 5×3×3/);
  });

  it('averages the whole footprint when shrinking (not a 2-tap lookup)', () => {
    // 1-pixel black/white stripes shrunk 4×: a 2-tap bilinear would alias to stripes; swscale gives grey.
    const w = 64;
    const src = new Uint8Array(w * 4 * 3);
    for (let x = 0; x < w; x++) for (let y = 0; y < 4; y++) src.fill(x % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const out = resizeRgb(src, w, 4, w / 4, 1);
    for (let i = 3; i < out.length - 3; i++) expect(Math.abs(out[i]! - 127.5)).toBeLessThan(20);
  });
});
