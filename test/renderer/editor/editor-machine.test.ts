import { describe, expect, it } from 'vitest';
import {
  EditorMachine,
  HANDLES,
  SHORTCUTS,
  imageToScreen,
  screenToImage,
  type EditorBox,
  type Handle,
} from '../../../src-renderer/editor/editor-machine';

const W = 64;
const H = 48;
const box = (id: number, x: number, y: number, w: number, h: number, wordId: number | null = 7): EditorBox => ({ id, x, y, w, h, wordId });

function machine(boxes: EditorBox[] = [], opts = {}) {
  const m = new EditorMachine({ width: W, height: H, boxes, defaultWordId: 7 }, opts);
  m.setWords([
    { id: 7, text: '안녕하세요' },
    { id: 8, text: '감사합니다' },
    { id: 9, text: '병원' },
  ]);
  return m;
}

/** A full drag: down, a few moves, up; returns every command emitted. */
function drag(m: EditorMachine, from: { x: number; y: number }, to: { x: number; y: number }, mods = {}, button = 0) {
  const out = [...m.onPointerDown(from, mods, button)];
  for (const f of [0.25, 0.5, 0.75]) out.push(...m.onPointerMove({ x: from.x + (to.x - from.x) * f, y: from.y + (to.y - from.y) * f }, mods));
  out.push(...m.onPointerUp(to, mods));
  return out;
}

describe('drawing', () => {
  it('W enters draw mode; a drag creates one box with the frame word and goes back to selecting', () => {
    const m = machine();
    expect(m.onKeyDown('w')).toEqual([{ type: 'tool', tool: 'draw' }]);
    expect(m.getSnapshot().tool).toBe('draw');
    m.onPointerDown({ x: 10, y: 8 });
    m.onPointerMove({ x: 20, y: 20 });
    expect(m.getSnapshot().draft).toEqual({ x: 10, y: 8, w: 10, h: 12 });
    const cmds = m.onPointerUp({ x: 30, y: 28 });
    expect(cmds).toEqual([{ type: 'create', tempId: -1, box: { x: 10, y: 8, w: 20, h: 20 }, wordId: 7 }]);
    expect(m.statePath).toEqual(['idle', 'drawing', 'idle']);
    const s = m.getSnapshot();
    expect(s.tool).toBe('select');
    expect(s.draft).toBeNull();
    expect(s.selectedId).toBe(-1);
    expect(s.boxes).toEqual([box(-1, 10, 8, 20, 20)]);
  });

  it('a drag up and to the left gives the same box', () => {
    const m = machine();
    m.onKeyDown('W');
    expect(drag(m, { x: 30, y: 28 }, { x: 10, y: 8 })).toContainEqual({ type: 'create', tempId: -1, box: { x: 10, y: 8, w: 20, h: 20 }, wordId: 7 });
  });

  it('clamps the box to the image', () => {
    const m = machine();
    m.onKeyDown('w');
    const cmds = drag(m, { x: -10, y: 40 }, { x: 30, y: 90 });
    expect(cmds).toEqual([{ type: 'create', tempId: -1, box: { x: 0, y: 40, w: 30, h: 8 }, wordId: 7 }]);
  });

  it('a drag smaller than the minimum size creates nothing', () => {
    const m = machine();
    m.onKeyDown('w');
    expect(drag(m, { x: 10, y: 10 }, { x: 13, y: 30 })).toEqual([]); // 3 px wide < 4
    expect(m.getSnapshot().boxes).toEqual([]);
    expect(m.statePath).toEqual(['idle', 'drawing', 'idle']);
  });

  it('Esc while drawing drops the draft and creates nothing', () => {
    const m = machine();
    m.onKeyDown('w');
    m.onPointerDown({ x: 10, y: 10 });
    m.onPointerMove({ x: 40, y: 40 });
    expect(m.onKeyDown('Escape')).toEqual([]);
    expect(m.state).toBe('idle');
    expect(m.getSnapshot().draft).toBeNull();
    expect(m.onPointerUp({ x: 40, y: 40 })).toEqual([]);
    expect(m.getSnapshot().boxes).toEqual([]);
    expect(m.statePath).toEqual(['idle', 'drawing', 'idle']);
  });

  it('Esc in draw mode (not dragging) goes back to selecting', () => {
    const m = machine();
    m.onKeyDown('w');
    expect(m.onKeyDown('Escape')).toEqual([{ type: 'tool', tool: 'select' }]);
    expect(m.getSnapshot().tool).toBe('select');
  });

  it('uses the word picked with a digit for the next box; a new frame resets it to its own word', () => {
    const m = machine();
    expect(m.onKeyDown('2')).toEqual([{ type: 'pickWord', index: 2, wordId: 8 }]);
    m.onKeyDown('w');
    expect(drag(m, { x: 1, y: 1 }, { x: 20, y: 20 })).toEqual([{ type: 'create', tempId: -1, box: { x: 1, y: 1, w: 19, h: 19 }, wordId: 8 }]);
    m.loadFrame({ width: W, height: H, boxes: [], defaultWordId: 9 });
    expect(m.getSnapshot().activeWordId).toBe(9);
  });

  it('idAssigned swaps the temporary id for the real one', () => {
    const m = machine();
    m.onKeyDown('w');
    drag(m, { x: 1, y: 1 }, { x: 20, y: 20 });
    m.idAssigned(-1, 41);
    expect(m.getSnapshot().selectedId).toBe(41);
    expect(m.getSnapshot().boxes.map((b) => b.id)).toEqual([41]);
    expect(m.onKeyDown('Delete')).toEqual([{ type: 'delete', id: 41, box: box(41, 1, 1, 19, 19) }]);
  });
});

