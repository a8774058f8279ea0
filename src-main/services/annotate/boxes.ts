/**
 * Box editing on the catalog: what the editor's commands become. Each function is one transaction, so an
 * edit is either entirely on disk or not at all (DESIGN.md: "nothing typed is ever only in memory").
 *
 * A frame's status follows its boxes: the first box on an 'unlabelled' frame makes it 'labelled', and
 * removing the last box of a 'labelled' frame makes it 'unlabelled' again. 'verified' and 'skipped' are
 * decisions a person made; they change only through setFrameStatus / verifyFrame.
 *
 * A box edited by hand becomes source 'manual' (whatever made it: a copy, the interpolator, a model): the
 * annotator has now vouched for its position, and manual boxes are the keyframes interpolation starts from.
 */
import type { Database } from 'better-sqlite3';
import type { BoxSource, FrameStatus } from '../../../src-shared/catalog-types';
import { FRAME_STATUSES } from '../../../src-shared/catalog-types';
import { boxCenter, clampBox, interpolateBoxes, isDegenerate, type Box } from '../../../src-shared/geometry/boxes';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
// The records these functions return are the editor contract's types (one definition for both sides).
import type { CopyToNextResult, EditorBoxRecord as BoxRecord, EditorFrameRecord as FrameRecord, InterpolateResult } from '../../../src-shared/api-editor';
export type { BoxRecord, CopyToNextResult, FrameRecord, InterpolateResult };

export const BOX_SOURCES: readonly BoxSource[] = ['manual', 'copied', 'interpolated', 'model', 'imported', 'groundtruth'];

/** Smallest side (pixels) a stored box may have; the editor refuses smaller drags before they get here. */
export const MIN_BOX_SIDE = 1;

/** Most frames one copyToNext may touch: a typo of 1000000 should not rewrite a whole project. */
export const MAX_COPY_TO_NEXT = 10_000;


export interface NewBox {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Default: the word of the frame's video (KETI clips are recorded for one word). */
  wordId?: number | null;
  difficult?: boolean;
  source?: BoxSource;
  verified?: boolean;
  score?: number | null;
}

export interface BoxPatch {
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  wordId?: number | null;
  difficult?: boolean;
}


interface BoxRow {
  id: number;
  frame_id: number;
  word_id: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  difficult: number;
  source: BoxSource;
  verified: number;
  score: number | null;
  updated_at: string;
}

interface FrameRow {
  id: number;
  video_id: number | null;
  t: number | null;
  file: string;
  width: number;
  height: number;
  status: FrameStatus;
  split_hint: string | null;
  video_word_id: number | null;
}

const BOX_COLUMNS = 'id, frame_id, word_id, x, y, w, h, difficult, source, verified, score, updated_at';
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export function toBoxRecord(r: BoxRow): BoxRecord {
  return {
    id: r.id,
    frameId: r.frame_id,
    wordId: r.word_id,
    x: r.x,
    y: r.y,
    w: r.w,
    h: r.h,
    difficult: r.difficult !== 0,
    source: r.source,
    verified: r.verified !== 0,
    score: r.score,
    updatedAt: r.updated_at,
  };
}

function toFrameRecord(r: FrameRow): FrameRecord {
  return { id: r.id, videoId: r.video_id, t: r.t, file: r.file, width: r.width, height: r.height, status: r.status, splitHint: r.split_hint, videoWordId: r.video_word_id };
}

// ---------------------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------------------

export function getFrame(project: Project, frameId: number): FrameRecord {
  const row = project.db
    .prepare(
      `SELECT f.id, f.video_id, f.t, f.file, f.width, f.height, f.status, f.split_hint, v.word_id AS video_word_id
       FROM frames f LEFT JOIN videos v ON v.id = f.video_id WHERE f.id = ?`,
    )
    .get(frameId) as FrameRow | undefined;
  if (!row) throw new KslError('NOT_FOUND', `Frame ${frameId} is not in this project (it may have been deleted); reload the frame list.`, { frameId });
  return toFrameRecord(row);
}

