/**
 * Handlers for the editor's requests (src-shared/api-editor.ts); spread into app-services. Each write
 * is one call into the annotate services, which is one transaction; undo batches (editor.applyOps) wrap
 * several of those calls in one outer transaction (better-sqlite3 nests them as savepoints), so an undo is
 * applied entirely or not at all.
 *
 * Only the bulk edits (copy to next N, interpolate, VOC import) announce `catalog.changed`: they touch
 * frames other than the one on screen. A single box edit is answered to the editor that made it.
 */
import type { Database } from 'better-sqlite3';
import type { ApiHandlers } from '../../src-shared/api';
import type { EditorFrame, EditorRequestName, EditorStripItem, EditorWordInfo } from '../../src-shared/api-editor';
import { KslError } from '../../src-shared/result';
import type { Emit } from './app-services';
import type { Project } from './catalog/project';
import { resolveInProject } from './fs/project-paths';
import {
  addBox,
  copyBoxes,
  copyToNext,
  deleteBox,
  frameBoxes,
  frameWithNeighbours,
  getBox,
  getFrame,
  interpolate,
  setBoxWord,
  setFrameStatus,
  updateBox,
  verifyFrame,
  type BoxRecord,
  type NewBox,
} from './annotate/boxes';
import { qaReport } from './annotate/qa';
import { importVoc } from './annotate/import-voc';

type EditorHandlers = Pick<ApiHandlers, EditorRequestName>;

interface WordRow {
  id: number;
  text: string;
  label: string | null;
  level: number | null;
}

/** Statements for the reads the editor makes on every frame change, prepared once per database. */
function prepare(db: Database) {
  return {
    firstFrame: db.prepare('SELECT id FROM frames ORDER BY video_id, t LIMIT 1'),
    atOrAfter: db.prepare('SELECT id FROM frames WHERE video_id = ? AND t >= ? ORDER BY t ASC LIMIT 1'),
    before: db.prepare('SELECT id FROM frames WHERE video_id = ? AND t < ? ORDER BY t DESC LIMIT 1'),
    photosBefore: db.prepare('SELECT count(*) AS n FROM frames WHERE video_id IS NULL AND t IS NULL AND id < ?'),
    photoCount: db.prepare('SELECT count(*) AS n FROM frames WHERE video_id IS NULL AND t IS NULL'),
    video: db.prepare('SELECT v.id, v.number, s.code AS signer FROM videos v LEFT JOIN signers s ON s.id = v.signer_id WHERE v.id = ?'),
    word: db.prepare('SELECT id, text, label, level FROM words WHERE id = ?'),
    levelWords: db.prepare('SELECT id, text, label, level FROM words WHERE level = ? ORDER BY id'),
    someWords: db.prepare('SELECT id, text, label, level FROM words ORDER BY id LIMIT 99'),
    allWords: db.prepare('SELECT id, text, label, level FROM words ORDER BY id'),
    videoCount: db.prepare('SELECT count(*) AS n FROM frames WHERE video_id = ?'),
    videoPage: db.prepare(
      `SELECT f.id, f.t, f.file, f.status, (SELECT count(*) FROM boxes b WHERE b.frame_id = f.id) AS boxes
       FROM frames f WHERE f.video_id = ? ORDER BY f.t LIMIT ? OFFSET ?`,
    ),
    photoPage: db.prepare(
      `SELECT f.id, f.t, f.file, f.status, (SELECT count(*) FROM boxes b WHERE b.frame_id = f.id) AS boxes
       FROM frames f WHERE f.video_id IS NULL AND f.t IS NULL ORDER BY f.id LIMIT ? OFFSET ?`,
    ),
  };
}

