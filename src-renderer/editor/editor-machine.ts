/**
 * The box editor's canvas tool as a small state machine, in the manner of tldraw's SelectTool
 * (packages/tldraw/src/lib/tools/SelectTool/): states idle → drawing / moving / resizing / panning, each
 * reacting to pointer moves, pointer up, keys and cancel; Esc returns to the mark taken when the state was
 * entered. It knows nothing of React, the DOM or the database:
 *
 *  - input: pointer positions already converted to IMAGE pixels (the host calls `screenToImage` with the
 *    view this machine exposes), modifier flags, `KeyboardEvent.key` strings, wheel deltas;
 *  - output: a list of commands (`create`, `update`, `delete`, `nextFrame`, `undo`…) that the host applies —
 *    each persistent one becomes one database transaction — plus a snapshot to render (boxes, the box being
 *    drawn, selection, view transform, cursor) that React reads with useSyncExternalStore.
 *
 * Edits are shown optimistically: a moved box moves in the snapshot at once, and the command goes out on
 * pointer up (one transaction per gesture, not per mouse move). A created box gets a temporary negative id
 * until the host reports the real one with `idAssigned`; the host applies commands in order, so it can map
 * any temporary id it sees to the real one.
 *
 * Which inputs each state accepts (CVAT's canvas documents the same kind of table, cvat-canvas/README.md):
 *
 *   state     | pointer down | pointer move       | pointer up          | wheel | keys           | cancel
 *   idle      | enter a drag | hover / cursor     | —                   | zoom  | all shortcuts  | deselect
 *   drawing   | —            | grow the draft     | create (≥ min size) | zoom  | Esc only       | drop draft
 *   moving    | —            | move (past 3 px)   | update              | zoom  | Esc only       | restore box
 *   resizing  | —            | move the handle    | update (≥ min size) | zoom  | Esc only       | restore box
 *   panning   | —            | move the view      | —                   | —     | Esc only       | restore view
 */
import {
  area,
  boxFromCorners,
  boxesEqual,
  clampBox,
  containsPoint,
  isDegenerate,
  keepInside,
  normalizeBox,
  translateBox,
  type Box,
  type Point,
} from '../../src-shared/geometry/boxes';

export type StateName = 'idle' | 'drawing' | 'moving' | 'resizing' | 'panning';
export type Tool = 'select' | 'draw';
export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export interface Modifiers {
  shift?: boolean;
  ctrl?: boolean;
  alt?: boolean;
  /** ⌘ on macOS counts as Ctrl for every shortcut. */
  meta?: boolean;
}

export interface EditorBox extends Box {
  id: number;
  wordId: number | null;
}

export interface EditorWord {
  id: number;
  text: string;
}

