/**
 * The editor's part of the API contract (frames, boxes, words, VOC/QA): spread into
 * `apiRequests` in api.ts. Same rules: every request has a zod schema for its arguments.
 *
 * Every write is one request and one transaction on the main side (src-main/services/annotate/boxes.ts),
 * and answers with what the catalog now holds (ids, clamped coordinates, the frame's status): the editor
 * shows the server's answer, never a guess, so nothing typed is only in memory.
 *
 * The result types below mirror the services' records field for field; they are declared here because
 * this file compiles without Node (src-shared imports nothing from src-main), and the handlers' return
 * types are checked against them when app-services.ts assigns its ApiHandlers.
 */
import { z } from 'zod';
import type { BoxSource, FrameStatus } from './catalog-types';
import { ProjectRelPath } from './paths';

/** Declares a request: its argument schema now, its result type as a type parameter. */
export function request<A extends z.ZodType>(args: A) {
  return <R>() => ({ args, result: undefined as unknown as R });
}

// ---------------------------------------------------------------------------------------------------------
// Result types
// ---------------------------------------------------------------------------------------------------------

export interface EditorBoxRecord {
  id: number;
  frameId: number;
  wordId: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  difficult: boolean;
  source: BoxSource;
  verified: boolean;
  score: number | null;
  updatedAt: string;
}

export interface EditorFrameRecord {
  id: number;
  videoId: number | null;
  t: number | null;
  /** Relative to the project folder. */
  file: string;
  width: number;
  height: number;
  status: FrameStatus;
  splitHint: string | null;
  /** The word the frame's video was recorded for (null for imported photos). */
  videoWordId: number | null;
}

export interface EditorWordInfo {
  id: number;
  text: string;
  label: string | null;
  level: number | null;
}

/** Everything the editor shows for one frame. */
export interface EditorFrame {
  /** The open project's folder (the editor keys its sessionStorage undo history by it). */
  project: string;
  frame: EditorFrameRecord;
  boxes: EditorBoxRecord[];
  /** The frames D and A go to: video by video in time order, photos (no video) first by id. */
  prevId: number | null;
  nextId: number | null;
  /** 1-based position among the frames of the same video (or among the photos) and their count. */
  position: { index: number; count: number };
  video: { id: number; number: number | null; signer: string | null } | null;
  videoWord: EditorWordInfo | null;
  /** The level whose words digits 1–9 pick: the one asked for, else the video word's, else null (all words). */
  level: number | null;
  /** The level's words in the order digits pick them (by id: the order the level table listed them). */
  levelWords: EditorWordInfo[];
}

/** One change to one box, with the frame status it left (a first box makes a frame 'labelled'). */
export interface EditorBoxChange {
  box: EditorBoxRecord;
  frameStatus: FrameStatus;
}

/** What the catalog holds for a frame after a batch of edits. */
export interface EditorFrameBoxes {
  frame: EditorFrameRecord;
  boxes: EditorBoxRecord[];
}

export interface EditorApplyOpsResult extends EditorFrameBoxes {
  /** Boxes re-created by the batch: `[old id, new id]` (the editor rewrites its undo history with them). */
  idMap: [number, number][];
}

export interface EditorCopyPreviousResult extends EditorFrameBoxes {
  /** The frame the boxes came from (null for the first frame of a video, or the first photo). */
  fromFrameId: number | null;
  /** The boxes made by this copy (identical boxes already on the frame are not doubled). */
  created: EditorBoxRecord[];
}

export interface EditorStripItem {
  id: number;
  t: number | null;
  file: string;
  status: FrameStatus;
  boxes: number;
}

export interface EditorStripPage {
  total: number;
  offset: number;
  items: EditorStripItem[];
}

export interface CopyToNextResult {
  frames: number[];
  boxes: number;
  skipped: { frameId: number; reason: 'verified' | 'skipped' | 'has-boxes' }[];
}

export interface InterpolateResult {
  videoId: number;
  keyframes: number;
  frames: number;
  boxes: number;
  removed: number;
  skipped: number[];
}

export type QaKind = 'label-not-in-map' | 'no-word' | 'box-word-mismatch' | 'degenerate-box' | 'out-of-bounds' | 'frame-without-box' | 'class-imbalance';

export interface QaFinding {
  kind: QaKind;
  message: string;
  frameId?: number;
  boxId?: number;
  file?: string;
  wordId?: number;
  name?: string;
  suggestion?: string;
  boxes?: number;
  videoWordId?: number;
  status?: string;
}

export interface QaReport {
  level: number | null;
  labelMap: { source: 'catalog' | 'file'; names: number };
  counts: Record<QaKind, number>;
  findings: QaFinding[];
  capped: boolean;
  notes: string[];
  balance: { signers: string[]; words: { wordId: number; name: string; total: number; perSigner: Record<string, number> }[] };
}

export interface ImportVocResult {
  dir: string;
  images: number;
  boxes: number;
  labels: Record<string, number>;
  copied: number;
  unlabelled: number;
  verified: number;
  problems: { kind: string; file: string; message: string; object?: number; label?: string }[];
}

// ---------------------------------------------------------------------------------------------------------
// Argument schemas
// ---------------------------------------------------------------------------------------------------------

