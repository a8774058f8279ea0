/**
 * `ksl extract` / the Extract button: frames for every linked video of the project. One ffmpeg
 * decode per video, up to `jobs` videos at a time; a video's frames are moved into place and
 * registered in one transaction, after which the video is marked extracted. Killed mid-way and
 * run again, it redoes only unfinished videos: no duplicate, no gap. A video ffmpeg cannot read
 * fails alone, with ffmpeg's reason stored on it.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ExtractParams } from '../../../src-shared/api';
import { KslError } from '../../../src-shared/result';
import { fromCatalogPath } from '../fs/project-paths';
import type { JobContext, JobDefinition } from '../jobs/job-manager';
import { extractFrames, type SampleMode } from './extract-frames';
import { probeVideo, type VideoProbe } from './probe';

export interface ExtractResult {
  videos: { done: number; failed: number; skipped: number };
  frames: number;
  failures: { video: number; file: string; error: string }[];
}

interface VideoRow {
  id: number;
  path: string;
  number: number | null;
  fps_num: number | null;
  fps_den: number | null;
  duration: number | null;
  width: number | null;
  height: number | null;
}

export function sampleMode(p: ExtractParams): SampleMode {
  if (p.mode === 'all') return { mode: 'all' };
  if (p.mode === 'every') return { mode: 'every', every: p.every };
  return { mode: 'fps', fps: p.fps };
}

/** Frames a video will yield; used for the progress total before decoding. */
export function expectedFrames(probe: Pick<VideoProbe, 'fpsNum' | 'fpsDen' | 'duration' | 'frames'>, mode: SampleMode): number {
  const all = probe.frames ?? Math.max(1, Math.round((probe.duration * probe.fpsNum) / probe.fpsDen));
  if (mode.mode === 'all') return all;
  if (mode.mode === 'every') return Math.ceil(all / mode.every);
  return Math.max(1, Math.min(all, Math.ceil(probe.duration * mode.fps - 1e-9)));
}

const PARTIAL_DIR = '.partial';