/** screen = image × scale + offset (CSS pixels of the canvas element). */
export interface ViewTransform {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export function imageToScreen(view: ViewTransform, p: Point): Point {
  return { x: p.x * view.scale + view.offsetX, y: p.y * view.scale + view.offsetY };
}

export function screenToImage(view: ViewTransform, p: Point): Point {
  return { x: (p.x - view.offsetX) / view.scale, y: (p.y - view.offsetY) / view.scale };
}

/**
 * What the host must do. `create`/`update`/`delete`/`setWord` change the catalog (one transaction each);
 * `before` travels with them so the host can record the undo entry without reading the database first.
 * The rest are requests (`nextFrame`, `verifyFrame`, `copyPrevious`, `undo`…) or notices (`tool`, `pickWord`,
 * `toggleHelp`, `saved`).
 */
export type EditorCommand =
  | { type: 'create'; tempId: number; box: Box; wordId: number | null }
  | { type: 'update'; id: number; box: Box; before: Box; reason: 'move' | 'resize' | 'nudge' }
  | { type: 'delete'; id: number; box: EditorBox }
  | { type: 'setWord'; id: number; wordId: number; before: number | null }
  | { type: 'pickWord'; index: number; wordId: number }
  | { type: 'tool'; tool: Tool }
  | { type: 'nextFrame' }
  | { type: 'prevFrame' }
  | { type: 'verifyFrame' }
  | { type: 'copyPrevious' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'toggleHelp'; open: boolean }
  | { type: 'saved' };

/** The help overlay's table ('?' toggles it). Keys as a person types them; Ctrl is ⌘ on macOS. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: 'W', action: 'draw a box (the next drag)' },
  { keys: 'D', action: 'next frame' },
  { keys: 'A', action: 'previous frame' },
  { keys: 'Space', action: 'verify this frame' },
  { keys: 'Delete / Backspace', action: 'delete the selected box' },
  { keys: 'Ctrl+D', action: 'duplicate the selected box' },
  { keys: 'Ctrl+V', action: "copy the previous frame's boxes" },
  { keys: '← ↑ → ↓', action: 'nudge the selected box 1 px (Shift: 10 px)' },
  { keys: '1 – 9', action: 'pick word N of the current level (and relabel the selected box)' },
  { keys: 'Ctrl+Z', action: 'undo' },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', action: 'redo' },
  { keys: 'Ctrl+= / Ctrl+-', action: 'zoom in / out' },
  { keys: 'Ctrl+0', action: 'fit the image' },
  { keys: 'Wheel', action: 'zoom around the cursor' },
  { keys: 'Drag empty space / middle button', action: 'pan' },
  { keys: 'Esc', action: 'cancel the drag, leave draw mode, deselect' },
  { keys: 'Ctrl+S', action: 'save (every edit is already saved)' },
  { keys: '?', action: 'show or hide this help' },
];

export interface EditorOptions {
  /** Smallest box side in image pixels; a smaller drag creates nothing. */
  minSize?: number;
  /** How close (in SCREEN pixels, whatever the zoom) the pointer must be to grab a handle. */
  handleTolerance?: number;
  /** Screen pixels a press must travel before it moves a box (so a click only selects). */
  dragThreshold?: number;
  /** Image pixels a duplicate is offset from its original. */
  duplicateOffset?: number;
  minScale?: number;
  maxScale?: number;
}

export interface FrameInput {
  width: number;
  height: number;
  boxes: readonly EditorBox[];
  /** The word new boxes get until a digit key picks another (for KETI frames: the video's word). */
  defaultWordId?: number | null;
}

export interface Hover {
  id: number;
  handle: Handle | null;
}

/** Everything a renderer needs, as one immutable value (a new object after every change). */
export interface EditorSnapshot {
  state: StateName;
  tool: Tool;
  image: { width: number; height: number };
  boxes: readonly EditorBox[];
  /** The box being drawn (drawing state only). */
  draft: Box | null;
  selectedId: number | null;
  hover: Hover | null;
  view: ViewTransform;
  helpOpen: boolean;
  activeWordId: number | null;
  words: readonly EditorWord[];
  cursor: string;
}

type Mode =
  | { name: 'idle' }
  | { name: 'drawing'; anchor: Point; current: Point }
  | { name: 'moving'; id: number; mark: Box; start: Point; dragging: boolean }
  | { name: 'resizing'; id: number; handle: Handle; mark: Box }
  | { name: 'panning'; mark: ViewTransform; startScreen: Point };

const CURSORS: Record<Handle, string> = { nw: 'nwse-resize', se: 'nwse-resize', ne: 'nesw-resize', sw: 'nesw-resize', n: 'ns-resize', s: 'ns-resize', e: 'ew-resize', w: 'ew-resize' };

