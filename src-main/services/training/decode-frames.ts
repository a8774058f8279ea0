/**
 * Decodes many frame images to raw RGB at one size with a SINGLE ffmpeg process (the concat
 * demuxer reads the list; the scale filter stretches each image to size, as the TF OD API's
 * fixed_shape_resizer does) — never a process per image.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { frameFit, padRgbInto, type FrameFit } from '../../../src-shared/frame-fit';
import { KslError } from '../../../src-shared/result';
import { findFfmpeg } from '../media/ffmpeg-path';
import { ffmpegReason } from '../media/ffmpeg-output';

/** Escapes a path for an ffmpeg concat list line: file '…' with ' written as '\'' */
export const concatLine = (file: string): string => `file '${file.replace(/'/g, "'\\''")}'`;

export async function decodeFramesRgb(
  files: string[],
  width: number,
  height: number,
  onFrame: (index: number, rgb: Uint8Array) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (files.length === 0) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-decode-'));
  const list = path.join(dir, 'list.txt');
  writeFileSync(list, files.map((f) => concatLine(path.resolve(f))).join('\n') + '\n');
  const frameBytes = width * height * 3;
  const child = spawn(
    findFfmpeg().path,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-vf', `scale=${width}:${height}:flags=bilinear,format=rgb24`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let index = 0;
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= frameBytes) {
        const frame = new Uint8Array(frameBytes);
        frame.set(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
        await onFrame(index++, frame);
      }
    }
    const code = await closed;
    if (signal?.aborted) throw new KslError('CANCELLED', 'Cancelled.');
    if (code !== 0) throw new KslError('FAILED', `Decoding frames failed: ${ffmpegReason(stderr)}`);
    if (index !== files.length) throw new KslError('FAILED', `Decoded ${index} of ${files.length} frames: ${ffmpegReason(stderr)}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A frame to decode, with its own size (frames of different videos may differ). */
export interface SizedFrame {
  file: string;
  width: number;
  height: number;
}

/** Indexes of `frames` grouped by size (`W`x`H`), in order of first appearance, each group in order. */
export function groupBySize(frames: readonly { width: number; height: number }[]): number[][] {
  const groups = new Map<string, number[]>();
  frames.forEach((f, i) => {
    const key = `${f.width}x${f.height}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

/**
 * Decodes frames of any sizes into one `width`×`height` model input each, fitted as detection fits a
 * frame (frame-fit.ts): one of about the input's shape stretched to it, one of another shape (a portrait
 * phone video beside KETI's 16:9) scaled to fit inside with its shape kept and padded with black — so a
 * model is trained and evaluated on hands of the shape it will see live. One ffmpeg process per frame
 * size; `onFrame` gets each frame's index in `frames`, in order within each size (all in order when the
 * frames share one size), and its fit.
 */
export async function decodeFittedRgb(
  frames: readonly SizedFrame[],
  width: number,
  height: number,
  onFrame: (index: number, rgb: Uint8Array, fit: FrameFit) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  for (const idx of groupBySize(frames)) {
    const first = frames[idx[0]!]!;
    const fit = frameFit(first.width, first.height, width, height);
    const files = idx.map((i) => frames[i]!.file);
    if (fit.mode === 'stretch') await decodeFramesRgb(files, width, height, (k, rgb) => onFrame(idx[k]!, rgb, fit), signal);
    else await decodeFramesRgb(files, fit.width, fit.height, (k, inner) => onFrame(idx[k]!, padRgbInto(inner, fit, width, height, new Uint8Array(width * height * 3)), fit), signal);
  }
}