describe('moving', () => {
  it('drags a box by its body and emits one update with the box before', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    const cmds = drag(m, { x: 20, y: 20 }, { x: 25, y: 22 });
    expect(cmds).toEqual([{ type: 'update', id: 1, box: { x: 15, y: 12, w: 20, h: 20 }, before: { x: 10, y: 10, w: 20, h: 20 }, reason: 'move' }]);
    expect(m.statePath).toEqual(['idle', 'moving', 'idle']);
    expect(m.getSnapshot().selectedId).toBe(1);
  });

  it('stops at the image edge without shrinking the box', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    const cmds = drag(m, { x: 20, y: 20 }, { x: 80, y: 20 });
    expect(cmds).toEqual([{ type: 'update', id: 1, box: { x: 44, y: 10, w: 20, h: 20 }, before: { x: 10, y: 10, w: 20, h: 20 }, reason: 'move' }]);
  });

  it('a click (under the drag threshold) only selects', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    expect(drag(m, { x: 20, y: 20 }, { x: 21, y: 21 })).toEqual([]);
    expect(m.getSnapshot().selectedId).toBe(1);
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 10, 10, 20, 20));
  });

  it('Esc during a move restores the box (the mark taken on entry) and emits nothing', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.onPointerDown({ x: 20, y: 20 });
    m.onPointerMove({ x: 30, y: 30 });
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 20, 20, 20, 20)); // shown optimistically
    expect(m.onKeyDown('Escape')).toEqual([]);
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 10, 10, 20, 20));
    expect(m.onPointerUp({ x: 30, y: 30 })).toEqual([]);
    expect(m.statePath).toEqual(['idle', 'moving', 'idle']);
  });

  it('onCancel (pointer capture lost) restores the same way', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.onPointerDown({ x: 20, y: 20 });
    m.onPointerMove({ x: 40, y: 30 });
    m.onCancel();
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 10, 10, 20, 20));
    expect(m.state).toBe('idle');
  });

  it('a small box can still be moved: its handles do not cover its body', () => {
    const m = machine([box(1, 40, 20, 10, 10)]);
    m.onPointerDown({ x: 45, y: 25 });
    expect(m.state).toBe('moving');
    m.onPointerDown({ x: 45, y: 25 }); // ignored: already dragging
    expect(m.onPointerUp({ x: 48, y: 29 })).toEqual([{ type: 'update', id: 1, box: { x: 43, y: 24, w: 10, h: 10 }, before: { x: 40, y: 20, w: 10, h: 10 }, reason: 'move' }]);
  });

  it('picks the smallest box under the pointer', () => {
    const m = machine([box(1, 0, 0, 60, 44), box(2, 20, 20, 10, 10)]);
    m.onPointerDown({ x: 25, y: 25 });
    expect(m.getSnapshot().selectedId).toBe(2);
  });

  it('ignores shortcut keys in the middle of a drag, except Esc', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.onPointerDown({ x: 20, y: 20 });
    m.onPointerMove({ x: 30, y: 30 });
    expect(m.onKeyDown('Delete')).toEqual([]);
    expect(m.onKeyDown('z', { ctrl: true })).toEqual([]);
    expect(m.onKeyDown('d')).toEqual([]);
    expect(m.state).toBe('moving');
  });
});

