/** The catalog summary shown on the first screen and printed by `ksl info`. */
import path from 'node:path';
import type { FrameStatus, ProjectInfo } from '../../../src-shared/catalog-types';
import type { Project } from './project';

const count = (p: Project, sql: string): number => (p.db.prepare(sql).pluck().get() as number) ?? 0;

export function projectInfo(p: Project): ProjectInfo {
  const db = p.db;
  const frameStatus: Record<FrameStatus, number> = { unlabelled: 0, labelled: 0, verified: 0, skipped: 0 };
  for (const r of db.prepare('SELECT status, COUNT(*) n FROM frames GROUP BY status').all() as { status: FrameStatus; n: number }[]) {
    frameStatus[r.status] = r.n;
  }
  const videoStatus: Record<string, number> = {};
  for (const r of db.prepare('SELECT status, COUNT(*) n FROM videos GROUP BY status').all() as { status: string; n: number }[]) {
    videoStatus[r.status] = r.n;
  }
  const words = db
    .prepare(
      `SELECT w.id, w.text, w.label, w.level,
              (SELECT COUNT(*) FROM videos v WHERE v.word_id = w.id) AS videos,
              (SELECT COUNT(*) FROM frames f JOIN videos v ON v.id = f.video_id WHERE v.word_id = w.id) AS frames,
              (SELECT COUNT(*) FROM boxes b WHERE b.word_id = w.id) AS boxes
         FROM words w ORDER BY w.level IS NULL, w.level, w.text`,
    )
    .all() as ProjectInfo['words'];
  const signers = db
    .prepare(
      `SELECT s.id, s.code,
              (SELECT COUNT(*) FROM videos v WHERE v.signer_id = s.id) AS videos,
              (SELECT COUNT(*) FROM frames f JOIN videos v ON v.id = f.video_id WHERE v.signer_id = s.id) AS frames
         FROM signers s ORDER BY CAST(s.code AS INTEGER), s.code`,
    )
    .all() as ProjectInfo['signers'];
  const info: ProjectInfo = {
    path: p.dir,
    name: path.basename(p.dir),
    schemaVersion: p.schemaVersion,
    counts: {
      words: count(p, 'SELECT COUNT(*) FROM words'),
      signers: count(p, 'SELECT COUNT(*) FROM signers'),
      videos: count(p, 'SELECT COUNT(*) FROM videos'),
      frames: count(p, 'SELECT COUNT(*) FROM frames'),
      boxes: count(p, 'SELECT COUNT(*) FROM boxes'),
      // A frame is labelled once it is settled: it has boxes, was verified, or was marked as
      // having no sign (skipped frames are background examples, not missing work).
      labelledFrames: frameStatus.labelled + frameStatus.verified + frameStatus.skipped,
    },
    frameStatus,
    videoStatus,
    words,
    signers,
  };
  if (info.counts.words > 0) {
    const levels: Record<string, number> = {};
    for (const r of db.prepare("SELECT COALESCE(CAST(level AS TEXT), 'none') lv, COUNT(*) n FROM words GROUP BY level ORDER BY level").all() as { lv: string; n: number }[]) {
      levels[r.lv] = r.n;
    }
    info.levels = levels;
  }
  return info;
}