export function getBox(project: Project, boxId: number): BoxRecord {
  const row = project.db.prepare(`SELECT ${BOX_COLUMNS} FROM boxes WHERE id = ?`).get(boxId) as BoxRow | undefined;
  if (!row) throw new KslError('NOT_FOUND', `Box ${boxId} is not in this project (it may have been deleted or undone); reload the frame.`, { boxId });
  return toBoxRecord(row);
}

/** The boxes of a frame, oldest first (the order they were drawn). */
export function frameBoxes(project: Project, frameId: number): BoxRecord[] {
  return (project.db.prepare(`SELECT ${BOX_COLUMNS} FROM boxes WHERE frame_id = ? ORDER BY id`).all(frameId) as BoxRow[]).map(toBoxRecord);
}

export interface FrameWithNeighbours {
  frame: FrameRecord;
  boxes: BoxRecord[];
  /** Previous / next frame in the order video, then time (photos without a video first, by id). */
  prevId: number | null;
  nextId: number | null;
  /** Position within the frame's video (1-based) and its frame count; null for photos. */
  position: { index: number; count: number } | null;
}

/**
 * What the editor shows for one frame, with the ids D and A go to. The frame order is the (video_id, t)
 * index's own order (SQLite appends the rowid to every index entry and sorts NULL first), so each neighbour
 * is one index seek however many frames the project has — see the EXPLAIN QUERY PLAN test.
 */
export function frameWithNeighbours(project: Project, frameId: number): FrameWithNeighbours {
  const frame = getFrame(project, frameId);
  const s = neighbourStatements(project.db);
  let prevId: number | null;
  let nextId: number | null;
  let position: FrameWithNeighbours['position'] = null;
  if (frame.videoId === null) {
    // Photos (t is NULL for them): ordered by id among themselves, before every video's frames.
    prevId = pluck(s.prevPhoto.get(frame.id));
    nextId = pluck(s.nextPhoto.get(frame.id)) ?? pluck(s.firstOfNextVideo.get(Number.MIN_SAFE_INTEGER));
  } else {
    const t = frame.t ?? 0;
    prevId = pluck(s.prevInVideo.get(frame.videoId, t)) ?? pluck(s.lastOfPrevVideo.get(frame.videoId)) ?? pluck(s.lastPhoto.get());
    nextId = pluck(s.nextInVideo.get(frame.videoId, t)) ?? pluck(s.firstOfNextVideo.get(frame.videoId));
    const index = (s.countBefore.get(frame.videoId, t) as { n: number }).n + 1;
    const count = (s.countVideo.get(frame.videoId) as { n: number }).n;
    position = { index, count };
  }
  return { frame, boxes: frameBoxes(project, frameId), prevId, nextId, position };
}

const pluck = (row: unknown): number | null => (row ? (row as { id: number }).id : null);

const statementCache = new WeakMap<Database, ReturnType<typeof prepareNeighbours>>();
function neighbourStatements(db: Database) {
  let s = statementCache.get(db);
  if (!s) statementCache.set(db, (s = prepareNeighbours(db)));
  return s;
}

/**
 * Exported for the query-plan test. Every statement is a seek on the (video_id, t) index — frames_video, or
 * the identical one SQLite builds for UNIQUE (video_id, t); the planner may pick either.
 */
export function neighbourQueries(): Record<string, string> {
  return {
    prevInVideo: 'SELECT id FROM frames WHERE video_id = ? AND t < ? ORDER BY t DESC LIMIT 1',
    nextInVideo: 'SELECT id FROM frames WHERE video_id = ? AND t > ? ORDER BY t ASC LIMIT 1',
    lastOfPrevVideo: 'SELECT id FROM frames WHERE video_id < ? ORDER BY video_id DESC, t DESC LIMIT 1',
    firstOfNextVideo: 'SELECT id FROM frames WHERE video_id > ? ORDER BY video_id ASC, t ASC LIMIT 1',
    prevPhoto: 'SELECT id FROM frames WHERE video_id IS NULL AND t IS NULL AND id < ? ORDER BY id DESC LIMIT 1',
    nextPhoto: 'SELECT id FROM frames WHERE video_id IS NULL AND t IS NULL AND id > ? ORDER BY id ASC LIMIT 1',
    lastPhoto: 'SELECT id FROM frames WHERE video_id IS NULL AND t IS NULL ORDER BY id DESC LIMIT 1',
    countBefore: 'SELECT count(*) AS n FROM frames WHERE video_id = ? AND t < ?',
    countVideo: 'SELECT count(*) AS n FROM frames WHERE video_id = ?',
  };
}