const statements = new WeakMap<Database, ReturnType<typeof prepare>>();
function stmts(db: Database) {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

const idOf = (row: unknown): number | null => (row ? (row as { id: number }).id : null);
const countOf = (row: unknown): number => (row as { n: number }).n;

export function editorFrame(project: Project, args: { frameId?: number; near?: { videoId: number; t: number }; level?: number }): EditorFrame | null {
  const s = stmts(project.db);
  let id: number | null = args.frameId ?? null;
  if (id === null && args.near) id = idOf(s.atOrAfter.get(args.near.videoId, args.near.t)) ?? idOf(s.before.get(args.near.videoId, args.near.t));
  if (id === null) id = idOf(s.firstFrame.get());
  if (id === null) return null;
  const fw = frameWithNeighbours(project, id);
  const f = fw.frame;
  const position =
    fw.position ?? (f.videoId === null ? { index: countOf(s.photosBefore.get(f.id)) + 1, count: countOf(s.photoCount.get()) } : { index: 1, count: 1 });
  const video = f.videoId === null ? null : ((s.video.get(f.videoId) as EditorFrame['video'] | undefined) ?? null);
  const videoWord = f.videoWordId === null ? null : ((s.word.get(f.videoWordId) as WordRow | undefined) ?? null);
  const level = args.level ?? videoWord?.level ?? null;
  const levelWords = (level !== null ? s.levelWords.all(level) : s.someWords.all()) as EditorWordInfo[];
  return { project: project.dir, frame: f, boxes: fw.boxes, prevId: fw.prevId, nextId: fw.nextId, position, video, videoWord, level, levelWords };
}

const statusOf = (project: Project, frameId: number) => getFrame(project, frameId).status;
const change = (project: Project, box: BoxRecord) => ({ box, frameStatus: statusOf(project, box.frameId) });

/** The box must be on the frame the editor names: an undo never reaches into another frame. */
function boxOnFrame(project: Project, boxId: number, frameId: number): void {
  const b = getBox(project, boxId);
  if (b.frameId !== frameId) {
    throw new KslError('CONFLICT', `Box ${boxId} is on frame ${b.frameId}, not on frame ${frameId}; reload the frame.`, { boxId, frameId });
  }
}

function restore(project: Project, frameId: number, b: NewBox): BoxRecord {
  return addBox(project, frameId, {
    x: b.x,
    y: b.y,
    w: b.w,
    h: b.h,
    wordId: b.wordId ?? null,
    difficult: !!b.difficult,
    source: b.source ?? 'manual',
    verified: !!b.verified,
    score: b.score ?? null,
  });
}

export function createEditorHandlers(need: () => { project: Project }, emit?: Emit): EditorHandlers {
  const changed = (tables: string[]) => emit?.('catalog.changed', { tables });
  return {
    'editor.frame': (args) => editorFrame(need().project, args),
    'editor.words': () => stmts(need().project.db).allWords.all() as EditorWordInfo[],
    'editor.videoFrames': ({ videoId, offset, limit }) => {
      const s = stmts(need().project.db);
      if (videoId === null) {
        return { total: countOf(s.photoCount.get()), offset, items: s.photoPage.all(limit, offset) as EditorStripItem[] };
      }
      return { total: countOf(s.videoCount.get(videoId)), offset, items: s.videoPage.all(videoId, limit, offset) as EditorStripItem[] };
    },
    'editor.addBox': ({ frameId, box, wordId, difficult }) => {
      const p = need().project;
      const nb: NewBox = { ...box, source: 'manual' };
      if (wordId !== undefined) nb.wordId = wordId;
      if (difficult !== undefined) nb.difficult = difficult;
      return change(p, addBox(p, frameId, nb));
    },
    'editor.updateBox': ({ boxId, patch }) => {
      const p = need().project;
      return change(p, updateBox(p, boxId, patch));
    },
    'editor.deleteBox': ({ boxId }) => {
      const p = need().project;
      return change(p, deleteBox(p, boxId));
    },
    'editor.restoreBox': ({ frameId, box }) => {
      const p = need().project;
      return change(p, restore(p, frameId, box));
    },
    'editor.setBoxWord': ({ boxId, wordId }) => {
      const p = need().project;
      return change(p, setBoxWord(p, boxId, wordId));
    },
    'editor.applyOps': ({ frameId, ops }) => {
      const p = need().project;
      return p.db.transaction(() => {
        getFrame(p, frameId);
        const ids = new Map<number, number>();
        const idMap: [number, number][] = [];
        const real = (id: number) => ids.get(id) ?? id;
        for (const op of ops) {
          if (op.type === 'create') {
            const made = restore(p, frameId, op.box);
            ids.set(op.box.id, made.id);
            idMap.push([op.box.id, made.id]);
          } else if (op.type === 'update') {
            boxOnFrame(p, real(op.id), frameId);
            updateBox(p, real(op.id), op.patch);
          } else {
            boxOnFrame(p, real(op.id), frameId);
            deleteBox(p, real(op.id));
          }
        }
        return { frame: getFrame(p, frameId), boxes: frameBoxes(p, frameId), idMap };
      })();
    },
    'editor.setFrameStatus': ({ frameId, status }) => setFrameStatus(need().project, frameId, status),
    'editor.verifyFrame': ({ frameId }) => verifyFrame(need().project, frameId),
    'editor.copyPrevious': ({ frameId }) => {
      const p = need().project;
      const { frame, prevId } = frameWithNeighbours(p, frameId);
      // Only within a video (or among photos): the previous video's last frame shows another word, often
      // another signer, and its boxes would be wrong here.
      const from = prevId !== null && getFrame(p, prevId).videoId === frame.videoId ? prevId : null;
      const created = from === null ? [] : copyBoxes(p, from, frameId);
      return { frame: getFrame(p, frameId), boxes: frameBoxes(p, frameId), fromFrameId: from, created };
    },
    'editor.copyToNext': ({ frameId, n }) => {
      const r = copyToNext(need().project, frameId, n);
      changed(['frames', 'boxes']);
      return r;
    },
    'editor.interpolate': ({ videoId }) => {
      const r = interpolate(need().project, videoId);
      changed(['frames', 'boxes']);
      return r;
    },
    'editor.qa': ({ level, limit }) => qaReport(need().project, { level: level ?? null, limit }),
    'editor.importVoc': ({ dir }) => {
      const p = need().project;
      const r = importVoc(p, resolveInProject(p.dir, dir));
      changed(['frames', 'boxes', 'words']);
      return r;
    },
  };
}
