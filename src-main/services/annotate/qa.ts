/**
 * `ksl qa`: label quality checks before training, the mistakes that cost the notebook's researchers a
 * training run each:
 *
 *  - label-not-in-map   a box's word is not in the label map (a typo such as "Hello" for "hello" in a
 *                       labelImg set creates a word of its own; names compare case-sensitively, as TF's
 *                       label_map_util does). Reported once per word, with a near match when there is one.
 *  - no-word            a box without a word.
 *  - box-word-mismatch  a box's word differs from the word its video was recorded for (KETI clips show
 *                       one word each, so this is almost always a slip of the digit keys).
 *  - degenerate-box     a box narrower or lower than one pixel.
 *  - out-of-bounds      a box that runs past the image edge (exports would clamp it silently).
 *  - frame-without-box  a frame with no box that is not marked skipped: either not labelled yet, or a
 *                       'labelled'/'verified' frame that lost its boxes.
 *  - class-imbalance    a word with far fewer boxes than the largest class (under IMBALANCE_RATIO of it).
 *
 * Plus the class balance per signer (boxes per word per signer), the table to read before a split by
 * signer. Finding lists are capped per kind (`limit`); `counts` are always complete.
 */
import type { LabelMapItem } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import type { QaFinding, QaKind } from '../../../src-shared/api-editor';
export type { QaFinding, QaKind };

export const QA_KINDS: readonly QaKind[] = ['label-not-in-map', 'no-word', 'box-word-mismatch', 'degenerate-box', 'out-of-bounds', 'frame-without-box', 'class-imbalance'];

/** A word with fewer boxes than this fraction of the largest class is reported as imbalanced. */
export const IMBALANCE_RATIO = 0.2;


export interface QaBalanceRow {
  wordId: number;
  name: string;
  total: number;
  /** Signer code ('(none)' for frames without a signer, e.g. imported photos) → boxes. */
  perSigner: Record<string, number>;
}

export interface QaReport {
  level: number | null;
  /** Where the label map came from: the words placed in levels, or a label_map.pbtxt given by the user. */
  labelMap: { source: 'catalog' | 'file'; names: number };
  counts: Record<QaKind, number>;
  findings: QaFinding[];
  /** True when some kind had more findings than `limit` (counts are complete). */
  capped: boolean;
  /** Checks that could not run, and why. */
  notes: string[];
  balance: { signers: string[]; words: QaBalanceRow[] };
}

export interface QaOptions {
  /** Check only this level's words and the frames of their videos. */
  level?: number | null;
  /** A label map read from a file (parseLabelMap); default: the words that have a level in the catalog. */
  labelMap?: readonly LabelMapItem[];
  /** Findings listed per kind (default 200). */
  limit?: number;
}

interface WordRow {
  id: number;
  text: string;
  label: string | null;
  level: number | null;
}

const NO_SIGNER = '(none)';

