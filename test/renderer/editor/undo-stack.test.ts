import { describe, expect, it } from 'vitest';
import { EditorMachine, type EditorBox, type EditorCommand } from '../../../src-renderer/editor/editor-machine';
import {
  canRedo,
  canUndo,
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
  type UndoState,
} from '../../../src-renderer/editor/undo-stack';

const snap = (id: number, x = 10, y = 10, w = 20, h = 20): BoxSnapshot => ({ id, x, y, w, h, wordId: 7, difficult: false, source: 'manual', verified: false, score: null });

describe('entries hold their inverse', () => {
  it('create ↔ delete, update ↔ update back', () => {
    expect(createEntry(snap(1)).undo).toEqual([{ type: 'delete', id: 1 }]);
    expect(deleteEntry(snap(1)).undo).toEqual([{ type: 'create', box: snap(1) }]);
    const u = updateEntry(1, { x: 10, y: 10, w: 20, h: 20 }, { x: 15, y: 12 });
    expect(u.redo).toEqual([{ type: 'update', id: 1, patch: { x: 15, y: 12 } }]);
    expect(u.undo).toEqual([{ type: 'update', id: 1, patch: { x: 10, y: 10 } }]);
  });
  it('a combined entry undoes its parts last first', () => {
    const e = combineEntries('paste', [createEntry(snap(1)), createEntry(snap(2))]);
    expect(e.redo.map((o) => (o.type === 'create' ? o.box.id : 0))).toEqual([1, 2]);
    expect(e.undo).toEqual([
      { type: 'delete', id: 2 },
      { type: 'delete', id: 1 },
    ]);
  });
});

describe('stack', () => {
  it('undo returns the inverse, redo the edit; a new edit clears redo', () => {
    let s = emptyUndoState();
    s = record(s, 5, createEntry(snap(1)));
    s = record(s, 5, updateEntry(1, snap(1), { x: 30 }, 'move box'));
    expect(nextLabels(s, 5)).toEqual({ undo: 'move box', redo: null });
    let r = undo(s, 5);
    expect(r.ops).toEqual([{ type: 'update', id: 1, patch: { x: 10 } }]);
    s = r.state;
    expect(canRedo(s, 5)).toBe(true);
    r = redo(s, 5);
    expect(r.ops).toEqual([{ type: 'update', id: 1, patch: { x: 30 } }]);
    s = undo(r.state, 5).state;
    s = record(s, 5, updateEntry(1, snap(1), { y: 1 }));
    expect(canRedo(s, 5)).toBe(false);
    expect(undo(emptyUndoState(), 5).ops).toBeNull();
    expect(redo(emptyUndoState(), 5).ops).toBeNull();
  });

  it('is pure: the old state is never changed', () => {
    const s0 = record(emptyUndoState(), 1, createEntry(snap(1)));
    const copy = JSON.stringify(s0);
    undo(s0, 1);
    record(s0, 1, createEntry(snap(2)));
    remapBoxId(s0, 1, 9);
    expect(JSON.stringify(s0)).toBe(copy);
  });

  it('keeps one history per frame', () => {
    let s = emptyUndoState();
    s = record(s, 1, createEntry(snap(10)));
    s = record(s, 2, createEntry(snap(20)));
    expect(undo(s, 1).ops).toEqual([{ type: 'delete', id: 10 }]);
    expect(undo(s, 2).ops).toEqual([{ type: 'delete', id: 20 }]);
    expect(canUndo(s, 3)).toBe(false);
  });

  it('coalesces a run of nudges into one step back to where it started', () => {
    let s = emptyUndoState();
    for (let x = 11; x <= 15; x++) s = record(s, 1, updateEntry(1, { x: x - 1 }, { x }, 'nudge box', 'nudge:1'));
    const r = undo(s, 1);
    expect(r.ops).toEqual([{ type: 'update', id: 1, patch: { x: 10 } }]);
    expect(canUndo(r.state, 1)).toBe(false);
    // After an undo, a new nudge starts a new step.
    s = record(r.state, 1, updateEntry(1, { x: 10 }, { x: 11 }, 'nudge box', 'nudge:1'));
    s = record(s, 1, updateEntry(1, { x: 11 }, { x: 12 }, 'nudge box', 'nudge:2'));
    expect(undo(undo(s, 1).state, 1).ops).toEqual([{ type: 'update', id: 1, patch: { x: 10 } }]);
  });

  it('remaps a re-created box id everywhere', () => {
    let s = emptyUndoState();
    s = record(s, 1, updateEntry(3, { x: 0 }, { x: 5 }));
    s = record(s, 1, deleteEntry(snap(3)));
    const r = undo(s, 1); // re-creates box 3; the database calls it 17
    expect(r.ops).toEqual([{ type: 'create', box: snap(3) }]);
    s = remapBoxId(r.state, 3, 17);
    expect(redo(s, 1).ops).toEqual([{ type: 'delete', id: 17 }]);
    expect(undo(s, 1).ops).toEqual([{ type: 'update', id: 17, patch: { x: 0 } }]);
  });

  it('bounds the depth per frame and the number of frames kept', () => {
    let s = emptyUndoState(3, 2);
    for (let i = 1; i <= 5; i++) s = record(s, 1, createEntry(snap(i)));
    let n = 0;
    while (canUndo(s, 1)) {
      s = undo(s, 1).state;
      n++;
    }
    expect(n).toBe(3);
    s = record(s, 2, createEntry(snap(20)));
    s = record(s, 3, createEntry(snap(30)));
    expect(Object.keys(s.frames).sort()).toEqual(['2', '3']); // frame 1, edited longest ago, forgotten
    expect(Object.keys(forgetFrame(s, 2).frames)).toEqual(['3']);
  });

  it('survives serialisation; garbage gives an empty stack', () => {
    let s = emptyUndoState();
    s = record(s, 4, createEntry(snap(1)));
    const back = parseUndoState(serializeUndoState(s));
    expect(back).toEqual(s);
    expect(undo(back, 4).ops).toEqual([{ type: 'delete', id: 1 }]);
    expect(parseUndoState('{"version":2}')).toEqual(emptyUndoState());
    expect(parseUndoState('not json')).toEqual(emptyUndoState());
    expect(parseUndoState(null)).toEqual(emptyUndoState());
  });
});