describe('resizing', () => {
  // Box 10,10 → 40,30; where each handle sits and where it is dragged.
  const start: Record<Handle, [number, number]> = { nw: [10, 10], n: [25, 10], ne: [40, 10], e: [40, 20], se: [40, 30], s: [25, 30], sw: [10, 30], w: [10, 20] };
  const expected: Record<Handle, { x: number; y: number; w: number; h: number }> = {
    nw: { x: 5, y: 6, w: 35, h: 24 },
    n: { x: 10, y: 6, w: 30, h: 24 },
    ne: { x: 10, y: 6, w: 35, h: 24 },
    e: { x: 10, y: 10, w: 35, h: 20 },
    se: { x: 10, y: 10, w: 35, h: 24 },
    s: { x: 10, y: 10, w: 30, h: 24 },
    sw: { x: 5, y: 10, w: 35, h: 24 },
    w: { x: 5, y: 10, w: 35, h: 20 },
  };
  it.each(HANDLES)('handle %s moves only its edges', (h) => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    m.select(1);
    const [x, y] = start[h];
    const dx = h.includes('w') ? -5 : h.includes('e') ? 5 : 0;
    const dy = h.includes('n') ? -4 : h.includes('s') ? 4 : 0;
    const cmds = drag(m, { x, y }, { x: x + dx, y: y + dy });
    expect(m.statePath).toEqual(['idle', 'resizing', 'idle']);
    expect(cmds).toEqual([{ type: 'update', id: 1, box: expected[h], before: { x: 10, y: 10, w: 30, h: 20 }, reason: 'resize' }]);
  });

  it('flips when a handle crosses the opposite edge', () => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    m.select(1);
    expect(drag(m, { x: 40, y: 30 }, { x: 5, y: 5 })).toEqual([
      { type: 'update', id: 1, box: { x: 5, y: 5, w: 5, h: 5 }, before: { x: 10, y: 10, w: 30, h: 20 }, reason: 'resize' },
    ]);
  });

  it('clamps the dragged edge to the image', () => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    m.select(1);
    expect(drag(m, { x: 40, y: 30 }, { x: 100, y: 100 })[0]).toMatchObject({ box: { x: 10, y: 10, w: 54, h: 38 } });
  });

  it('a resize that ends below the minimum size is undone', () => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    m.select(1);
    expect(drag(m, { x: 40, y: 30 }, { x: 12, y: 30 })).toEqual([]);
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 10, 10, 30, 20));
  });

  it('Esc during a resize restores the box', () => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    m.select(1);
    m.onPointerDown({ x: 40, y: 30 });
    m.onPointerMove({ x: 60, y: 45 });
    m.onKeyDown('Escape');
    expect(m.getSnapshot().boxes[0]).toEqual(box(1, 10, 10, 30, 20));
    expect(m.statePath).toEqual(['idle', 'resizing', 'idle']);
  });

  it('grabs a handle within a tolerance measured in screen pixels, whatever the zoom', () => {
    // 3 image px from the corner: 3 screen px at scale 1 (inside the 6 px tolerance), 12 at scale 4 (outside).
    const at1 = machine([box(1, 10, 10, 30, 20)]);
    at1.select(1);
    at1.onPointerDown({ x: 43, y: 33 });
    expect(at1.state).toBe('resizing');

    const at4 = machine([box(1, 10, 10, 30, 20)]);
    at4.select(1);
    at4.setView({ scale: 4, offsetX: 0, offsetY: 0 });
    at4.onPointerDown({ x: 43, y: 33 });
    expect(at4.state).toBe('panning'); // outside the box and beyond the handle: empty space
    at4.onCancel();
    at4.onPointerDown({ x: 41, y: 31 }); // 1 image px = 4 screen px
    expect(at4.state).toBe('resizing');
  });

  it('reports the cursor for hover feedback', () => {
    const m = machine([box(1, 10, 10, 30, 20)]);
    expect(m.cursorAt({ x: 10, y: 10 })).toBe('nwse-resize');
    expect(m.cursorAt({ x: 40, y: 10 })).toBe('nesw-resize');
    expect(m.cursorAt({ x: 25, y: 10 })).toBe('ns-resize');
    expect(m.cursorAt({ x: 25, y: 20 })).toBe('move');
    expect(m.cursorAt({ x: 55, y: 40 })).toBe('grab');
    m.onPointerMove({ x: 40, y: 20 });
    expect(m.getSnapshot()).toMatchObject({ hover: { id: 1, handle: 'e' }, cursor: 'ew-resize' });
  });
});

