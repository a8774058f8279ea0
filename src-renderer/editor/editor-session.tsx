/**
 * The editor's host: it owns one EditorMachine, turns the machine's commands into requests (one request =
 * one transaction), applies the server's answers (real ids, clamped boxes, frame status), keeps the
 * per-frame undo history (in memory and in sessionStorage, so a reload keeps it), and moves between frames.
 *
 * Ordering: every edit goes through one queue, so requests reach the server in the order the person made
 * them, and an undo is computed when its turn comes (after the edits before it have been recorded). A box
 * drawn and nudged at once is created, then moved: the nudge names the box by its temporary id, which the
 * queue resolves once the create has answered.
 *
 * Speed: after a frame is shown, its neighbours' data are fetched and their images decoded ahead, so D shows
 * the next frame from memory; the data is then checked against the catalog in the background.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Api, ArgsOf, RequestName, ResultOf } from '../../src-shared/api';
import type { EditorBoxPatch, EditorBoxRecord, EditorBoxSnapshot, EditorFrame, EditorOp, EditorWordInfo } from '../../src-shared/api-editor';
import type { BoxSource, FrameStatus } from '../../src-shared/catalog-types';
import type { Box } from '../../src-shared/geometry/boxes';
import type { ApiError } from '../../src-shared/result';
import { fileUrl } from '../api/file-url';
import { EditorMachine, type EditorBox, type EditorCommand } from './editor-machine';
import {
  combineEntries,
  createEntry,
  deleteEntry,
  emptyUndoState,
  forgetFrame,
  nextLabels,
  parseUndoState,
  record,
  redo,
  remapBoxId,
  serializeUndoState,
  undo,
  updateEntry,
  type BoxOp,
  type BoxSnapshot,
  type UndoEntry,
  type UndoState,
} from './undo-stack';

/** What the React side renders besides the machine's snapshot. */
export interface SessionView {
  frame: EditorFrame | null;
  /**
   * The frame's image element. When the frame was fetched ahead this is the element that was decoded then,
   * so the canvas inserts a ready picture instead of starting a new load.
   */
  image: HTMLImageElement | null;
  /** The current frame's boxes as the catalog holds them (source, verified, difficult…), by id. */
  records: ReadonlyMap<number, EditorBoxRecord>;
  words: ReadonlyMap<number, EditorWordInfo>;
  loading: boolean;
  /** The project has no frames (or no project is open: `error` says which). */
  empty: boolean;
  /** Edits sent and not answered yet. */
  pending: number;
  error: string | null;
  notice: string | null;
  undoLabel: string | null;
  redoLabel: string | null;
  /** Level chosen for the digit keys (undefined: the video word's level). */
  levelOverride: number | undefined;
  /** Bumped when frames other than the current one may have changed (the strip reloads). */
  stripVersion: number;
}

class RequestFailed extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

const LAST_FRAME_KEY = 'ksl.editor.last';
const UNDO_KEY = (project: string) => `ksl.editor.undo:${project}`;
const CACHE_SIZE = 24;
/** The names the browser test reads (performance.getEntriesByName). */
export const NAV_MARK = 'ksl:nav';
export const NAV_MEASURE = 'ksl:frame-shown';

export const toEditorBox = (b: EditorBoxRecord): EditorBox => ({ id: b.id, x: b.x, y: b.y, w: b.w, h: b.h, wordId: b.wordId });
const snapshotOf = (b: EditorBoxRecord): BoxSnapshot => ({ id: b.id, x: b.x, y: b.y, w: b.w, h: b.h, wordId: b.wordId, difficult: b.difficult, source: b.source, verified: b.verified, score: b.score });
const rect = (b: Box): Box => ({ x: b.x, y: b.y, w: b.w, h: b.h });

/** An undo-stack operation as the contract takes it (only the fields each request accepts). */
function toWireOp(op: BoxOp): EditorOp {
  if (op.type === 'delete') return { type: 'delete', id: op.id };
  if (op.type === 'update') {
    const patch: EditorBoxPatch = {};
    for (const k of ['x', 'y', 'w', 'h', 'wordId', 'difficult'] as const) if (op.patch[k] !== undefined) (patch as Record<string, unknown>)[k] = op.patch[k];
    return { type: 'update', id: op.id, patch };
  }
  const b = op.box;
  const box: EditorBoxSnapshot & { id: number } = { id: b.id, x: b.x, y: b.y, w: b.w, h: b.h, wordId: b.wordId };
  if (b.difficult !== undefined) box.difficult = b.difficult;
  if (b.source !== undefined) box.source = b.source as BoxSource;
  if (b.verified !== undefined) box.verified = b.verified;
  if (b.score !== undefined) box.score = b.score;
  return { type: 'create', box };
}

