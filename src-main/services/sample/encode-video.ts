/**
 * One ffmpeg process per video, fed raw rgb24 frames on stdin.
 *
 * Streaming frames avoids writing thousands of PNGs; one process per clip keeps failures local.
 * Codec choices mirror what the KETI delivery and cameras produce and what OpenCV/ffmpeg-based
 * extractors must read: H.264 (yuv420p) in mp4/mov/mkv, MPEG-4 Part 2 in avi. B-frames are off
 * and the GOP is one second so presentation times start at 0 and seeking stays cheap.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { DeliveredContainer } from './sample-catalogue';

export interface EncoderOptions {
  ffmpeg: string;
  file: string;
  width: number;
  height: number;
  fps: number;
  container: DeliveredContainer;
}

export interface VideoEncoder {
  /** Queues one frame; resolves when ffmpeg can take more (backpressure). */
  write(rgb: Uint8Array): Promise<void>;
  /** Closes stdin and waits for ffmpeg to finish the file. */
  finish(): Promise<void>;
  /** Kills ffmpeg and resolves once it has exited and the partial file is removed. */
  abort(): Promise<void>;
}

function codecArgs(container: DeliveredContainer, fps: number): string[] {
  const gop = String(Math.max(1, Math.round(fps)));
  const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-bf', '0', '-g', gop, '-pix_fmt', 'yuv420p'];
  switch (container) {
    case 'mp4':
      return [...h264, '-movflags', '+faststart', '-f', 'mp4'];
    case 'mov':
      return [...h264, '-movflags', '+faststart', '-f', 'mov'];
    case 'mkv':
      return [...h264, '-f', 'matroska'];
    case 'avi':
      return ['-c:v', 'mpeg4', '-q:v', '3', '-g', gop, '-pix_fmt', 'yuv420p', '-f', 'avi'];
  }
}

export function startEncoder(opts: EncoderOptions): VideoEncoder {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${opts.width}x${opts.height}`,
    '-r',
    String(opts.fps),
    '-i',
    '-',
    '-an',
    // Two encoders run side by side; one thread each avoids oversubscribing small machines.
    '-threads',
    '1',
    ...codecArgs(opts.container, opts.fps),
    opts.file,
  ];
  // -nostdin only stops ffmpeg reading the console; the '-' input is still stdin.
  const child = spawn(opts.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  // EPIPE when ffmpeg dies early surfaces through `exited` below, with ffmpeg's own message.
  child.stdin.on('error', () => {});

  let closed = false;
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      closed = true;
      reject(
        err.code === 'ENOENT'
          ? new Error(`ffmpeg not found at "${opts.ffmpeg}" (install ffmpeg or set FFMPEG_PATH)`)
          : new Error(`Cannot start ffmpeg for ${opts.file}: ${err.message}`),
      );
    });
    child.on('close', (code, signal) => {
      closed = true;
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg failed on ${opts.file} (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
    });
  });
  // Avoid an unhandled rejection if the caller is between awaits when ffmpeg dies.
  exited.catch(() => {});

  return {
    async write(rgb) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await exited;
        throw new Error(`ffmpeg exited early on ${opts.file}`);
      }
      child.stdin.write(rgb);
      // Let a few frames queue up so rendering and encoding overlap, but never unboundedly.
      if (child.stdin.writableLength > 4 * rgb.length) {
        await Promise.race([new Promise<void>((r) => child.stdin.once('drain', () => r())), exited]);
      }
    },
    async finish() {
      child.stdin.end();
      await exited;
    },
    abort() {
      const remove = () => rmSync(opts.file, { force: true });
      if (!closed) child.kill('SIGKILL');
      return exited.then(remove, remove);
    },
  };
}
