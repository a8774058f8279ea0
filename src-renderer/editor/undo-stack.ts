/**
 * Per-frame undo/redo of box edits, as plain data.
 *
 * Why per frame: an annotator moves through thousands of frames with D/A; Ctrl+Z on frame 812 must undo the
 * last edit made on frame 812, not a box on a frame they left ten minutes ago (labelImg has no undo at all;
 * per-image history is what CVAT does). Why plain data and pure functions: the stack survives switching
 * frames and reloading the window when the host keeps it in sessionStorage (or the catalog) — every state is
 * a JSON value, and every function returns a new state without touching the old one.
 *
 * Each entry holds the operations that redo it and their inverse, computed when it is recorded, so undoing
 * never needs to read the database first. The operations are the same small vocabulary the services speak
 * (create / update / delete a box). Undoing a delete re-creates the box, and the database gives it a new id:
 * the host reports that with `remapBoxId`, which rewrites the id in every entry so that later redos and
 * undos still name the right box.
 */

/** Everything needed to re-create a box exactly as it was. */
export interface BoxSnapshot {
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
  wordId: number | null;
  difficult?: boolean;
  source?: string;
  verified?: boolean;
  score?: number | null;
}

/** The fields an update may change. */
export type BoxPatch = Partial<Omit<BoxSnapshot, 'id'>>;

export type BoxOp =
  /** Re-create this box; `box.id` is the id it had (the host reports the new one with remapBoxId). */
  | { type: 'create'; box: BoxSnapshot }
  | { type: 'update'; id: number; patch: BoxPatch }
  | { type: 'delete'; id: number };

export interface UndoEntry {
  /** Shown as "Undo move box" etc. */
  label: string;
  /** Applied in order to redo the edit. */
  redo: BoxOp[];
  /** Applied in order to undo it (the inverses of `redo`, last first). */
  undo: BoxOp[];
  /**
   * Entries recorded one after another with the same key merge into one (ten arrow-key nudges of a box are
   * one undo step, as in most editors).
   */
  coalesce?: string;
}

interface FrameHistory {
  done: UndoEntry[];
  undone: UndoEntry[];
  /** Logical clock of the last use, to forget the least recently edited frames first. */
  used: number;
}

export interface UndoState {
  version: 1;
  /** Most entries kept per frame. */
  depth: number;
  /** Most frames kept; the least recently edited are forgotten first (sessionStorage is ~5 MB). */
  maxFrames: number;
  clock: number;
  /** Keyed by frame id (as a string: JSON object keys). */
  frames: Record<string, FrameHistory>;
}

export function emptyUndoState(depth = 100, maxFrames = 500): UndoState {
  return { version: 1, depth, maxFrames, clock: 0, frames: {} };
}

// ---------------------------------------------------------------------------------------------------------
// Building entries: each takes what the edit looked like before and after, and derives the inverse.
// ---------------------------------------------------------------------------------------------------------

export function createEntry(box: BoxSnapshot, label = 'add box'): UndoEntry {
  return { label, redo: [{ type: 'create', box: { ...box } }], undo: [{ type: 'delete', id: box.id }] };
}

export function deleteEntry(box: BoxSnapshot, label = 'delete box'): UndoEntry {
  return { label, redo: [{ type: 'delete', id: box.id }], undo: [{ type: 'create', box: { ...box } }] };
}

/**
 * An update from `before` to `after`. Only the fields present in `after` are recorded, and `before` must hold
 * at least those fields (pass the whole box as it was).
 */
export function updateEntry(id: number, before: BoxPatch, after: BoxPatch, label = 'edit box', coalesce?: string): UndoEntry {
  const back: BoxPatch = {};
  for (const k of Object.keys(after) as (keyof BoxPatch)[]) (back as Record<string, unknown>)[k] = before[k];
  const entry: UndoEntry = { label, redo: [{ type: 'update', id, patch: { ...after } }], undo: [{ type: 'update', id, patch: back }] };
  if (coalesce !== undefined) entry.coalesce = coalesce;
  return entry;
}