function sameBoxes(a: readonly EditorBox[], b: readonly EditorBox[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(a.map((x) => [x.id, x]));
  return b.every((y) => {
    const x = byId.get(y.id);
    return !!x && x.x === y.x && x.y === y.y && x.w === y.w && x.h === y.h && x.wordId === y.wordId;
  });
}

function loadImage(file: string): HTMLImageElement {
  const image = new Image();
  image.decoding = 'async';
  image.draggable = false;
  image.alt = file;
  image.dataset.file = file;
  image.src = fileUrl(file);
  return image;
}

/**
 * remapBoxId rewrites an id in every frame's history, trusting box ids to be unique for ever. They are not:
 * boxes.id is a plain INTEGER PRIMARY KEY, and SQLite gives a new row the largest rowid + 1, so deleting the
 * newest box frees its id for the next box drawn anywhere (https://www.sqlite.org/autoinc.html). A frame's
 * history only ever names boxes of that frame (editor.applyOps refuses others), so the rewrite stays inside
 * the frame whose undo re-created the box.
 */
function remapInFrame(state: UndoState, frameId: number, from: number, to: number): UndoState {
  const key = String(frameId);
  const own = state.frames[key];
  if (!own || from === to) return state;
  const mapped = remapBoxId({ ...state, frames: { [key]: own } }, from, to);
  return { ...state, frames: { ...state.frames, [key]: mapped.frames[key]! } };
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: history lives in memory only
  }
}

interface Cached {
  data: EditorFrame;
  image: HTMLImageElement;
}

export class EditorSession {
  readonly machine = new EditorMachine();
  private view: SessionView = {
    frame: null,
    image: null,
    records: new Map(),
    words: new Map(),
    loading: true,
    empty: false,
    pending: 0,
    error: null,
    notice: null,
    undoLabel: null,
    redoLabel: null,
    levelOverride: undefined,
    stripVersion: 0,
  };
  private listeners = new Set<() => void>();
  private queue: Promise<void> = Promise.resolve();
  /** Temporary (negative) box ids → the ids the catalog gave them. */
  private temp = new Map<number, number>();
  private cache = new Map<number, Cached>();
  private inflight = new Set<number>();
  /** Bumped whenever cached frame data may be stale as a whole (bulk edits, level change). */
  private cacheGen = 0;
  /** Bumped by every answered edit: a background check started before an edit must not overwrite it. */
  private editClock = 0;
  private undoState: UndoState = emptyUndoState();
  private undoKey: string | null = null;
  private navSeq = 0;
  private viewport: { width: number; height: number } | null = null;
  private fitPending = true;
  /** The frame a D/A press is waiting to show, for the performance measure. */
  private navWait: { frameId: number; mark: string; prefetched: boolean } | null = null;
  private started = false;

  constructor(private readonly api: Api) {}

  // -------------------------------------------------------------------------------------------------------
  // React plumbing
  // -------------------------------------------------------------------------------------------------------

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getView = (): SessionView => this.view;

  private set(patch: Partial<SessionView>): void {
    this.view = { ...this.view, ...patch };
    for (const l of this.listeners) l();
  }

