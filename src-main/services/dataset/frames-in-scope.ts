/**
 * Which frames a split (and so training and export) is made of, and which word each one counts for.
 *
 * A frame is in scope when it has at least one box of a word in scope (the level's words, or every word), or
 * when it is marked 'skipped' and belongs to a video of such a word: a skipped frame is a frame the annotator
 * looked at and found no sign in, which the detector needs as a background example.
 *
 * A frame's word is its video's word (the clip was recorded for it). A frame without a video (an imported
 * photo), or whose video is of a word outside the scope, counts for the in-scope word of its boxes (the
 * lowest word id when several, so the choice is stable).
 */
import type { Project } from '../catalog/project';
import type { FrameStatus } from '../../../src-shared/catalog-types';

export interface ScopedFrame {
  id: number;
  videoId: number | null;
  /** KETI number of the video, for messages. */
  videoNumber: number | null;
  wordId: number;
  signerCode: string | null;
  status: FrameStatus;
  /** 'train' / 'test' folder of an imported labelImg set, lower-cased; null when none. */
  splitHint: string | null;
}

interface Row {
  id: number;
  video_id: number | null;
  number: number | null;
  video_word: number | null;
  box_word: number | null;
  code: string | null;
  status: FrameStatus;
  split_hint: string | null;
}

/** Frames in scope, ordered by id. `level` undefined or null means every word. */
export function framesInScope(project: Project, level?: number | null): ScopedFrame[] {
  const lvl = level ?? null;
  const rows = project.db
    .prepare(
      `WITH scope(id) AS (SELECT id FROM words WHERE @lvl IS NULL OR level = @lvl),
       f AS (
         SELECT fr.id, fr.video_id, v.number, fr.status, fr.split_hint, s.code,
                CASE WHEN v.word_id IN (SELECT id FROM scope) THEN v.word_id END AS video_word,
                (SELECT MIN(b.word_id) FROM boxes b WHERE b.frame_id = fr.id AND b.word_id IN (SELECT id FROM scope)) AS box_word
         FROM frames fr
         LEFT JOIN videos v ON v.id = fr.video_id
         LEFT JOIN signers s ON s.id = v.signer_id
       )
       SELECT * FROM f
       WHERE box_word IS NOT NULL OR (status = 'skipped' AND video_word IS NOT NULL)
       ORDER BY id`,
    )
    .all({ lvl }) as Row[];
  return rows.map((r) => ({
    id: r.id,
    videoId: r.video_id,
    videoNumber: r.number,
    wordId: (r.video_word ?? r.box_word)!,
    signerCode: r.code,
    status: r.status,
    splitHint: r.split_hint === null ? null : r.split_hint.trim().toLowerCase(),
  }));
}