/** Several edits as one step (copying the previous frame's boxes adds many boxes with one key press). */
export function combineEntries(label: string, entries: readonly UndoEntry[]): UndoEntry {
  return {
    label,
    redo: entries.flatMap((e) => e.redo),
    undo: [...entries].reverse().flatMap((e) => e.undo),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------------------

const key = (frameId: number) => String(frameId);

function history(state: UndoState, frameId: number): FrameHistory {
  return state.frames[key(frameId)] ?? { done: [], undone: [], used: 0 };
}

function withHistory(state: UndoState, frameId: number, h: FrameHistory): UndoState {
  const clock = state.clock + 1;
  const frames = { ...state.frames, [key(frameId)]: { ...h, used: clock } };
  const keys = Object.keys(frames);
  if (keys.length > state.maxFrames) {
    // Forget the frames edited longest ago; the one just touched has the newest clock and always stays.
    keys.sort((a, b) => frames[a]!.used - frames[b]!.used);
    for (const k of keys.slice(0, keys.length - state.maxFrames)) delete frames[k];
  }
  return { ...state, clock, frames };
}

/** Records an edit that has just been applied. Clears the frame's redo list, as every editor does. */
export function record(state: UndoState, frameId: number, entry: UndoEntry): UndoState {
  const h = history(state, frameId);
  const top = h.done[h.done.length - 1];
  let done: UndoEntry[];
  if (entry.coalesce !== undefined && top && top.coalesce === entry.coalesce && h.undone.length === 0) {
    // Keep the oldest inverse (back to where the run of nudges started) and the newest forward edit.
    done = [...h.done.slice(0, -1), { ...entry, undo: top.undo }];
  } else {
    done = [...h.done, entry];
  }
  if (done.length > state.depth) done = done.slice(done.length - state.depth);
  return withHistory(state, frameId, { done, undone: [], used: h.used });
}

export interface StepResult {
  state: UndoState;
  /** The operations the host must apply now; null when there is nothing to undo/redo. */
  ops: BoxOp[] | null;
  label: string | null;
}

/** Takes the frame's last edit off the stack and returns the operations that undo it. */
export function undo(state: UndoState, frameId: number): StepResult {
  const h = history(state, frameId);
  const entry = h.done[h.done.length - 1];
  if (!entry) return { state, ops: null, label: null };
  // An undone entry never merges with a later one: drop its coalesce key.
  const { coalesce: _ignored, ...plain } = entry;
  const next = withHistory(state, frameId, { done: h.done.slice(0, -1), undone: [...h.undone, plain], used: h.used });
  return { state: next, ops: entry.undo, label: entry.label };
}

/** Puts the frame's last undone edit back and returns the operations that redo it. */
export function redo(state: UndoState, frameId: number): StepResult {
  const h = history(state, frameId);
  const entry = h.undone[h.undone.length - 1];
  if (!entry) return { state, ops: null, label: null };
  const next = withHistory(state, frameId, { done: [...h.done, entry], undone: h.undone.slice(0, -1), used: h.used });
  return { state: next, ops: entry.redo, label: entry.label };
}

export function canUndo(state: UndoState, frameId: number): boolean {
  return history(state, frameId).done.length > 0;
}

export function canRedo(state: UndoState, frameId: number): boolean {
  return history(state, frameId).undone.length > 0;
}

/** Labels for the Edit menu ("Undo move box"), null when the action is unavailable. */
export function nextLabels(state: UndoState, frameId: number): { undo: string | null; redo: string | null } {
  const h = history(state, frameId);
  return { undo: h.done[h.done.length - 1]?.label ?? null, redo: h.undone[h.undone.length - 1]?.label ?? null };
}

function remapOp(op: BoxOp, from: number, to: number): BoxOp {
  if (op.type === 'create') return op.box.id === from ? { type: 'create', box: { ...op.box, id: to } } : op;
  return op.id === from ? { ...op, id: to } : op;
}

/**
 * A box that an undo or redo re-created got a new id from the database: rewrite `from` to `to` everywhere.
 * Box ids are unique across frames, so all frames are rewritten (cheap: entries are few).
 */
export function remapBoxId(state: UndoState, from: number, to: number): UndoState {
  if (from === to) return state;
  const frames: Record<string, FrameHistory> = {};
  const mapEntry = (e: UndoEntry): UndoEntry => ({ ...e, redo: e.redo.map((o) => remapOp(o, from, to)), undo: e.undo.map((o) => remapOp(o, from, to)) });
  for (const [k, h] of Object.entries(state.frames)) frames[k] = { done: h.done.map(mapEntry), undone: h.undone.map(mapEntry), used: h.used };
  return { ...state, frames };
}

/** Drops a frame's history (e.g. after its boxes were replaced by an import or interpolation). */
export function forgetFrame(state: UndoState, frameId: number): UndoState {
  if (!(key(frameId) in state.frames)) return state;
  const frames = { ...state.frames };
  delete frames[key(frameId)];
  return { ...state, frames };
}

export function serializeUndoState(state: UndoState): string {
  return JSON.stringify(state);
}

/**
 * Reads a state written by serializeUndoState. Anything unreadable (another version, a truncated
 * sessionStorage value, hand edits) gives an empty stack rather than an error: losing undo history is
 * better than refusing to open the editor.
 */
export function parseUndoState(text: string | null | undefined, depth = 100, maxFrames = 500): UndoState {
  if (!text) return emptyUndoState(depth, maxFrames);
  try {
    const v = JSON.parse(text) as UndoState;
    if (v && v.version === 1 && typeof v.clock === 'number' && v.frames && typeof v.frames === 'object' && Object.values(v.frames).every(isHistory)) {
      return { version: 1, depth: v.depth > 0 ? v.depth : depth, maxFrames: v.maxFrames > 0 ? v.maxFrames : maxFrames, clock: v.clock, frames: v.frames };
    }
  } catch {
    /* fall through */
  }
  return emptyUndoState(depth, maxFrames);
}

function isHistory(h: unknown): h is FrameHistory {
  if (!h || typeof h !== 'object') return false;
  const x = h as FrameHistory;
  return Array.isArray(x.done) && Array.isArray(x.undone) && [...x.done, ...x.undone].every((e) => e && Array.isArray(e.redo) && Array.isArray(e.undo));
}