  private async call<K extends RequestName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    const r = await this.api.invoke(name, args);
    if (!r.ok) throw new RequestFailed(r.error);
    return r.value;
  }

  // -------------------------------------------------------------------------------------------------------
  // Loading frames
  // -------------------------------------------------------------------------------------------------------

  /** Opens the frame this tab showed last (a reload comes back to it), else the project's first frame. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    void this.loadWords();
    type Last = { project: string; frameId: number } | null;
    let last: Last = null;
    try {
      last = JSON.parse(storage()?.getItem(LAST_FRAME_KEY) ?? 'null') as Last;
    } catch {
      last = null;
    }
    let data: EditorFrame | null = null;
    try {
      if (last && Number.isInteger(last.frameId) && last.frameId > 0) {
        const r = await this.api.invoke('editor.frame', { frameId: last.frameId });
        if (r.ok && r.value && r.value.project === last.project) data = r.value;
      }
      data ??= await this.call('editor.frame', {});
    } catch (e) {
      this.set({ loading: false, empty: true, error: (e as Error).message });
      return;
    }
    if (!data) {
      this.set({ loading: false, empty: true });
      return;
    }
    this.show(data);
  }

  async loadWords(): Promise<void> {
    const r = await this.api.invoke('editor.words', {});
    if (r.ok) this.set({ words: new Map(r.value.map((w) => [w.id, w])) });
  }

  /** Shows frame `frameId`: from memory when it was fetched ahead, else from the catalog. */
  async go(frameId: number | null, opts: { measure?: boolean } = {}): Promise<void> {
    if (frameId === null) {
      this.set({ notice: 'No more frames in this direction.' });
      return;
    }
    const seq = ++this.navSeq;
    const hit = this.cache.get(frameId);
    if (opts.measure) {
      const mark = `${NAV_MARK}:${frameId}:${seq}`;
      performance.mark(mark);
      this.navWait = { frameId, mark, prefetched: !!hit };
    } else {
      this.navWait = null;
    }
    if (hit) {
      this.show(hit.data, hit.image);
      void this.revalidate(frameId);
      return;
    }
    this.set({ loading: true });
    try {
      const data = await this.call('editor.frame', { frameId, level: this.view.levelOverride });
      if (seq !== this.navSeq) return;
      if (!data) {
        this.set({ loading: false, empty: true });
        return;
      }
      this.show(data);
    } catch (e) {
      if (seq === this.navSeq) this.set({ loading: false, error: (e as Error).message });
    }
  }

  /** Called by the canvas once the frame's image is decoded and its boxes are in the DOM. */
  frameShown(frameId: number): void {
    const w = this.navWait;
    if (!w || w.frameId !== frameId) return;
    this.navWait = null;
    performance.measure(NAV_MEASURE, { start: w.mark, detail: { frameId, prefetched: w.prefetched } });
    performance.clearMarks(w.mark);
  }

  private show(data: EditorFrame, preloaded?: HTMLImageElement): void {
    const prev = this.view.frame;
    const image = preloaded && preloaded.dataset.file === data.frame.file ? preloaded : loadImage(data.frame.file);
    if (this.undoKey !== UNDO_KEY(data.project)) {
      this.undoKey = UNDO_KEY(data.project);
      this.undoState = parseUndoState(storage()?.getItem(this.undoKey));
    }
    this.machine.loadFrame({ width: data.frame.width, height: data.frame.height, boxes: data.boxes.map(toEditorBox), defaultWordId: data.frame.videoWordId });
    this.machine.setWords(data.levelWords.map((w) => ({ id: w.id, text: w.text })));
    if (!prev || prev.frame.width !== data.frame.width || prev.frame.height !== data.frame.height) this.fitPending = true;
    if (this.fitPending && this.viewport) {
      this.machine.fit();
      this.fitPending = false;
    }
    this.set({ frame: data, image, records: new Map(data.boxes.map((b) => [b.id, b])), loading: false, empty: false, ...this.labels(data.frame.id) });
    try {
      storage()?.setItem(LAST_FRAME_KEY, JSON.stringify({ project: data.project, frameId: data.frame.id }));
    } catch {
      /* full or disabled: the next start opens the first frame */
    }
    this.prefetchAround(data);
  }

  private prefetchAround(data: EditorFrame): void {
    const gen = this.cacheGen;
    const want = [data.nextId, data.prevId].filter((x): x is number => x !== null);
    for (const id of want) {
      void this.prefetch(id, gen).then((next) => {
        // One more step forward: D is pressed far more often than A.
        if (next && id === data.nextId && next.nextId !== null) void this.prefetch(next.nextId, gen);
      });
    }
  }

  private async prefetch(frameId: number, gen: number): Promise<EditorFrame | null> {
    const hit = this.cache.get(frameId);
    if (hit) return hit.data;
    if (this.inflight.has(frameId)) return null;
    this.inflight.add(frameId);
    try {
      const r = await this.api.invoke('editor.frame', { frameId, level: this.view.levelOverride });
      if (!r.ok || !r.value || gen !== this.cacheGen) return null;
      const image = loadImage(r.value.frame.file);
      image.decode().catch(() => {});
      this.cache.set(frameId, { data: r.value, image });
      while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
      return r.value;
    } finally {
      this.inflight.delete(frameId);
    }
  }

  /** Checks a frame shown from memory against the catalog (another window or the CLI may have changed it). */
  private async revalidate(frameId: number): Promise<void> {
    const clock = this.editClock;
    const r = await this.api.invoke('editor.frame', { frameId, level: this.view.levelOverride });
    if (!r.ok || !r.value) return;
    if (this.view.frame?.frame.id !== frameId || clock !== this.editClock || this.view.pending > 0) return;
    this.adopt(r.value);
  }

  /** Takes fresh data for the frame on screen without disturbing a drag or the view. */
  private adopt(data: EditorFrame): void {
    this.cache.delete(data.frame.id);
    // Usually nothing changed: then nothing re-renders.
    const f = this.view.frame;
    if (f && JSON.stringify({ ...f, boxes: [...this.view.records.values()].sort((a, b) => a.id - b.id) }) === JSON.stringify(data)) return;
    const image = this.view.image?.dataset.file === data.frame.file ? this.view.image : loadImage(data.frame.file);
    this.set({ frame: data, image, records: new Map(data.boxes.map((b) => [b.id, b])) });
    this.reconcile();
  }

  /** Reloads the frame on screen from the catalog (after an error, a bulk edit, or another window's change). */
  async refresh(): Promise<void> {
    const id = this.view.frame?.frame.id;
    if (id === undefined) {
      this.started = false;
      return this.start();
    }
    const r = await this.api.invoke('editor.frame', { frameId: id, level: this.view.levelOverride });
    if (!r.ok) {
      // The frame itself is gone (deleted by another window): go to the first frame.
      if (r.error.code === 'NOT_FOUND') {
        const first = await this.api.invoke('editor.frame', {});
        if (first.ok && first.value) this.show(first.value);
        else if (first.ok) this.set({ frame: null, empty: true });
      }
      return;
    }
    if (r.value && this.view.frame?.frame.id === id) this.adopt(r.value);
  }

  /** Everything cached may be stale (a bulk edit touched other frames). */
  invalidateAll(): void {
    this.cacheGen++;
    this.cache.clear();
    this.set({ stripVersion: this.view.stripVersion + 1 });
  }

  setViewport(width: number, height: number): void {
    this.viewport = { width, height };
    this.machine.setViewport(width, height);
    if (this.fitPending && this.view.frame) {
      this.machine.fit();
      this.fitPending = false;
    }
  }

  setLevel(level: number | undefined): void {
    this.cacheGen++;
    this.cache.clear();
    this.set({ levelOverride: level });
    void this.refresh().then(() => {
      const f = this.view.frame;
      if (f) this.machine.setWords(f.levelWords.map((w) => ({ id: w.id, text: w.text })));
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------------------

  /** Applies what the machine asked for, in order. */
  handle(cmds: readonly EditorCommand[]): void {
    for (const c of cmds) this.command(c);
  }

  private command(c: EditorCommand): void {
    const frame = this.view.frame;
    switch (c.type) {
      case 'nextFrame':
        void this.go(frame?.nextId ?? null, { measure: true });
        return;
      case 'prevFrame':
        void this.go(frame?.prevId ?? null, { measure: true });
        return;
      case 'saved':
        this.set({ notice: this.view.pending ? `Saving ${this.view.pending} edit(s)…` : 'Every edit is already saved.' });
        return;
      case 'pickWord': {
        const w = this.view.frame?.levelWords.find((x) => x.id === c.wordId);
        this.set({ notice: `Word ${c.index}: ${w?.text ?? c.wordId}` });
        return;
      }
      case 'tool':
      case 'toggleHelp':
        this.set({});
        return;
    }
    if (!frame) return;
    const frameId = frame.frame.id;
    switch (c.type) {
      case 'create':
        this.enqueue(frameId, async () => {
          const r = await this.call('editor.addBox', { frameId, box: rect(c.box), wordId: c.wordId });
          this.temp.set(c.tempId, r.box.id);
          if (this.view.frame?.frame.id === frameId) this.machine.idAssigned(c.tempId, r.box.id);
          this.boxAnswered(frameId, r.box, r.frameStatus);
          this.remember(frameId, createEntry(snapshotOf(r.box)));
        });
        return;
      case 'update':
        this.enqueue(frameId, async () => {
          const id = this.real(c.id);
          const r = await this.call('editor.updateBox', { boxId: id, patch: rect(c.box) });
          this.boxAnswered(frameId, r.box, r.frameStatus);
          const label = c.reason === 'move' ? 'move box' : c.reason === 'resize' ? 'resize box' : 'nudge box';
          this.remember(frameId, updateEntry(id, rect(c.before), rect(r.box), label, c.reason === 'nudge' ? `nudge:${id}` : undefined));
        });
        return;
      case 'delete':
        this.enqueue(frameId, async () => {
          const r = await this.call('editor.deleteBox', { boxId: this.real(c.id) });
          this.boxAnswered(frameId, null, r.frameStatus, r.box.id);
          this.remember(frameId, deleteEntry(snapshotOf(r.box)));
        });
        return;
      case 'setWord':
        this.setBoxWord(c.id, c.wordId, c.before);
        return;
      case 'verifyFrame':
        this.enqueue(frameId, async () => {
          const r = await this.call('editor.verifyFrame', { frameId });
          this.frameAnswered(frameId, r.frame.status, r.boxes);
          this.set({ notice: 'Frame verified.' });
        });
        return;
      case 'copyPrevious':
        this.enqueue(frameId, async () => {
          const r = await this.call('editor.copyPrevious', { frameId });
          this.frameAnswered(frameId, r.frame.status, r.boxes);
          if (r.created.length) this.remember(frameId, combineEntries('copy previous boxes', r.created.map((b) => createEntry(snapshotOf(b)))));
          this.set({ notice: r.fromFrameId === null ? 'This is the first frame of its video: nothing to copy.' : `Copied ${r.created.length} box(es) from the previous frame.` });
        });
        return;
      case 'undo':
      case 'redo':
        this.enqueue(frameId, () => this.step(frameId, c.type));
        return;
    }
  }

  setBoxWord(boxId: number, wordId: number | null, before: number | null): void {
    const frameId = this.view.frame?.frame.id;
    if (frameId === undefined) return;
    this.enqueue(frameId, async () => {
      const id = this.real(boxId);
      const r = await this.call('editor.setBoxWord', { boxId: id, wordId });
      this.boxAnswered(frameId, r.box, r.frameStatus);
      this.remember(frameId, updateEntry(id, { wordId: before }, { wordId: r.box.wordId }, 'change word'));
    });
  }

  /** The status bar's "difficult" toggle and the word picker for the selected box. */
  setDifficult(boxId: number, difficult: boolean): void {
    const frameId = this.view.frame?.frame.id;
    if (frameId === undefined) return;
    this.enqueue(frameId, async () => {
      const id = this.real(boxId);
      const r = await this.call('editor.updateBox', { boxId: id, patch: { difficult } });
      this.boxAnswered(frameId, r.box, r.frameStatus);
      this.remember(frameId, updateEntry(id, { difficult: !difficult }, { difficult }, difficult ? 'mark difficult' : 'unmark difficult'));
    });
  }

  /** Skip (no sign in this frame) and its way back; verified frames can be reopened the same way. */
  setStatus(status: FrameStatus): void {
    const frameId = this.view.frame?.frame.id;
    if (frameId === undefined) return;
    this.enqueue(frameId, async () => {
      const f = await this.call('editor.setFrameStatus', { frameId, status });
      this.frameAnswered(frameId, f.status, null);
      this.set({ notice: `Frame marked ${f.status}.` });
    });
  }

  copyToNext(n: number): void {
    const frameId = this.view.frame?.frame.id;
    if (frameId === undefined) return;
    this.enqueue(frameId, async () => {
      const r = await this.call('editor.copyToNext', { frameId, n });
      for (const id of r.frames) this.undoState = forgetFrame(this.undoState, id);
      this.saveUndo();
      this.invalidateAll();
      const skipped = r.skipped.length ? `; ${r.skipped.length} frame(s) left alone (already decided)` : '';
      this.set({ notice: `Copied ${r.boxes} box(es) to ${r.frames.length} frame(s)${skipped}.` });
    });
  }

  interpolateVideo(): void {
    const f = this.view.frame;
    if (!f || f.frame.videoId === null) {
      this.set({ notice: 'Interpolation needs frames of a video; this frame is a photo.' });
      return;
    }
    const videoId = f.frame.videoId;
    this.enqueue(f.frame.id, async () => {
      const r = await this.call('editor.interpolate', { videoId });
      this.invalidateAll();
      await this.refresh();
      this.set({ notice: `Interpolated ${r.boxes} box(es) on ${r.frames} frame(s) between ${r.keyframes} keyframe(s); ${r.removed} earlier interpolated box(es) replaced.` });
    });
  }

  /** Models a proposal can come from (trained runs, models/*.onnx): live.models. */
  async models(): Promise<ResultOf<'live.models'>> {
    return this.call('live.models', {});
  }

  /**
   * Model-assisted labelling: `scope` 'frame' asks for the frame on screen, 'rest' for it and every later
   * frame of its video. The server leaves frames with boxes and skipped frames alone; proposals arrive as
   * unverified 'model' boxes (Space accepts them all, a drag fixes one, Delete drops one).
   */
  propose(modelId: string, scope: 'frame' | 'rest', threshold: number): Promise<ResultOf<'editor.propose'> | null> {
    const f = this.view.frame;
    if (!f) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.enqueue(f.frame.id, async () => {
        try {
          let ids = [f.frame.id];
          if (scope === 'rest' && f.frame.videoId !== null) {
            ids = [];
            for (let offset = f.position.index - 1; ; ) {
              const page = await this.call('editor.videoFrames', { videoId: f.frame.videoId, offset, limit: 500 });
              for (const it of page.items) if (it.boxes === 0 && it.status !== 'skipped') ids.push(it.id);
              offset += page.items.length;
              if (page.items.length === 0 || offset >= page.total || ids.length >= 10_000) break;
            }
            if (ids.length === 0) {
              this.set({ notice: 'Every frame from here to the end of the video already has boxes or is skipped.' });
              resolve({ frames: 0, boxes: 0, skipped: 0 });
              return;
            }
          }
          this.set({ notice: `Running the model on ${ids.length} frame(s)…` });
          const r = await this.call('editor.propose', { modelId, frameIds: ids.slice(0, 10_000), settings: { threshold, iou: 0.6, maxDetections: 5 } });
          for (const id of ids) this.undoState = forgetFrame(this.undoState, id);
          this.saveUndo();
          this.invalidateAll();
          await this.refresh();
          const left = r.skipped ? `; ${r.skipped} frame(s) left alone (already labelled or skipped)` : '';
          this.set({ notice: `Proposed ${r.boxes} box(es) on ${r.frames} frame(s)${left}. Check each: Space accepts, drag to fix, Delete to drop.` });
          resolve(r);
        } catch (e) {
          reject(e);
          throw e;
        }
      });
    });
  }

  async qa(level: number | undefined): Promise<ResultOf<'editor.qa'>> {
    await this.queue; // the report includes every edit made so far
    return this.call('editor.qa', { level });
  }

  async importVoc(dir: string): Promise<ResultOf<'editor.importVoc'>> {
    await this.queue;
    const r = await this.call('editor.importVoc', { dir });
    this.invalidateAll();
    await this.loadWords();
    await this.refresh();
    return r;
  }

  /** After a pointer gesture that sent nothing (a click that only selected): adopt what the catalog holds. */
  afterInput(): void {
    this.reconcile();
  }

  // -------------------------------------------------------------------------------------------------------
  // The queue and the server's answers
  // -------------------------------------------------------------------------------------------------------

  private real(id: number): number {
    return id < 0 ? (this.temp.get(id) ?? id) : id;
  }

  private enqueue(frameId: number, task: () => Promise<void>): void {
    this.set({ pending: this.view.pending + 1, error: null });
    this.queue = this.queue
      .then(task)
      .catch((e: unknown) => this.failed(frameId, e))
      .finally(() => {
        this.editClock++;
        this.set({ pending: this.view.pending - 1 });
        if (this.view.pending === 0) this.reconcile();
      });
  }

  private async failed(frameId: number, e: unknown): Promise<void> {
    const message = e instanceof RequestFailed ? e.error.message : `The edit was not saved: ${(e as Error).message}`;
    this.set({ error: message });
    this.cache.delete(frameId);
    // Show what the catalog really holds, so nothing on screen pretends to be saved.
    if (this.view.frame?.frame.id === frameId) await this.refresh();
  }

  private boxAnswered(frameId: number, box: EditorBoxRecord | null, status: FrameStatus, deletedId?: number): void {
    this.cache.delete(frameId);
    const f = this.view.frame;
    if (!f || f.frame.id !== frameId) return;
    const records = new Map(this.view.records);
    if (box) records.set(box.id, box);
    if (deletedId !== undefined) records.delete(deletedId);
    this.set({ records, frame: { ...f, frame: { ...f.frame, status } } });
  }

  private frameAnswered(frameId: number, status: FrameStatus, boxes: EditorBoxRecord[] | null): void {
    this.cache.delete(frameId);
    const f = this.view.frame;
    if (!f || f.frame.id !== frameId) return;
    this.set({ frame: { ...f, frame: { ...f.frame, status } }, ...(boxes ? { records: new Map(boxes.map((b) => [b.id, b])) } : {}) });
  }

  /** When nothing is in flight and no drag is going on, the machine shows exactly what the catalog holds. */
  private reconcile(): void {
    if (this.view.pending > 0 || this.machine.state !== 'idle' || !this.view.frame) return;
    const truth = [...this.view.records.values()].sort((a, b) => a.id - b.id).map(toEditorBox);
    if (!sameBoxes(this.machine.getSnapshot().boxes, truth)) this.machine.setBoxes(truth);
  }

  // -------------------------------------------------------------------------------------------------------
  // Undo
  // -------------------------------------------------------------------------------------------------------

  private remember(frameId: number, entry: UndoEntry): void {
    this.undoState = record(this.undoState, frameId, entry);
    this.saveUndo();
    if (this.view.frame?.frame.id === frameId) this.set(this.labels(frameId));
  }

  private labels(frameId: number): { undoLabel: string | null; redoLabel: string | null } {
    const l = nextLabels(this.undoState, frameId);
    return { undoLabel: l.undo, redoLabel: l.redo };
  }

  private saveUndo(): void {
    if (!this.undoKey) return;
    try {
      storage()?.setItem(this.undoKey, serializeUndoState(this.undoState));
    } catch {
      /* over the quota: the history still lives in memory for this page */
    }
  }

  private async step(frameId: number, which: 'undo' | 'redo'): Promise<void> {
    const s = which === 'undo' ? undo(this.undoState, frameId) : redo(this.undoState, frameId);
    if (!s.ops) {
      this.set({ notice: which === 'undo' ? 'Nothing to undo on this frame.' : 'Nothing to redo on this frame.' });
      return;
    }
    let r: ResultOf<'editor.applyOps'>;
    try {
      r = await this.call('editor.applyOps', { frameId, ops: s.ops.map(toWireOp) });
    } catch (e) {
      // The boxes the history names are gone (another window, an interpolation): this frame's history can no
      // longer be replayed safely.
      this.undoState = forgetFrame(this.undoState, frameId);
      this.saveUndo();
      if (this.view.frame?.frame.id === frameId) this.set(this.labels(frameId));
      throw new RequestFailed({ code: 'CONFLICT', message: `Could not ${which} "${s.label}": ${(e as Error).message} The undo history of this frame was cleared.` });
    }
    let state = s.state;
    for (const [from, to] of r.idMap) state = remapInFrame(state, frameId, from, to);
    this.undoState = state;
    this.saveUndo();
    this.frameAnswered(frameId, r.frame.status, r.boxes);
    if (this.view.frame?.frame.id === frameId) this.set({ ...this.labels(frameId), notice: `${which === 'undo' ? 'Undid' : 'Redid'} ${s.label}.` });
  }
}

/** One session per mounted editor; it follows catalog changes announced by jobs and bulk edits. */
export function useEditorSession(api: Api): EditorSession {
  const [session] = useState(() => new EditorSession(api));
  useEffect(() => {
    void session.start();
    return api.on('catalog.changed', (e) => {
      const t = e.tables;
      if (t.includes('*') || t.includes('words')) void session.loadWords();
      if (t.includes('*') || t.includes('frames') || t.includes('boxes')) {
        session.invalidateAll();
        if (session.getView().pending === 0) void session.refresh();
      }
    });
  }, [api, session]);
  return session;
}

export function useSessionView(session: EditorSession): SessionView {
  return useSyncExternalStore(session.subscribe, session.getView);
}
