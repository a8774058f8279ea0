/**
 * The Frames browser's query: one page of frames with their word, signer and box count, filtered
 * by word, level, signer and status. Paged by (video, t, id) so a page of a 100,000-frame project
 * comes from the indexes, not a sort of the whole table.
 */
import type { FramePage, FramesFilter } from '../../../src-shared/catalog-types';
import type { Project } from './project';

export function queryFrames(p: Project, f: FramesFilter): FramePage {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.wordId !== undefined) {
    where.push('v.word_id = ?');
    args.push(f.wordId);
  }
  if (f.level !== undefined) {
    where.push('w.level = ?');
    args.push(f.level);
  }
  if (f.signerId !== undefined) {
    where.push('v.signer_id = ?');
    args.push(f.signerId);
  }
  if (f.status !== undefined) {
    where.push('f.status = ?');
    args.push(f.status);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const from = `FROM frames f LEFT JOIN videos v ON v.id = f.video_id LEFT JOIN words w ON w.id = v.word_id LEFT JOIN signers s ON s.id = v.signer_id`;
  const total = p.db.prepare(`SELECT COUNT(*) ${from} ${clause}`).pluck().get(...args) as number;
  const items = p.db
    .prepare(
      `SELECT f.id, f.file, f.t, f.width, f.height, f.status, f.video_id AS videoId, w.text AS word, w.level AS level, s.code AS signer,
              (SELECT COUNT(*) FROM boxes b WHERE b.frame_id = f.id) AS boxes
         ${from} ${clause}
        ORDER BY f.video_id, f.t, f.id
        LIMIT ? OFFSET ?`,
    )
    .all(...args, f.limit, f.offset) as FramePage['items'];
  return { total, offset: f.offset, items };
}