export const extractJob: JobDefinition<ExtractParams> = {
  kind: 'extract',
  resumable: true,
  async run(ctx: JobContext, params: ExtractParams): Promise<ExtractResult> {
    const { project, signal } = ctx;
    const db = project.db;
    const framesRoot = path.join(project.dir, 'frames');
    const partialRoot = path.join(framesRoot, PARTIAL_DIR);
    const myPartial = path.join(partialRoot, ctx.jobId.slice(0, 8));
    // Leftovers of a killed run hold unregistered frames: remove them (they will be redone), but
    // never the working folder of an extract job still running in another process.
    if (existsSync(partialRoot)) {
      const running = new Set((db.prepare("SELECT substr(id, 1, 8) FROM jobs WHERE state = 'running' AND kind = 'extract' AND id != ?").pluck().all(ctx.jobId) as string[]));
      for (const d of readdirSync(partialRoot)) if (!running.has(d)) rmSync(path.join(partialRoot, d), { recursive: true, force: true });
    }

    const filter = params.videoIds?.length ? `AND id IN (${params.videoIds.map(Number).join(',')})` : '';
    const videos = db
      .prepare(`SELECT id, path, number, fps_num, fps_den, duration, width, height FROM videos WHERE status = 'linked' AND path IS NOT NULL ${filter} ORDER BY id`)
      .all() as VideoRow[];
    const skipped = (db.prepare(`SELECT COUNT(*) FROM videos WHERE status = 'extracted' ${filter}`).pluck().get() as number) ?? 0;
    const mode = sampleMode(params);
    const result: ExtractResult = { videos: { done: 0, failed: 0, skipped }, frames: 0, failures: [] };

    const markFailed = db.prepare("UPDATE videos SET status = 'failed', error = ? WHERE id = ?");
    const saveProbe = db.prepare('UPDATE videos SET fps_num = ?, fps_den = ?, width = ?, height = ?, duration = ?, rotation = ?, codec = ?, error = NULL WHERE id = ?');
    const fail = (v: VideoRow, message: string) => {
      markFailed.run(message, v.id);
      result.videos.failed++;
      result.failures.push({ video: v.id, file: v.path, error: message });
      ctx.changed(['videos']);
    };

    // Probe first (fast) so that the total is known before the long part starts.
    const planned: { v: VideoRow; probe: VideoProbe; expected: number }[] = [];
    for (const [i, v] of videos.entries()) {
      if (signal.aborted) throw new KslError('CANCELLED', 'Cancelled.');
      ctx.progress(0, 0, `Probing ${i + 1}/${videos.length}: ${path.basename(v.path)}`);
      const abs = fromCatalogPath(project.dir, v.path);
      if (!existsSync(abs)) {
        fail(v, `${abs}: file not found (moved or deleted?); link the video folder again.`);
        continue;
      }
      try {
        const probe = await probeVideo(abs, signal);
        saveProbe.run(probe.fpsNum, probe.fpsDen, probe.width, probe.height, probe.duration, probe.rotation, probe.codec, v.id);
        planned.push({ v, probe, expected: expectedFrames(probe, mode) });
      } catch (e) {
        if (signal.aborted) throw e;
        fail(v, (e as Error).message);
      }
    }

    const total = planned.reduce((s, p) => s + p.expected, 0);
    let finished = 0; // frames of completed videos
    const inFlight = new Map<number, number>();
    const report = (msg: string) => {
      let cur = 0;
      for (const n of inFlight.values()) cur += n;
      ctx.progress(Math.min(total, finished + cur), total, msg);
    };
    report(`Extracting ${planned.length} videos`);

    const insert = db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (?, ?, ?, ?, ?) ON CONFLICT(video_id, t) DO UPDATE SET file = excluded.file, width = excluded.width, height = excluded.height');
    const markDone = db.prepare("UPDATE videos SET status = 'extracted', error = NULL WHERE id = ?");

    let next = 0;
    const worker = async () => {
      while (next < planned.length && !signal.aborted) {
        const item = planned[next++]!;
        const { v } = item;
        const abs = fromCatalogPath(project.dir, v.path);
        const work = path.join(myPartial, String(v.id));
        inFlight.set(v.id, 0);
        try {
          const frames = await extractFrames({
            input: abs,
            workDir: work,
            sample: mode,
            maxSide: params.maxSide,
            format: params.format,
            signal,
            onProgress: (n) => {
              inFlight.set(v.id, Math.min(n, item.expected));
              report(`${path.basename(abs)}`);
            },
          });
          const dirName = String(v.id);
          const destDir = path.join(framesRoot, dirName);
          mkdirSync(destDir, { recursive: true });
          const stem = path.parse(abs).name.normalize('NFC').replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 80);
          const rows = frames.map((f) => {
            const ms = Math.round(f.ptsTime * 1000);
            const name = `${stem}_${String(ms).padStart(8, '0')}ms.${params.format}`;
            renameSync(f.file, path.join(destDir, name));
            return { t: f.ptsTime, file: `frames/${dirName}/${name}`, width: f.width, height: f.height };
          });
          db.transaction(() => {
            for (const r of rows) insert.run(v.id, r.t, r.file, r.width, r.height);
            markDone.run(v.id);
          })();
          rmSync(work, { recursive: true, force: true });
          result.videos.done++;
          result.frames += rows.length;
          ctx.changed(['frames', 'videos']);
        } catch (e) {
          rmSync(work, { recursive: true, force: true });
          if (signal.aborted) break;
          fail(v, (e as Error).message);
        } finally {
          inFlight.delete(v.id);
          finished += item.expected;
          report(`${result.videos.done + result.videos.failed}/${planned.length} videos`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(params.jobs, Math.max(1, planned.length)) }, worker));
    rmSync(myPartial, { recursive: true, force: true });
    try {
      rmdirSync(partialRoot); // only when empty: another process may be extracting too
    } catch {
      /* not empty or already gone */
    }
    if (signal.aborted) throw new KslError('CANCELLED', 'Cancelled.');
    ctx.progress(total, total, `${result.videos.done} videos, ${result.frames} frames`);
    return result;
  },
};