function prepareNeighbours(db: Database) {
  const q = neighbourQueries();
  return {
    prevInVideo: db.prepare(q.prevInVideo!),
    nextInVideo: db.prepare(q.nextInVideo!),
    lastOfPrevVideo: db.prepare(q.lastOfPrevVideo!),
    firstOfNextVideo: db.prepare(q.firstOfNextVideo!),
    prevPhoto: db.prepare(q.prevPhoto!),
    nextPhoto: db.prepare(q.nextPhoto!),
    lastPhoto: db.prepare(q.lastPhoto!),
    countBefore: db.prepare(q.countBefore!),
    countVideo: db.prepare(q.countVideo!),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------------------

function checkWord(db: Database, wordId: number | null): void {
  if (wordId === null) return;
  if (!db.prepare('SELECT 1 FROM words WHERE id = ?').get(wordId)) {
    throw new KslError('NOT_FOUND', `Word ${wordId} is not in this project; pick a word from the list.`, { wordId });
  }
}

/** Clamps to the frame and refuses what cannot be a box (NaN, zero size, entirely outside). */
function fitToFrame(frame: FrameRecord, b: Box, what: string): Box {
  if (![b.x, b.y, b.w, b.h].every(Number.isFinite)) {
    throw new KslError('INVALID', `${what}: coordinates must be numbers (got x=${b.x}, y=${b.y}, w=${b.w}, h=${b.h}).`, { frameId: frame.id });
  }
  const { box } = clampBox(b, frame.width, frame.height);
  if (isDegenerate(box, MIN_BOX_SIDE)) {
    throw new KslError(
      'INVALID',
      `${what}: the box ${JSON.stringify(b)} is smaller than ${MIN_BOX_SIDE} px or lies outside the ${frame.width}×${frame.height} image of frame ${frame.id}.`,
      { frameId: frame.id, box: b },
    );
  }
  return box;
}

/** 'unlabelled' → 'labelled' when boxes appear; 'labelled' → 'unlabelled' when the last one goes. */
function followBoxes(db: Database, frameId: number): void {
  db.prepare(
    `UPDATE frames SET status = CASE
       WHEN status = 'unlabelled' AND EXISTS (SELECT 1 FROM boxes WHERE frame_id = frames.id) THEN 'labelled'
       WHEN status = 'labelled' AND NOT EXISTS (SELECT 1 FROM boxes WHERE frame_id = frames.id) THEN 'unlabelled'
       ELSE status END
     WHERE id = ?`,
  ).run(frameId);
}

function insertBox(db: Database, frameId: number, b: Box, o: { wordId: number | null; difficult: boolean; source: BoxSource; verified: boolean; score: number | null }): BoxRecord {
  const row = db
    .prepare(`INSERT INTO boxes (frame_id, word_id, x, y, w, h, difficult, source, verified, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${BOX_COLUMNS}`)
    .get(frameId, o.wordId, b.x, b.y, b.w, b.h, o.difficult ? 1 : 0, o.source, o.verified ? 1 : 0, o.score) as BoxRow;
  return toBoxRecord(row);
}

export function addBox(project: Project, frameId: number, box: NewBox): BoxRecord {
  const db = project.db;
  return db.transaction(() => {
    const frame = getFrame(project, frameId);
    const rect = fitToFrame(frame, box, 'addBox');
    const wordId = box.wordId === undefined ? frame.videoWordId : box.wordId;
    checkWord(db, wordId);
    const source = box.source ?? 'manual';
    if (!BOX_SOURCES.includes(source)) throw new KslError('INVALID', `addBox: source must be one of ${BOX_SOURCES.join(', ')} (got ${JSON.stringify(source)}).`);
    const rec = insertBox(db, frameId, rect, { wordId, difficult: !!box.difficult, source, verified: !!box.verified, score: box.score ?? null });
    followBoxes(db, frameId);
    return rec;
  })();
}

/** Moves/resizes a box or changes its word or difficult flag. Geometry edits make it 'manual'. */
export function updateBox(project: Project, boxId: number, patch: BoxPatch): BoxRecord {
  const db = project.db;
  return db.transaction(() => {
    const old = getBox(project, boxId);
    const frame = getFrame(project, old.frameId);
    const moved = patch.x !== undefined || patch.y !== undefined || patch.w !== undefined || patch.h !== undefined;
    const rect = moved ? fitToFrame(frame, { x: patch.x ?? old.x, y: patch.y ?? old.y, w: patch.w ?? old.w, h: patch.h ?? old.h }, 'updateBox') : old;
    const wordId = patch.wordId === undefined ? old.wordId : patch.wordId;
    if (patch.wordId !== undefined) checkWord(db, wordId);
    const difficult = patch.difficult === undefined ? old.difficult : patch.difficult;
    const source = moved ? 'manual' : old.source;
    const row = db
      .prepare(`UPDATE boxes SET x = ?, y = ?, w = ?, h = ?, word_id = ?, difficult = ?, source = ?, updated_at = ${NOW} WHERE id = ? RETURNING ${BOX_COLUMNS}`)
      .get(rect.x, rect.y, rect.w, rect.h, wordId, difficult ? 1 : 0, source, boxId) as BoxRow;
    return toBoxRecord(row);
  })();
}

export function setBoxWord(project: Project, boxId: number, wordId: number | null): BoxRecord {
  return updateBox(project, boxId, { wordId });
}

/** Deletes a box and returns it as it was (the editor keeps it for undo). */
export function deleteBox(project: Project, boxId: number): BoxRecord {
  const db = project.db;
  return db.transaction(() => {
    const old = getBox(project, boxId);
    db.prepare('DELETE FROM boxes WHERE id = ?').run(boxId);
    followBoxes(db, old.frameId);
    return old;
  })();
}

/**
 * Sets a frame's status as a person decided it. 'labelled' needs a box and 'unlabelled' needs none, so that
 * the status never contradicts the boxes; 'skipped' (no sign in this frame: a background example) and
 * 'verified' are always allowed.
 */
export function setFrameStatus(project: Project, frameId: number, status: FrameStatus): FrameRecord {
  if (!FRAME_STATUSES.includes(status)) throw new KslError('INVALID', `Frame status must be one of ${FRAME_STATUSES.join(', ')} (got ${JSON.stringify(status)}).`);
  const db = project.db;
  return db.transaction(() => {
    getFrame(project, frameId);
    const n = (db.prepare('SELECT count(*) AS n FROM boxes WHERE frame_id = ?').get(frameId) as { n: number }).n;
    if (status === 'labelled' && n === 0) throw new KslError('CONFLICT', `Frame ${frameId} has no boxes, so it cannot be 'labelled'; draw a box, or mark it skipped.`, { frameId });
    if (status === 'unlabelled' && n > 0) throw new KslError('CONFLICT', `Frame ${frameId} has ${n} boxes, so it cannot be 'unlabelled'; delete them first.`, { frameId });
    db.prepare('UPDATE frames SET status = ? WHERE id = ?').run(status, frameId);
    return getFrame(project, frameId);
  })();
}

/**
 * Space in the editor: the annotator checked this frame. The frame becomes 'verified' and every box on it
 * verified — interpolated and copied boxes included: they keep their source (for statistics) but now count
 * as keyframes.
 */
export function verifyFrame(project: Project, frameId: number): { frame: FrameRecord; boxes: BoxRecord[] } {
  const db = project.db;
  return db.transaction(() => {
    getFrame(project, frameId);
    db.prepare("UPDATE frames SET status = 'verified' WHERE id = ?").run(frameId);
    db.prepare(`UPDATE boxes SET verified = 1, updated_at = ${NOW} WHERE frame_id = ? AND verified = 0`).run(frameId);
    return { frame: getFrame(project, frameId), boxes: frameBoxes(project, frameId) };
  })();
}

const sameBox = (a: BoxRecord, b: { x: number; y: number; w: number; h: number; wordId: number | null }) =>
  a.wordId === b.wordId && a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/** Copies inside an open transaction; returns the boxes created. */
function copyInto(project: Project, from: BoxRecord[], to: FrameRecord): BoxRecord[] {
  const existing = frameBoxes(project, to.id);
  const made: BoxRecord[] = [];
  for (const b of from) {
    const { box } = clampBox(b, to.width, to.height);
    if (isDegenerate(box, MIN_BOX_SIDE)) continue; // the target frame is smaller and the box falls outside it
    // Pressing Ctrl+V twice must not stack identical boxes.
    if (existing.some((e) => sameBox(e, { ...box, wordId: b.wordId }))) continue;
    made.push(insertBox(project.db, to.id, box, { wordId: b.wordId, difficult: b.difficult, source: 'copied', verified: false, score: null }));
  }
  followBoxes(project.db, to.id);
  return made;
}

/** Ctrl+V: the boxes of `fromFrameId` added to `toFrameId` (source 'copied'; identical boxes are not doubled). */
export function copyBoxes(project: Project, fromFrameId: number, toFrameId: number): BoxRecord[] {
  return project.db.transaction(() => {
    getFrame(project, fromFrameId);
    const to = getFrame(project, toFrameId);
    return copyInto(project, frameBoxes(project, fromFrameId), to);
  })();
}


/**
 * Copies a frame's boxes to the next `n` frames of the same video (by time). Earlier copies on those frames
 * are replaced; frames a person already decided are left alone and listed in `skipped`.
 */
export function copyToNext(project: Project, frameId: number, n: number): CopyToNextResult {
  if (!Number.isInteger(n) || n < 1 || n > MAX_COPY_TO_NEXT) {
    throw new KslError('INVALID', `copyToNext: the number of frames must be a whole number from 1 to ${MAX_COPY_TO_NEXT} (got ${n}).`);
  }
  const db = project.db;
  return db.transaction(() => {
    const src = getFrame(project, frameId);
    if (src.videoId === null || src.t === null) throw new KslError('INVALID', `Frame ${frameId} is a photo without a video, so it has no next frames.`, { frameId });
    const boxes = frameBoxes(project, frameId);
    const next = (
      db.prepare('SELECT id FROM frames WHERE video_id = ? AND t > ? ORDER BY t LIMIT ?').all(src.videoId, src.t, n) as { id: number }[]
    ).map((r) => getFrame(project, r.id));
    const result: CopyToNextResult = { frames: [], boxes: 0, skipped: [] };
    for (const f of next) {
      if (f.status === 'verified' || f.status === 'skipped') {
        result.skipped.push({ frameId: f.id, reason: f.status });
        continue;
      }
      const own = db.prepare("SELECT count(*) AS n FROM boxes WHERE frame_id = ? AND source <> 'copied'").get(f.id) as { n: number };
      if (own.n > 0) {
        result.skipped.push({ frameId: f.id, reason: 'has-boxes' });
        continue;
      }
      db.prepare("DELETE FROM boxes WHERE frame_id = ? AND source = 'copied'").run(f.id);
      const made = copyInto(project, boxes, f);
      result.frames.push(f.id);
      result.boxes += made.length;
    }
    return result;
  })();
}


interface KeyBox {
  wordId: number | null;
  box: Box;
  difficult: boolean;
}

/**
 * Fills the frames between each pair of consecutive keyframes of a video with boxes moving linearly in time
 * (source 'interpolated'). A keyframe is a frame with a manual box or a verified box. Unverified interpolated
 * boxes from an earlier run are removed first, everywhere in the video but on keyframes, so running it again
 * after moving a keyframe gives the same result as running it once; manual, copied, imported and verified
 * boxes are never touched. Boxes are paired by word, nearest centres first; a word present in only one of
 * the two keyframes is not interpolated.
 */
export function interpolate(project: Project, videoId: number): InterpolateResult {
  const db = project.db;
  return db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM videos WHERE id = ?').get(videoId)) throw new KslError('NOT_FOUND', `Video ${videoId} is not in this project.`, { videoId });
    const frames = (
      db
        .prepare(
          `SELECT f.id, f.t, f.width, f.height, f.status,
                  EXISTS (SELECT 1 FROM boxes b WHERE b.frame_id = f.id AND (b.source = 'manual' OR b.verified = 1)) AS key
           FROM frames f WHERE f.video_id = ? AND f.t IS NOT NULL ORDER BY f.t`,
        )
        .all(videoId) as { id: number; t: number; width: number; height: number; status: FrameStatus; key: number }[]
    );
    const result: InterpolateResult = { videoId, keyframes: 0, frames: 0, boxes: 0, removed: 0, skipped: [] };
    const delOld = db.prepare("DELETE FROM boxes WHERE frame_id = ? AND source = 'interpolated' AND verified = 0");
    for (const f of frames) if (!f.key) result.removed += delOld.run(f.id).changes;

    const keyIdx = frames.flatMap((f, i) => (f.key ? [i] : []));
    result.keyframes = keyIdx.length;
    const keyBoxes = (frameId: number): KeyBox[] =>
      frameBoxes(project, frameId)
        .filter((b) => b.source !== 'interpolated' || b.verified)
        .map((b) => ({ wordId: b.wordId, box: { x: b.x, y: b.y, w: b.w, h: b.h }, difficult: b.difficult }));
    const hasBoxes = db.prepare('SELECT 1 FROM boxes WHERE frame_id = ? LIMIT 1');

    for (let k = 0; k + 1 < keyIdx.length; k++) {
      const a = frames[keyIdx[k]!]!;
      const b = frames[keyIdx[k + 1]!]!;
      const pairs = pairBoxes(keyBoxes(a.id), keyBoxes(b.id));
      if (pairs.length === 0) continue;
      for (let i = keyIdx[k]! + 1; i < keyIdx[k + 1]!; i++) {
        const f = frames[i]!;
        if (f.status === 'skipped' || f.status === 'verified' || hasBoxes.get(f.id)) {
          result.skipped.push(f.id);
          continue;
        }
        for (const [p, q] of pairs) {
          const { box } = clampBox(interpolateBoxes({ t: a.t, box: p.box }, { t: b.t, box: q.box }, f.t), f.width, f.height);
          if (isDegenerate(box, MIN_BOX_SIDE)) continue;
          insertBox(db, f.id, box, { wordId: p.wordId, difficult: p.difficult || q.difficult, source: 'interpolated', verified: false, score: null });
          result.boxes++;
        }
        result.frames++;
      }
    }
    for (const f of frames) if (!f.key) followBoxes(db, f.id);
    return result;
  })();
}

/** Pairs boxes of the same word across two keyframes, greedily by nearest centre. */
function pairBoxes(a: KeyBox[], b: KeyBox[]): [KeyBox, KeyBox][] {
  const candidates: { i: number; j: number; d: number }[] = [];
  a.forEach((p, i) =>
    b.forEach((q, j) => {
      if (p.wordId !== q.wordId) return;
      const cp = boxCenter(p.box);
      const cq = boxCenter(q.box);
      candidates.push({ i, j, d: Math.hypot(cp.x - cq.x, cp.y - cq.y) });
    }),
  );
  candidates.sort((x, y) => x.d - y.d || x.i - y.i || x.j - y.j);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: [KeyBox, KeyBox][] = [];
  for (const c of candidates) {
    if (usedA.has(c.i) || usedB.has(c.j)) continue;
    usedA.add(c.i);
    usedB.add(c.j);
    out.push([a[c.i]!, b[c.j]!]);
  }
  // Stable output order: as the boxes were drawn on the first keyframe.
  return out.sort((x, y) => a.indexOf(x[0]) - a.indexOf(y[0]));
}