describe('view: zoom and pan', () => {
  it('screenToImage and imageToScreen are inverses', () => {
    const v = { scale: 2.5, offsetX: -30, offsetY: 12 };
    const p = { x: 17.2, y: 3.4 };
    const back = screenToImage(v, imageToScreen(v, p));
    expect(back.x).toBeCloseTo(p.x, 12);
    expect(back.y).toBeCloseTo(p.y, 12);
  });

  it('wheel zooms around the cursor: the image point under it stays put on screen', () => {
    const m = machine();
    m.setView({ scale: 1, offsetX: 5, offsetY: 7 });
    const p = { x: 30, y: 20 };
    const before = imageToScreen(m.getSnapshot().view, p);
    m.onWheel(p, -100);
    const v = m.getSnapshot().view;
    expect(v.scale).toBeGreaterThan(1);
    const after = imageToScreen(v, p);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
    m.onWheel(p, 100);
    expect(m.getSnapshot().view.scale).toBeCloseTo(1, 12);
  });

  it('dragging empty space pans by the screen distance; Esc puts the view back', () => {
    const m = machine([box(1, 10, 10, 10, 10)]);
    m.setView({ scale: 2, offsetX: 0, offsetY: 0 });
    m.select(1);
    // The host converts each screen point with the view as it is at that moment.
    const toImage = (sx: number, sy: number) => screenToImage(m.getSnapshot().view, { x: sx, y: sy });
    m.onPointerDown(toImage(100, 80));
    expect(m.state).toBe('panning');
    expect(m.getSnapshot().selectedId).toBeNull(); // a press on empty space deselects
    m.onPointerMove(toImage(110, 85));
    m.onPointerMove(toImage(130, 90));
    expect(m.getSnapshot().view).toEqual({ scale: 2, offsetX: 30, offsetY: 10 });
    m.onKeyDown('Escape');
    expect(m.getSnapshot().view).toEqual({ scale: 2, offsetX: 0, offsetY: 0 });
    expect(m.statePath).toEqual(['idle', 'panning', 'idle']);
  });

  it('the middle button pans even over a box', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.onPointerDown({ x: 15, y: 15 }, {}, 1);
    expect(m.state).toBe('panning');
    m.onPointerUp({ x: 20, y: 15 });
    expect(m.getSnapshot().view.offsetX).toBe(5);
  });

  it('fit centres the image in the viewport; Ctrl+= and Ctrl+- zoom', () => {
    const m = machine();
    m.setViewport(640, 640);
    m.onKeyDown('0', { ctrl: true });
    expect(m.getSnapshot().view).toEqual({ scale: 10, offsetX: 0, offsetY: 80 });
    m.onKeyDown('=', { ctrl: true });
    expect(m.getSnapshot().view.scale).toBeCloseTo(12.5, 12);
    m.onKeyDown('-', { ctrl: true });
    expect(m.getSnapshot().view.scale).toBeCloseTo(10, 12);
  });
});