export class EditorMachine {
  private mode: Mode = { name: 'idle' };
  private tool: Tool = 'select';
  private image = { width: 1, height: 1 };
  private boxes: EditorBox[] = [];
  private selectedId: number | null = null;
  private hover: Hover | null = null;
  private view: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };
  private viewport: { width: number; height: number } | null = null;
  private helpOpen = false;
  private words: EditorWord[] = [];
  private activeWordId: number | null = null;
  private nextTempId = -1;
  private path: StateName[] = ['idle'];
  private listeners = new Set<() => void>();
  private snap!: EditorSnapshot;
  private readonly opts: Required<EditorOptions>;

  constructor(frame?: FrameInput, options: EditorOptions = {}) {
    this.opts = { minSize: 4, handleTolerance: 6, dragThreshold: 3, duplicateOffset: 10, minScale: 0.05, maxScale: 40, ...options };
    if (frame) this.applyFrame(frame);
    this.refresh(false);
  }

  // -------------------------------------------------------------------------------------------------------
  // Facade for the host
  // -------------------------------------------------------------------------------------------------------

  /** For React's useSyncExternalStore. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): EditorSnapshot => this.snap;

  get state(): StateName {
    return this.mode.name;
  }

  /** Every state entered since construction (or the last clearStatePath), for tests and debugging. */
  get statePath(): readonly StateName[] {
    return [...this.path];
  }

  clearStatePath(): void {
    this.path = [this.mode.name];
  }

  /** Shows another frame: any drag is dropped, selection cleared, the view kept (frames of a video share a size). */
  loadFrame(frame: FrameInput): void {
    if (this.mode.name !== 'idle') this.enter({ name: 'idle' });
    this.applyFrame(frame);
    this.selectedId = null;
    this.hover = null;
    this.refresh();
  }

  /** The boxes as the catalog now holds them (after the host applied commands, an undo, a copy…). */
  setBoxes(boxes: readonly EditorBox[], select?: number | null): void {
    this.boxes = boxes.map((b) => ({ ...b }));
    const dragged = this.mode.name === 'moving' || this.mode.name === 'resizing' ? this.mode.id : null;
    if (dragged !== null && !this.boxes.some((b) => b.id === dragged)) this.enter({ name: 'idle' });
    if (select !== undefined) this.selectedId = select;
    if (this.selectedId !== null && !this.boxes.some((b) => b.id === this.selectedId)) this.selectedId = null;
    this.refresh();
  }

  /** The host created the box announced with `tempId`; it is `id` from now on. */
  idAssigned(tempId: number, id: number): void {
    this.boxes = this.boxes.map((b) => (b.id === tempId ? { ...b, id } : b));
    if (this.selectedId === tempId) this.selectedId = id;
    if ((this.mode.name === 'moving' || this.mode.name === 'resizing') && this.mode.id === tempId) this.mode = { ...this.mode, id };
    this.refresh();
  }

  /** Words of the current level, in the order digits 1–9 pick them. */
  setWords(words: readonly EditorWord[]): void {
    this.words = words.map((w) => ({ ...w }));
    this.refresh();
  }

  select(id: number | null): void {
    this.selectedId = id !== null && this.boxes.some((b) => b.id === id) ? id : null;
    this.refresh();
  }

  setView(view: ViewTransform): void {
    this.view = { ...view, scale: this.clampScale(view.scale) };
    this.refresh();
  }

  /** The canvas element's size in CSS pixels (for fit and keyboard zoom). */
  setViewport(width: number, height: number): void {
    this.viewport = { width, height };
    this.refresh();
  }

  /** Scales the image to fit the viewport, centred. */
  fit(): void {
    const vp = this.viewport ?? { width: this.image.width, height: this.image.height };
    const scale = this.clampScale(Math.min(vp.width / this.image.width, vp.height / this.image.height));
    this.view = { scale, offsetX: (vp.width - this.image.width * scale) / 2, offsetY: (vp.height - this.image.height * scale) / 2 };
    this.refresh();
  }

  /** Multiplies the scale by `factor`, keeping the image point `around` under the same screen point. */
  zoomAt(around: Point, factor: number): void {
    const screen = imageToScreen(this.view, around);
    const scale = this.clampScale(this.view.scale * factor);
    this.view = { scale, offsetX: screen.x - around.x * scale, offsetY: screen.y - around.y * scale };
    this.refresh();
  }

  /** The CSS cursor for a pointer at image point `p` (hover feedback before any press). */
  cursorAt(p: Point): string {
    if (this.mode.name === 'panning') return 'grabbing';
    if (this.mode.name === 'drawing' || this.tool === 'draw') return 'crosshair';
    const hit = this.hitTest(p);
    if (!hit) return 'grab';
    return hit.handle ? CURSORS[hit.handle] : 'move';
  }

  // -------------------------------------------------------------------------------------------------------
  // Input
  // -------------------------------------------------------------------------------------------------------

  /** `button`: 0 primary, 1 middle (always pans), 2 secondary (ignored: the host's context menu). */
  onPointerDown(p: Point, _mods: Modifiers = {}, button = 0): EditorCommand[] {
    if (this.mode.name !== 'idle' || button === 2) return [];
    if (button === 1) {
      this.enter({ name: 'panning', mark: { ...this.view }, startScreen: imageToScreen(this.view, p) });
      return this.done([]);
    }
    if (this.tool === 'draw') {
      const a = this.clampPoint(p);
      this.enter({ name: 'drawing', anchor: a, current: a });
      return this.done([]);
    }
    const hit = this.hitTest(p);
    if (hit?.handle) {
      this.selectedId = hit.id;
      this.enter({ name: 'resizing', id: hit.id, handle: hit.handle, mark: this.boxRect(hit.id) });
    } else if (hit) {
      this.selectedId = hit.id;
      this.enter({ name: 'moving', id: hit.id, mark: this.boxRect(hit.id), start: p, dragging: false });
    } else {
      // A press on empty space deselects (labelImg) and drags the view (CVAT).
      this.selectedId = null;
      this.enter({ name: 'panning', mark: { ...this.view }, startScreen: imageToScreen(this.view, p) });
    }
    return this.done([]);
  }

  /** Modifiers are accepted for symmetry with the DOM events; no move depends on them yet. */
  onPointerMove(p: Point, _mods: Modifiers = {}): EditorCommand[] {
    const m = this.mode;
    switch (m.name) {
      case 'idle': {
        const hit = this.hitTest(p);
        const hover = hit ? { id: hit.id, handle: hit.handle } : null;
        if (hover?.id === this.hover?.id && hover?.handle === this.hover?.handle) return [];
        this.hover = hover;
        return this.done([]);
      }
      case 'drawing':
        m.current = this.clampPoint(p);
        return this.done([]);
      case 'moving': {
        if (!m.dragging) {
          const a = imageToScreen(this.view, m.start);
          const b = imageToScreen(this.view, p);
          if (Math.hypot(b.x - a.x, b.y - a.y) < this.opts.dragThreshold) return [];
          m.dragging = true;
        }
        this.setRect(m.id, keepInside(translateBox(m.mark, p.x - m.start.x, p.y - m.start.y), this.image.width, this.image.height));
        return this.done([]);
      }
      case 'resizing':
        this.setRect(m.id, this.resized(m.mark, m.handle, this.clampPoint(p)));
        return this.done([]);
      case 'panning': {
        // The host converted the screen point with the view as it is now; convert back to get the true
        // screen point, so the image follows the pointer however far the view has already moved.
        const s = imageToScreen(this.view, p);
        this.view = { scale: m.mark.scale, offsetX: m.mark.offsetX + s.x - m.startScreen.x, offsetY: m.mark.offsetY + s.y - m.startScreen.y };
        return this.done([]);
      }
    }
  }

  onPointerUp(p: Point, mods: Modifiers = {}): EditorCommand[] {
    const m = this.mode;
    if (m.name === 'idle') return [];
    this.onPointerMove(p, mods);
    const out: EditorCommand[] = [];
    switch (m.name) {
      case 'drawing': {
        const box = boxFromCorners(m.anchor, m.current);
        if (!isDegenerate(box, this.opts.minSize)) {
          const tempId = this.nextTempId--;
          this.boxes = [...this.boxes, { id: tempId, ...box, wordId: this.activeWordId }];
          this.selectedId = tempId;
          out.push({ type: 'create', tempId, box, wordId: this.activeWordId });
        }
        // One box per W, as in labelImg: back to selecting.
        this.tool = 'select';
        break;
      }
      case 'moving':
      case 'resizing': {
        const now = this.boxRect(m.id);
        if (m.name === 'resizing' && isDegenerate(now, this.opts.minSize)) this.setRect(m.id, m.mark);
        else if (!boxesEqual(now, m.mark)) out.push({ type: 'update', id: m.id, box: now, before: m.mark, reason: m.name === 'moving' ? 'move' : 'resize' });
        break;
      }
      case 'panning':
        break;
    }
    this.enter({ name: 'idle' });
    return this.done(out);
  }

  /** Zoom around the cursor: wheel down (positive deltaY) zooms out, as in every image viewer. */
  onWheel(p: Point, deltaY: number, _mods: Modifiers = {}): EditorCommand[] {
    if (this.mode.name === 'panning') return [];
    // exp keeps zoom-in then zoom-out by the same delta an exact round trip; 0.0015 per wheel unit makes one
    // notch (deltaY 100) about 16 %.
    this.zoomAt(p, Math.exp(-deltaY * 0.0015));
    return [];
  }

  /** Pointer capture lost, window blurred, or Esc during a drag: back to the mark taken on entry. */
  onCancel(): EditorCommand[] {
    const m = this.mode;
    switch (m.name) {
      case 'idle':
        return [];
      case 'drawing':
        break;
      case 'moving':
      case 'resizing':
        this.setRect(m.id, m.mark);
        break;
      case 'panning':
        this.view = { ...m.mark };
        break;
    }
    this.enter({ name: 'idle' });
    return this.done([]);
  }

  /** `key` is KeyboardEvent.key ('w', 'W', ' ', 'ArrowLeft', 'Delete', '?', '3'…). */
  onKeyDown(key: string, mods: Modifiers = {}): EditorCommand[] {
    if (key === 'Escape' || key === 'Esc') return this.escape();
    // Only Esc reaches a state in the middle of a drag: a Delete or Ctrl+Z half-way through a move would
    // act on a box whose final position is not known yet.
    if (this.mode.name !== 'idle') return [];
    const mod = !!(mods.ctrl || mods.meta);
    const k = key.length === 1 ? key.toLowerCase() : key;
    if (mod) {
      switch (k) {
        case 'z':
          return this.done([{ type: mods.shift ? 'redo' : 'undo' }]);
        case 'y':
          return this.done([{ type: 'redo' }]);
        case 'd':
          return this.duplicate();
        case 'v':
          return this.done([{ type: 'copyPrevious' }]);
        case 's':
          return this.done([{ type: 'saved' }]);
        case '=':
        case '+':
          this.zoomAt(this.viewCentre(), 1.25);
          return [];
        case '-':
        case '_':
          this.zoomAt(this.viewCentre(), 1 / 1.25);
          return [];
        case '0':
          this.fit();
          return [];
      }
      return [];
    }
    switch (k) {
      case 'w':
        this.tool = 'draw';
        return this.done([{ type: 'tool', tool: 'draw' }]);
      case 'd':
        return this.done([{ type: 'nextFrame' }]);
      case 'a':
        return this.done([{ type: 'prevFrame' }]);
      case ' ':
      case 'Spacebar':
        return this.done([{ type: 'verifyFrame' }]);
      case 'Delete':
      case 'Backspace':
        return this.deleteSelected();
      case 'ArrowLeft':
        return this.nudge(-1, 0, mods);
      case 'ArrowRight':
        return this.nudge(1, 0, mods);
      case 'ArrowUp':
        return this.nudge(0, -1, mods);
      case 'ArrowDown':
        return this.nudge(0, 1, mods);
      case '?':
        this.helpOpen = !this.helpOpen;
        return this.done([{ type: 'toggleHelp', open: this.helpOpen }]);
    }
    if (/^[1-9]$/.test(k)) return this.pickWord(Number(k));
    return [];
  }

  // -------------------------------------------------------------------------------------------------------
  // Key actions
  // -------------------------------------------------------------------------------------------------------

  private escape(): EditorCommand[] {
    if (this.mode.name !== 'idle') return this.onCancel();
    if (this.helpOpen) {
      this.helpOpen = false;
      return this.done([{ type: 'toggleHelp', open: false }]);
    }
    if (this.tool === 'draw') {
      this.tool = 'select';
      return this.done([{ type: 'tool', tool: 'select' }]);
    }
    if (this.selectedId !== null) {
      this.selectedId = null;
      return this.done([]);
    }
    return [];
  }

  private deleteSelected(): EditorCommand[] {
    const box = this.boxes.find((b) => b.id === this.selectedId);
    if (!box) return [];
    this.boxes = this.boxes.filter((b) => b.id !== box.id);
    this.selectedId = null;
    this.hover = null;
    return this.done([{ type: 'delete', id: box.id, box: { ...box } }]);
  }

  private duplicate(): EditorCommand[] {
    const src = this.boxes.find((b) => b.id === this.selectedId);
    if (!src) return [];
    const d = this.opts.duplicateOffset;
    const rect = { x: src.x, y: src.y, w: src.w, h: src.h };
    // Down-right, unless the image edge stops it there; then up-left, so the copy never hides the original.
    let box = keepInside(translateBox(rect, d, d), this.image.width, this.image.height);
    if (boxesEqual(box, rect)) box = keepInside(translateBox(rect, -d, -d), this.image.width, this.image.height);
    const tempId = this.nextTempId--;
    this.boxes = [...this.boxes, { id: tempId, ...box, wordId: src.wordId }];
    this.selectedId = tempId;
    return this.done([{ type: 'create', tempId, box, wordId: src.wordId }]);
  }

  private nudge(dx: number, dy: number, mods: Modifiers): EditorCommand[] {
    const id = this.selectedId;
    if (id === null) return [];
    const step = mods.shift ? 10 : 1;
    const before = this.boxRect(id);
    const box = keepInside(translateBox(before, dx * step, dy * step), this.image.width, this.image.height);
    if (boxesEqual(box, before)) return [];
    this.setRect(id, box);
    return this.done([{ type: 'update', id, box, before, reason: 'nudge' }]);
  }

  private pickWord(n: number): EditorCommand[] {
    const word = this.words[n - 1];
    if (!word) return [];
    this.activeWordId = word.id;
    const out: EditorCommand[] = [{ type: 'pickWord', index: n, wordId: word.id }];
    const sel = this.boxes.find((b) => b.id === this.selectedId);
    if (sel && sel.wordId !== word.id) {
      out.push({ type: 'setWord', id: sel.id, wordId: word.id, before: sel.wordId });
      this.boxes = this.boxes.map((b) => (b.id === sel.id ? { ...b, wordId: word.id } : b));
    }
    return this.done(out);
  }

  // -------------------------------------------------------------------------------------------------------
  // Geometry helpers
  // -------------------------------------------------------------------------------------------------------

  /** The handle or box under `p`: handles of the selected box first, then any box's handles, then bodies. */
  hitTest(p: Point): Hover | null {
    const tol = this.opts.handleTolerance / this.view.scale;
    const sel = this.boxes.find((b) => b.id === this.selectedId);
    const order = sel ? [sel, ...[...this.boxes].reverse().filter((b) => b !== sel)] : [...this.boxes].reverse();
    for (const b of order) {
      // On a small box the handles would cover the whole body and it could never be moved: a handle's reach
      // is at most a quarter of the box's shorter side.
      const h = nearestHandle(b, p, Math.min(tol, Math.min(b.w, b.h) / 4));
      if (h) return { id: b.id, handle: h };
    }
    // Smallest box under the pointer wins: a hand's box inside a body box stays reachable.
    let best: EditorBox | null = null;
    for (const b of this.boxes) if (containsPoint(b, p) && (!best || area(b) <= area(best))) best = b;
    return best ? { id: best.id, handle: null } : null;
  }

  private resized(mark: Box, handle: Handle, p: Point): Box {
    let x0 = mark.x;
    let y0 = mark.y;
    let x1 = mark.x + mark.w;
    let y1 = mark.y + mark.h;
    if (handle.includes('w')) x0 = p.x;
    if (handle.includes('e')) x1 = p.x;
    if (handle.includes('n')) y0 = p.y;
    if (handle.includes('s')) y1 = p.y;
    // Dragging a handle across the opposite edge flips the box rather than giving it a negative size.
    return clampBox(normalizeBox({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 }), this.image.width, this.image.height).box;
  }

  private clampPoint(p: Point): Point {
    return { x: Math.min(Math.max(p.x, 0), this.image.width), y: Math.min(Math.max(p.y, 0), this.image.height) };
  }

  private clampScale(s: number): number {
    return Math.min(Math.max(s, this.opts.minScale), this.opts.maxScale);
  }

  private viewCentre(): Point {
    if (this.viewport) return screenToImage(this.view, { x: this.viewport.width / 2, y: this.viewport.height / 2 });
    return { x: this.image.width / 2, y: this.image.height / 2 };
  }

  private boxRect(id: number): Box {
    const b = this.boxes.find((x) => x.id === id)!;
    return { x: b.x, y: b.y, w: b.w, h: b.h };
  }

  private setRect(id: number, r: Box): void {
    this.boxes = this.boxes.map((b) => (b.id === id ? { ...b, x: r.x, y: r.y, w: r.w, h: r.h } : b));
  }

  private applyFrame(frame: FrameInput): void {
    this.image = { width: Math.max(1, frame.width), height: Math.max(1, frame.height) };
    this.boxes = frame.boxes.map((b) => ({ ...b }));
    this.activeWordId = frame.defaultWordId ?? null;
  }

  // -------------------------------------------------------------------------------------------------------
  // Transitions and snapshots
  // -------------------------------------------------------------------------------------------------------

  private enter(mode: Mode): void {
    this.mode = mode;
    this.path.push(mode.name);
    if (mode.name !== 'idle') this.hover = null;
  }

  private done(cmds: EditorCommand[]): EditorCommand[] {
    this.refresh();
    return cmds;
  }

  private refresh(notify = true): void {
    const m = this.mode;
    this.snap = {
      state: m.name,
      tool: this.tool,
      image: { ...this.image },
      boxes: this.boxes,
      draft: m.name === 'drawing' ? boxFromCorners(m.anchor, m.current) : null,
      selectedId: this.selectedId,
      hover: this.hover,
      view: { ...this.view },
      helpOpen: this.helpOpen,
      activeWordId: this.activeWordId,
      words: this.words,
      cursor: m.name === 'panning' ? 'grabbing' : m.name === 'drawing' || this.tool === 'draw' ? 'crosshair' : m.name === 'moving' ? 'move' : m.name === 'resizing' ? CURSORS[m.handle] : this.hover ? (this.hover.handle ? CURSORS[this.hover.handle] : 'move') : 'grab',
    };
    if (notify) for (const l of this.listeners) l();
  }
}

function handlePoint(b: Box, h: Handle): Point {
  const x = h.includes('w') ? b.x : h.includes('e') ? b.x + b.w : b.x + b.w / 2;
  const y = h.includes('n') ? b.y : h.includes('s') ? b.y + b.h : b.y + b.h / 2;
  return { x, y };
}

/** The handle of `b` nearest to `p` within `tol` image pixels (corners win ties: listed first). */
function nearestHandle(b: Box, p: Point, tol: number): Handle | null {
  let best: Handle | null = null;
  let bestD = Infinity;
  for (const h of ['nw', 'ne', 'se', 'sw', 'n', 'e', 's', 'w'] as const) {
    const q = handlePoint(b, h);
    const d = Math.max(Math.abs(q.x - p.x), Math.abs(q.y - p.y));
    if (d <= tol && d < bestD) {
      best = h;
      bestD = d;
    }
  }
  return best;
}
