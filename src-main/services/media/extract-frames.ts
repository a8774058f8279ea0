/**
 * Extracts frames from one video with ONE ffmpeg decode (never a process per frame). Frames are
 * chosen by their real presentation times (odd rates such as 359/12 fps stay exact), written into
 * a private partial folder, and only handed back once ffmpeg finished cleanly — the caller moves
 * them into place and registers them in one transaction, so an interrupted run leaves no
 * half-registered video.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { findFfmpeg } from './ffmpeg-path';
import { ffmpegReason, parseShowinfoLine, ProgressParser, type ShowinfoFrame } from './ffmpeg-output';
import { runTool } from './run-tool';

export type SampleMode = { mode: 'all' } | { mode: 'every'; every: number } | { mode: 'fps'; fps: number };

export interface ExtractOptions {
  input: string;
  /** An empty folder of its own; frames appear there as 000001.jpg … */
  workDir: string;
  sample: SampleMode;
  maxSide: number | null;
  format: 'jpg' | 'png';
  signal?: AbortSignal;
  /** Output frames written so far (from ffmpeg's -progress). */
  onProgress?: (framesWritten: number, decodedSeconds: number) => void;
}

export interface ExtractedFrame extends ShowinfoFrame {
  file: string; // absolute path inside workDir
}

/** The filter chain: pick frames by time, shrink, then showinfo reports what was written. */
export function buildFilter(sample: SampleMode, maxSide: number | null): string {
  const parts: string[] = [];
  if (sample.mode === 'every' && sample.every > 1) parts.push(`select='not(mod(n\\,${sample.every}))'`);
  if (sample.mode === 'fps') {
    // The first real frame in each 1/F-second bucket: exact source timestamps, no duplicated or
    // synthesised frames (unlike the fps filter), and ceil(duration·F) frames for a full clip.
    const f = sample.fps;
    parts.push(`select='isnan(prev_selected_t)+gt(floor(t*${f})\\,floor(prev_selected_t*${f}))'`);
  }
  if (maxSide) {
    // Longest side to maxSide, never enlarged; even sizes keep every encoder happy.
    parts.push(
      `scale='if(gte(iw\\,ih)\\,min(${maxSide}\\,iw)\\,-2)':'if(gte(iw\\,ih)\\,-2\\,min(${maxSide}\\,ih))':flags=area`,
    );
  }
  parts.push('showinfo');
  return parts.join(',');
}

export function buildArgs(o: Pick<ExtractOptions, 'input' | 'workDir' | 'sample' | 'maxSide' | 'format'>): string[] {
  const codec = o.format === 'jpg' ? ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p'] : ['-c:v', 'png', '-compression_level', '1', '-pix_fmt', 'rgb24'];
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    '-i', o.input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', buildFilter(o.sample, o.maxSide),
    // keep each selected frame's own timestamp; never duplicate or drop to fit a rate
    '-fps_mode', 'passthrough',
    ...codec,
    '-progress', 'pipe:1',
    '-f', 'image2', '-start_number', '1',
    path.join(o.workDir, `%06d.${o.format}`),
  ];
}

export async function extractFrames(o: ExtractOptions): Promise<ExtractedFrame[]> {
  const ffmpeg = findFfmpeg();
  rmSync(o.workDir, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });
  const frames: ShowinfoFrame[] = [];
  const progress = new ProgressParser();
  let lineBuf = '';
  const run = await runTool(ffmpeg.path, buildArgs(o), {
    signal: o.signal,
    onStdout: (s) => {
      for (const p of progress.push(s)) o.onProgress?.(p.frame ?? frames.length, p.outTimeSeconds ?? 0);
    },
    onStderr: (s) => {
      lineBuf += s;
      let nl: number;
      while ((nl = lineBuf.indexOf('\n')) >= 0) {
        const f = parseShowinfoLine(lineBuf.slice(0, nl));
        if (f) frames.push(f);
        lineBuf = lineBuf.slice(nl + 1);
      }
    },
  });
  const last = parseShowinfoLine(lineBuf);
  if (last) frames.push(last);
  if (o.signal?.aborted) {
    rmSync(o.workDir, { recursive: true, force: true });
    throw new KslError('CANCELLED', 'Cancelled.');
  }
  if (run.code !== 0) {
    rmSync(o.workDir, { recursive: true, force: true });
    throw new KslError('FAILED', `${o.input}: ffmpeg could not decode it (${ffmpegReason(run.stderr)})`, { file: o.input });
  }
  const written = readdirSync(o.workDir).filter((f) => f.endsWith(`.${o.format}`)).sort();
  if (written.length !== frames.length) {
    rmSync(o.workDir, { recursive: true, force: true });
    throw new KslError('FAILED', `${o.input}: ffmpeg wrote ${written.length} frames but reported ${frames.length}; not registering a mismatched set.`, { file: o.input });
  }
  return frames.map((f, i) => ({ ...f, file: path.join(o.workDir, written[i]!) }));
}
