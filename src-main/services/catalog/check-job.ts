/**
 * The catalog check: SQLite's own integrity and foreign-key checks, then every registered frame
 * and video file is looked for on disk. Reports what is missing; changes nothing.
 */
import { existsSync } from 'node:fs';
import { KslError } from '../../../src-shared/result';
import { fromCatalogPath } from '../fs/project-paths';
import type { JobDefinition } from '../jobs/job-manager';

export interface CheckResult {
  integrity: string;
  foreignKeyProblems: number;
  missingFrames: { id: number; file: string }[];
  missingVideos: { id: number; path: string }[];
  checked: number;
}

export const checkJob: JobDefinition<Record<string, never>> = {
  kind: 'check',
  resumable: false,
  async run(ctx) {
    const db = ctx.project.db;
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'unknown';
    const fk = (db.pragma('foreign_key_check') as unknown[]).length;
    const frames = db.prepare('SELECT id, file FROM frames ORDER BY id').all() as { id: number; file: string }[];
    const videos = db.prepare("SELECT id, path FROM videos WHERE path IS NOT NULL AND status != 'missing' ORDER BY id").all() as { id: number; path: string }[];
    const total = frames.length + videos.length;
    const result: CheckResult = { integrity, foreignKeyProblems: fk, missingFrames: [], missingVideos: [], checked: 0 };
    let i = 0;
    for (const f of frames) {
      if (!existsSync(fromCatalogPath(ctx.project.dir, f.file))) result.missingFrames.push(f);
      if (++i % 256 === 0) {
        ctx.progress(i, total, 'Checking frame files');
        await new Promise((r) => setImmediate(r)); // stay responsive to cancel and other requests
        if (ctx.signal.aborted) throw new KslError('CANCELLED', 'Cancelled.');
      }
    }
    for (const v of videos) {
      if (!existsSync(fromCatalogPath(ctx.project.dir, v.path))) result.missingVideos.push(v);
      i++;
    }
    result.checked = i;
    ctx.progress(total, total, 'Done');
    return result;
  },
};