/**
 * A host as the app will be: the machine emits commands, the host applies them to a store (standing in for
 * the catalog) and records undo entries; the undo state lives in a string (standing in for sessionStorage)
 * between frame switches.
 */
describe('editor host: undo/redo across frame switches', () => {
  class Host {
    store = new Map<number, Map<number, BoxSnapshot>>([
      [1, new Map()],
      [2, new Map()],
    ]);
    nextId = 100;
    frame = 1;
    session = serializeUndoState(emptyUndoState());
    m = new EditorMachine({ width: 64, height: 48, boxes: [], defaultWordId: 7 });

    private get undoState(): UndoState {
      return parseUndoState(this.session);
    }
    private set undoState(s: UndoState) {
      this.session = serializeUndoState(s);
    }
    boxes(frame = this.frame): EditorBox[] {
      return [...this.store.get(frame)!.values()].map((b) => ({ id: b.id, x: b.x, y: b.y, w: b.w, h: b.h, wordId: b.wordId }));
    }
    goTo(frame: number) {
      this.frame = frame;
      this.m.loadFrame({ width: 64, height: 48, boxes: this.boxes(), defaultWordId: 7 });
    }
    /** Applies one op to the store; returns the id a create got. */
    apply(op: BoxOp): number | null {
      const boxes = this.store.get(this.frame)!;
      if (op.type === 'create') {
        const id = this.nextId++;
        boxes.set(id, { ...op.box, id });
        return id;
      }
      if (op.type === 'delete') boxes.delete(op.id);
      else boxes.set(op.id, { ...boxes.get(op.id)!, ...op.patch });
      return null;
    }
    handle(cmds: EditorCommand[]) {
      for (const c of cmds) {
        if (c.type === 'create') {
          const id = this.apply({ type: 'create', box: { id: c.tempId, ...c.box, wordId: c.wordId } })!;
          this.m.idAssigned(c.tempId, id);
          this.undoState = record(this.undoState, this.frame, createEntry({ ...this.store.get(this.frame)!.get(id)! }));
        } else if (c.type === 'update') {
          this.apply({ type: 'update', id: c.id, patch: c.box });
          this.undoState = record(this.undoState, this.frame, updateEntry(c.id, c.before, c.box, `${c.reason} box`, c.reason === 'nudge' ? `nudge:${c.id}` : undefined));
        } else if (c.type === 'delete') {
          const old = this.store.get(this.frame)!.get(c.id)!;
          this.apply({ type: 'delete', id: c.id });
          this.undoState = record(this.undoState, this.frame, deleteEntry(old));
        } else if (c.type === 'nextFrame') this.goTo(this.frame + 1);
        else if (c.type === 'prevFrame') this.goTo(this.frame - 1);
        else if (c.type === 'undo' || c.type === 'redo') {
          const r = (c.type === 'undo' ? undo : redo)(this.undoState, this.frame);
          let s = r.state;
          for (const op of r.ops ?? []) {
            const id = this.apply(op);
            if (op.type === 'create' && id !== null) s = remapBoxId(s, op.box.id, id);
          }
          this.undoState = s;
          this.m.setBoxes(this.boxes());
        }
      }
    }
  }

  it('undoes the edits of the frame on screen, after going away and coming back', () => {
    const h = new Host();
    h.handle(h.m.onKeyDown('w'));
    h.handle(h.m.onPointerDown({ x: 10, y: 10 }));
    h.handle(h.m.onPointerUp({ x: 30, y: 30 }));
    h.handle(h.m.onKeyDown('ArrowRight'));
    h.handle(h.m.onKeyDown('ArrowRight'));
    expect(h.boxes(1)).toEqual([{ id: 100, x: 12, y: 10, w: 20, h: 20, wordId: 7 }]);

    h.handle(h.m.onKeyDown('d')); // to frame 2
    h.handle(h.m.onKeyDown('w'));
    h.handle(h.m.onPointerDown({ x: 40, y: 5 }));
    h.handle(h.m.onPointerUp({ x: 60, y: 25 }));
    h.handle(h.m.onKeyDown('Delete'));
    expect(h.boxes(2)).toEqual([]);

    h.handle(h.m.onKeyDown('a')); // back to frame 1: Ctrl+Z undoes the nudges there, not frame 2's delete
    h.handle(h.m.onKeyDown('z', { ctrl: true }));
    expect(h.boxes(1)).toEqual([{ id: 100, x: 10, y: 10, w: 20, h: 20, wordId: 7 }]);
    expect(h.boxes(2)).toEqual([]);
    expect(h.m.getSnapshot().boxes).toEqual(h.boxes(1));

    h.handle(h.m.onKeyDown('d')); // frame 2: undo the delete (the box comes back with a new id), then the create
    h.handle(h.m.onKeyDown('z', { ctrl: true }));
    expect(h.boxes(2)).toEqual([{ id: 102, x: 40, y: 5, w: 20, h: 20, wordId: 7 }]);
    h.handle(h.m.onKeyDown('z', { ctrl: true }));
    expect(h.boxes(2)).toEqual([]);
    h.handle(h.m.onKeyDown('z', { ctrl: true, shift: true })); // redo the create
    h.handle(h.m.onKeyDown('y', { ctrl: true })); // redo the delete: must find the re-created box by its new id
    expect(h.boxes(2)).toEqual([]);
    expect(h.m.getSnapshot().boxes).toEqual([]);

    h.handle(h.m.onKeyDown('a'));
    h.handle(h.m.onKeyDown('y', { ctrl: true })); // frame 1 redo: the nudges again, as one step
    expect(h.boxes(1)).toEqual([{ id: 100, x: 12, y: 10, w: 20, h: 20, wordId: 7 }]);
  });
});