export function qaReport(project: Project, opts: QaOptions = {}): QaReport {
  const db = project.db;
  const level = opts.level ?? null;
  const limit = opts.limit ?? 200;
  if (!Number.isInteger(limit) || limit < 0) throw new KslError('INVALID', `--limit must be a whole number ≥ 0 (got ${limit}).`);
  const words = new Map((db.prepare('SELECT id, text, label, level FROM words').all() as WordRow[]).map((w) => [w.id, w]));
  const nameOf = (id: number | null) => {
    const w = id === null ? undefined : words.get(id);
    return w ? (w.label && w.label.trim() ? w.label : w.text) : '(none)';
  };

  // The frames in scope: every frame, or those of the level's videos plus any frame with a box of the level.
  db.exec('DROP TABLE IF EXISTS temp.qa_scope; CREATE TEMP TABLE qa_scope (id INTEGER PRIMARY KEY)');
  try {
    db.prepare(
      `INSERT INTO temp.qa_scope (id)
       SELECT f.id FROM frames f LEFT JOIN videos v ON v.id = f.video_id LEFT JOIN words vw ON vw.id = v.word_id
       WHERE @lvl IS NULL OR vw.level = @lvl
          OR EXISTS (SELECT 1 FROM boxes b JOIN words bw ON bw.id = b.word_id WHERE b.frame_id = f.id AND bw.level = @lvl)`,
    ).run({ lvl: level });

    const counts = Object.fromEntries(QA_KINDS.map((k) => [k, 0])) as Record<QaKind, number>;
    const findings: QaFinding[] = [];
    let capped = false;
    const notes: string[] = [];
    const add = (f: QaFinding) => {
      counts[f.kind]++;
      if (counts[f.kind] <= limit) findings.push(f);
      else capped = true;
    };

    // --- labels outside the label map (per word) ---
    const mapNames = new Set<string>();
    if (opts.labelMap) {
      for (const item of opts.labelMap) {
        mapNames.add(item.name);
        if (item.displayName) mapNames.add(item.displayName);
      }
    } else {
      for (const w of words.values()) {
        if (w.level === null || (level !== null && w.level !== level)) continue;
        mapNames.add(w.text);
        if (w.label) mapNames.add(w.label);
      }
    }
    const folded = new Map<string, string>();
    for (const n of mapNames) folded.set(fold(n), n);
    const used = db
      .prepare('SELECT b.word_id AS wordId, count(*) AS n FROM boxes b JOIN temp.qa_scope s ON s.id = b.frame_id WHERE b.word_id IS NOT NULL GROUP BY b.word_id ORDER BY b.word_id')
      .all() as { wordId: number; n: number }[];
    // A project whose words have no levels yet (e.g. only a labelImg import) has no label map to check against.
    if (mapNames.size === 0) notes.push(opts.labelMap ? 'The label map file has no items.' : 'No word has a level yet, so labels were not checked against a label map; import the level table or pass --label-map.');
    for (const u of mapNames.size ? used : []) {
      const w = words.get(u.wordId)!;
      if (mapNames.has(w.text) || (w.label !== null && mapNames.has(w.label))) continue;
      const suggestion = folded.get(fold(w.text)) ?? (w.label ? folded.get(fold(w.label)) : undefined);
      add({
        kind: 'label-not-in-map',
        wordId: w.id,
        name: nameOf(w.id),
        boxes: u.n,
        ...(suggestion ? { suggestion } : {}),
        message: `${u.n} boxes are labelled ${JSON.stringify(nameOf(w.id))}, which is not in the label map${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}? names are case-sensitive)` : ''}.`,
      });
    }

    // --- boxes without a word ---
    for (const r of db.prepare('SELECT b.id, b.frame_id, f.file FROM boxes b JOIN temp.qa_scope s ON s.id = b.frame_id JOIN frames f ON f.id = b.frame_id WHERE b.word_id IS NULL ORDER BY b.id').all() as {
      id: number;
      frame_id: number;
      file: string;
    }[]) {
      add({ kind: 'no-word', boxId: r.id, frameId: r.frame_id, file: r.file, message: `box ${r.id} on ${r.file} has no word; pick one with the digit keys.` });
    }

    // --- box word differs from the video's word ---
    for (const r of db
      .prepare(
        `SELECT b.id, b.frame_id, b.word_id, v.word_id AS video_word, f.file FROM boxes b
         JOIN temp.qa_scope s ON s.id = b.frame_id JOIN frames f ON f.id = b.frame_id JOIN videos v ON v.id = f.video_id
         WHERE v.word_id IS NOT NULL AND b.word_id IS NOT NULL AND b.word_id <> v.word_id ORDER BY b.id`,
      )
      .all() as { id: number; frame_id: number; word_id: number; video_word: number; file: string }[]) {
      add({
        kind: 'box-word-mismatch',
        boxId: r.id,
        frameId: r.frame_id,
        file: r.file,
        wordId: r.word_id,
        videoWordId: r.video_word,
        name: nameOf(r.word_id),
        message: `box ${r.id} on ${r.file} is labelled ${JSON.stringify(nameOf(r.word_id))}, but its video was recorded for ${JSON.stringify(nameOf(r.video_word))}.`,
      });
    }

    // --- degenerate and out-of-bounds boxes ---
    const geometry = db
      .prepare(
        `SELECT b.id, b.frame_id, b.x, b.y, b.w, b.h, f.width, f.height, f.file FROM boxes b
         JOIN temp.qa_scope s ON s.id = b.frame_id JOIN frames f ON f.id = b.frame_id
         WHERE b.w < 1 OR b.h < 1 OR b.x < 0 OR b.y < 0 OR b.x + b.w > f.width OR b.y + b.h > f.height ORDER BY b.id`,
      )
      .all() as { id: number; frame_id: number; x: number; y: number; w: number; h: number; width: number; height: number; file: string }[];
    for (const r of geometry) {
      const where = { boxId: r.id, frameId: r.frame_id, file: r.file };
      const desc = `x=${r.x} y=${r.y} w=${r.w} h=${r.h}`;
      if (r.w < 1 || r.h < 1) add({ kind: 'degenerate-box', ...where, message: `box ${r.id} on ${r.file} (${desc}) is smaller than a pixel; delete or redraw it.` });
      if (r.x < 0 || r.y < 0 || r.x + r.w > r.width || r.y + r.h > r.height) {
        add({ kind: 'out-of-bounds', ...where, message: `box ${r.id} on ${r.file} (${desc}) runs past the edge of the ${r.width}×${r.height} image; exports would clamp it.` });
      }
    }

    // --- frames without boxes that are not skipped ---
    for (const r of db
      .prepare(
        `SELECT f.id, f.file, f.status FROM frames f JOIN temp.qa_scope s ON s.id = f.id
         WHERE f.status <> 'skipped' AND NOT EXISTS (SELECT 1 FROM boxes b WHERE b.frame_id = f.id) ORDER BY f.id`,
      )
      .all() as { id: number; file: string; status: string }[]) {
      add({
        kind: 'frame-without-box',
        frameId: r.id,
        file: r.file,
        status: r.status,
        message:
          r.status === 'unlabelled'
            ? `${r.file} has not been labelled yet (draw its box, or mark it skipped if no sign is visible).`
            : `${r.file} is marked ${r.status} but has no box; draw one, or mark it skipped.`,
      });
    }

    // --- class balance per signer ---
    const rows = db
      .prepare(
        `SELECT b.word_id AS wordId, COALESCE(sg.code, '${NO_SIGNER}') AS signer, count(*) AS n
         FROM boxes b JOIN temp.qa_scope s ON s.id = b.frame_id JOIN frames f ON f.id = b.frame_id
         LEFT JOIN videos v ON v.id = f.video_id LEFT JOIN signers sg ON sg.id = v.signer_id
         WHERE b.word_id IS NOT NULL GROUP BY b.word_id, signer`,
      )
      .all() as { wordId: number; signer: string; n: number }[];
    const byWord = new Map<number, QaBalanceRow>();
    const signers = new Set<string>();
    for (const r of rows) {
      signers.add(r.signer);
      let row = byWord.get(r.wordId);
      if (!row) byWord.set(r.wordId, (row = { wordId: r.wordId, name: nameOf(r.wordId), total: 0, perSigner: {} }));
      row.perSigner[r.signer] = r.n;
      row.total += r.n;
    }
    const balance = [...byWord.values()].sort((a, b) => b.total - a.total || a.wordId - b.wordId);
    const largest = balance[0]?.total ?? 0;
    for (const b of balance) {
      if (b.total < IMBALANCE_RATIO * largest) {
        add({
          kind: 'class-imbalance',
          wordId: b.wordId,
          name: b.name,
          boxes: b.total,
          message: `${JSON.stringify(b.name)} has ${b.total} boxes, under ${Math.round(IMBALANCE_RATIO * 100)}% of the largest class (${JSON.stringify(balance[0]!.name)}, ${largest}); the detector will rarely predict it.`,
        });
      }
    }

    return {
      level,
      labelMap: { source: opts.labelMap ? 'file' : 'catalog', names: mapNames.size },
      counts,
      findings,
      capped,
      notes,
      balance: { signers: [...signers].sort(), words: balance },
    };
  } finally {
    db.exec('DROP TABLE IF EXISTS temp.qa_scope');
  }
}

/** For near-miss suggestions only: case, Unicode form and spacing. The check itself is exact. */
function fold(s: string): string {
  return s.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}