export const BOX_SOURCE_VALUES = ['manual', 'copied', 'interpolated', 'model', 'imported', 'groundtruth'] as const satisfies readonly BoxSource[];
export const FRAME_STATUS_VALUES = ['unlabelled', 'labelled', 'verified', 'skipped'] as const satisfies readonly FrameStatus[];

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Image pixels. Far larger than any frame, but finite: the service clamps to the image and refuses NaN. */
const Coord = z.number().finite().min(-1e6).max(1e6);
const Side = z.number().finite().min(0).max(1e6);
const Level = z.number().int().min(1).max(99);
const WordId = Id.nullable();

export const EditorRect = z.object({ x: Coord, y: Coord, w: Side, h: Side }).strict();

export const EditorBoxPatch = z
  .object({ x: Coord.optional(), y: Coord.optional(), w: Side.optional(), h: Side.optional(), wordId: WordId.optional(), difficult: z.boolean().optional() })
  .strict();
export type EditorBoxPatch = z.infer<typeof EditorBoxPatch>;

/** A box exactly as it was, to put back (the undo of a delete). Its old id is only a label: the catalog gives a new one. */
export const EditorBoxSnapshot = z
  .object({
    id: z.number().int().optional(),
    x: Coord,
    y: Coord,
    w: Side,
    h: Side,
    wordId: WordId,
    difficult: z.boolean().optional(),
    source: z.enum(BOX_SOURCE_VALUES).optional(),
    verified: z.boolean().optional(),
    score: z.number().finite().nullable().optional(),
  })
  .strict();
export type EditorBoxSnapshot = z.infer<typeof EditorBoxSnapshot>;

/** The undo stack's vocabulary (src-renderer/editor/undo-stack.ts): ids may be ones re-created earlier in the batch. */
export const EditorOp = z.discriminatedUnion('type', [
  z.object({ type: z.literal('create'), box: EditorBoxSnapshot.extend({ id: z.number().int() }) }).strict(),
  z.object({ type: z.literal('update'), id: z.number().int(), patch: EditorBoxPatch }).strict(),
  z.object({ type: z.literal('delete'), id: z.number().int() }).strict(),
]);
export type EditorOp = z.infer<typeof EditorOp>;

export const editorRequests = {
  /**
   * A frame with its boxes, neighbours, video word and the level's words. With no frameId: the frame of
   * `near.videoId` nearest to `near.t`, else the first frame of the project; null when there are no frames.
   */
  'editor.frame': request(
    z
      .object({
        frameId: Id.optional(),
        near: z.object({ videoId: Id, t: z.number().finite().min(0) }).strict().optional(),
        level: Level.optional(),
      })
      .strict(),
  )<EditorFrame | null>(),
  /** Every word (for names and the word picker), by id. */
  'editor.words': request(z.object({}).strict())<EditorWordInfo[]>(),
  /** A page of the frames of one video (null: the photos), in D/A order, for the frame strip. */
  'editor.videoFrames': request(
    z
      .object({
        videoId: Id.nullable(),
        offset: z.number().int().min(0).max(10_000_000).default(0),
        limit: z.number().int().min(1).max(500).default(200),
      })
      .strict(),
  )<EditorStripPage>(),
  /** A new box; without wordId it takes the word of the frame's video. Source 'manual'. */
  'editor.addBox': request(z.object({ frameId: Id, box: EditorRect, wordId: WordId.optional(), difficult: z.boolean().optional() }).strict())<EditorBoxChange>(),
  /** Moves/resizes a box, or changes its word or difficult flag. */
  'editor.updateBox': request(z.object({ boxId: Id, patch: EditorBoxPatch }).strict())<EditorBoxChange>(),
  /** Deletes a box; answers with the box as it was (kept for undo). */
  'editor.deleteBox': request(z.object({ boxId: Id }).strict())<EditorBoxChange>(),
  /** Undo of a delete: the box again with everything it had (source, verified, score); it gets a new id. */
  'editor.restoreBox': request(z.object({ frameId: Id, box: EditorBoxSnapshot }).strict())<EditorBoxChange>(),
  'editor.setBoxWord': request(z.object({ boxId: Id, wordId: WordId }).strict())<EditorBoxChange>(),
  /** Undo/redo: a list of box operations on one frame, all in one transaction. */
  'editor.applyOps': request(z.object({ frameId: Id, ops: z.array(EditorOp).min(1).max(2000) }).strict())<EditorApplyOpsResult>(),
  'editor.setFrameStatus': request(z.object({ frameId: Id, status: z.enum(FRAME_STATUS_VALUES) }).strict())<EditorFrameRecord>(),
  /** Space: the frame and every box on it verified. */
  'editor.verifyFrame': request(z.object({ frameId: Id }).strict())<EditorFrameBoxes>(),
  /** Ctrl+V: the previous frame's boxes (same video) added to this one (source 'copied'); identical boxes are not doubled. */
  'editor.copyPrevious': request(z.object({ frameId: Id }).strict())<EditorCopyPreviousResult>(),
  'editor.copyToNext': request(z.object({ frameId: Id, n: z.number().int().min(1).max(10_000) }).strict())<CopyToNextResult>(),
  'editor.interpolate': request(z.object({ videoId: Id }).strict())<InterpolateResult>(),
  'editor.qa': request(z.object({ level: Level.optional(), limit: z.number().int().min(0).max(10_000).default(200) }).strict())<QaReport>(),
  /** A labelImg folder inside the project (e.g. imports/voc-set). */
  'editor.importVoc': request(z.object({ dir: ProjectRelPath }).strict())<ImportVocResult>(),
} as const;

export type EditorRequestName = keyof typeof editorRequests;