describe('keyboard commands', () => {
  it('D / A / Space / Ctrl+V / Ctrl+S are requests to the host', () => {
    const m = machine();
    expect(m.onKeyDown('d')).toEqual([{ type: 'nextFrame' }]);
    expect(m.onKeyDown('a')).toEqual([{ type: 'prevFrame' }]);
    expect(m.onKeyDown(' ')).toEqual([{ type: 'verifyFrame' }]);
    expect(m.onKeyDown('v', { ctrl: true })).toEqual([{ type: 'copyPrevious' }]);
    expect(m.onKeyDown('s', { ctrl: true })).toEqual([{ type: 'saved' }]);
  });

  it('undo and redo: Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y, and ⌘ on macOS', () => {
    const m = machine();
    expect(m.onKeyDown('z', { ctrl: true })).toEqual([{ type: 'undo' }]);
    expect(m.onKeyDown('Z', { ctrl: true, shift: true })).toEqual([{ type: 'redo' }]);
    expect(m.onKeyDown('y', { ctrl: true })).toEqual([{ type: 'redo' }]);
    expect(m.onKeyDown('z', { meta: true })).toEqual([{ type: 'undo' }]);
  });

  it('Delete and Backspace delete the selected box; nothing without a selection', () => {
    const m = machine([box(1, 10, 10, 20, 20), box(2, 40, 10, 10, 10)]);
    expect(m.onKeyDown('Delete')).toEqual([]);
    m.select(1);
    expect(m.onKeyDown('Delete')).toEqual([{ type: 'delete', id: 1, box: box(1, 10, 10, 20, 20) }]);
    expect(m.getSnapshot().boxes.map((b) => b.id)).toEqual([2]);
    expect(m.getSnapshot().selectedId).toBeNull();
    m.select(2);
    expect(m.onKeyDown('Backspace')).toEqual([{ type: 'delete', id: 2, box: box(2, 40, 10, 10, 10) }]);
  });

  it('Ctrl+D duplicates the selected box, offset, and selects the copy', () => {
    const m = machine([box(1, 10, 10, 20, 20, 8)]);
    m.select(1);
    expect(m.onKeyDown('d', { ctrl: true })).toEqual([{ type: 'create', tempId: -1, box: { x: 20, y: 20, w: 20, h: 20 }, wordId: 8 }]);
    expect(m.getSnapshot().selectedId).toBe(-1);
    // In the bottom-right corner the copy goes up-left instead of onto the original.
    const c = machine([box(1, 44, 28, 20, 20)]);
    c.select(1);
    expect(c.onKeyDown('d', { ctrl: true })[0]).toMatchObject({ box: { x: 34, y: 18, w: 20, h: 20 } });
  });

  it('arrows nudge 1 px, Shift+arrows 10 px, never past the edge', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.select(1);
    expect(m.onKeyDown('ArrowRight')).toEqual([{ type: 'update', id: 1, box: { x: 11, y: 10, w: 20, h: 20 }, before: { x: 10, y: 10, w: 20, h: 20 }, reason: 'nudge' }]);
    expect(m.onKeyDown('ArrowDown', { shift: true })).toEqual([{ type: 'update', id: 1, box: { x: 11, y: 20, w: 20, h: 20 }, before: { x: 11, y: 10, w: 20, h: 20 }, reason: 'nudge' }]);
    expect(m.onKeyDown('ArrowLeft', { shift: true })[0]).toMatchObject({ box: { x: 1 } });
    expect(m.onKeyDown('ArrowLeft', { shift: true })[0]).toMatchObject({ box: { x: 0 } });
    expect(m.onKeyDown('ArrowLeft')).toEqual([]); // already at the edge
    expect(m.onKeyDown('ArrowUp')).toMatchObject([{ box: { y: 19 } }]);
  });

  it('digits pick word N of the level and relabel the selected box', () => {
    const m = machine([box(1, 10, 10, 20, 20, 7)]);
    m.select(1);
    expect(m.onKeyDown('3')).toEqual([
      { type: 'pickWord', index: 3, wordId: 9 },
      { type: 'setWord', id: 1, wordId: 9, before: 7 },
    ]);
    expect(m.getSnapshot().boxes[0]!.wordId).toBe(9);
    expect(m.onKeyDown('3')).toEqual([{ type: 'pickWord', index: 3, wordId: 9 }]); // already that word
    expect(m.onKeyDown('5')).toEqual([]); // only three words in this level
  });

  it('? toggles the help overlay; Esc closes it first', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.select(1);
    expect(m.onKeyDown('?', { shift: true })).toEqual([{ type: 'toggleHelp', open: true }]);
    expect(m.getSnapshot().helpOpen).toBe(true);
    expect(m.onKeyDown('Escape')).toEqual([{ type: 'toggleHelp', open: false }]);
    expect(m.getSnapshot().selectedId).toBe(1);
    expect(m.onKeyDown('Escape')).toEqual([]);
    expect(m.getSnapshot().selectedId).toBeNull();
    expect(m.onKeyDown('?')).toEqual([{ type: 'toggleHelp', open: true }]);
    expect(m.onKeyDown('?')).toEqual([{ type: 'toggleHelp', open: false }]);
  });

  it('lists every shortcut for the help overlay', () => {
    const keys = SHORTCUTS.map((s) => s.keys).join(' | ');
    for (const k of ['W', 'D', 'A', 'Space', 'Delete', 'Ctrl+D', 'Ctrl+V', 'Ctrl+Z', 'Ctrl+Y', 'Esc', '1 – 9', '?', 'Ctrl+S']) expect(keys).toContain(k);
    expect(SHORTCUTS.every((s) => s.action.length > 0)).toBe(true);
  });
});

describe('host facade', () => {
  it('notifies subscribers with a new snapshot after each change', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    const seen: unknown[] = [];
    const off = m.subscribe(() => seen.push(m.getSnapshot()));
    const first = m.getSnapshot();
    m.select(1);
    expect(seen).toHaveLength(1);
    expect(m.getSnapshot()).not.toBe(first);
    off();
    m.select(null);
    expect(seen).toHaveLength(1);
  });

  it('setBoxes keeps the selection while its box exists; loadFrame resets it', () => {
    const m = machine([box(1, 10, 10, 20, 20)]);
    m.select(1);
    m.setBoxes([box(1, 11, 10, 20, 20), box(2, 40, 20, 10, 10)]);
    expect(m.getSnapshot().selectedId).toBe(1);
    m.setBoxes([box(2, 40, 20, 10, 10)]);
    expect(m.getSnapshot().selectedId).toBeNull();
    m.setBoxes([box(2, 40, 20, 10, 10), box(3, 1, 1, 5, 5)], 3);
    expect(m.getSnapshot().selectedId).toBe(3);
    m.onPointerDown({ x: 45, y: 25 });
    m.loadFrame({ width: W, height: H, boxes: [] });
    expect(m.state).toBe('idle');
    expect(m.getSnapshot().selectedId).toBeNull();
    expect(m.statePath).toEqual(['idle', 'moving', 'idle']);
  });
});
