import { afterEach, describe, expect, it } from 'vitest';
import {
  addBox,
  copyBoxes,
  copyToNext,
  deleteBox,
  frameBoxes,
  interpolate,
  setBoxWord,
  setFrameStatus,
  updateBox,
  verifyFrame,
} from '../../../src-main/services/annotate/boxes';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';
import { AnnotateFixture } from './fixture';

const tmp = useTmpDir();
const open: AnnotateFixture[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.project.close();
});
function fixture() {
  const f = new AnnotateFixture(tmp());
  open.push(f);
  return f;
}
const rect = (b: { x: number; y: number; w: number; h: number }) => ({ x: b.x, y: b.y, w: b.w, h: b.h });
function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof KslError ? e.code : 'not a KslError';
  }
  return undefined;
}

describe('addBox / updateBox / deleteBox and frame status', () => {
  it('a box gets the video word by default; the first box labels the frame, the last one removed unlabels it', () => {
    const f = fixture();
    const hello = f.word('안녕하세요');
    const { frames } = f.video(hello, 2);
    const fr = frames[0]!;
    expect(f.status(fr)).toBe('unlabelled');
    const a = addBox(f.project, fr, { x: 10, y: 8, w: 20, h: 24 });
    expect(a).toMatchObject({ frameId: fr, wordId: hello, x: 10, y: 8, w: 20, h: 24, source: 'manual', verified: false, difficult: false });
    expect(f.status(fr)).toBe('labelled');
    const b = addBox(f.project, fr, { x: 30, y: 8, w: 10, h: 10, difficult: true });
    deleteBox(f.project, a.id);
    expect(f.status(fr)).toBe('labelled');
    expect(deleteBox(f.project, b.id)).toMatchObject({ id: b.id, difficult: true });
    expect(f.status(fr)).toBe('unlabelled');
    expect(frameBoxes(f.project, fr)).toEqual([]);
  });

  it('skipped and verified frames keep their status when boxes come and go', () => {
    const f = fixture();
    const { frames } = f.video(f.word('병원'), 2);
    setFrameStatus(f.project, frames[0]!, 'skipped');
    const a = addBox(f.project, frames[0]!, { x: 1, y: 1, w: 10, h: 10 });
    expect(f.status(frames[0]!)).toBe('skipped');
    deleteBox(f.project, a.id);
    expect(f.status(frames[0]!)).toBe('skipped');
    const b = addBox(f.project, frames[1]!, { x: 1, y: 1, w: 10, h: 10 });
    verifyFrame(f.project, frames[1]!);
    deleteBox(f.project, b.id);
    expect(f.status(frames[1]!)).toBe('verified');
  });

  it('clamps to the image and refuses degenerate boxes, unknown frames and words', () => {
    const f = fixture();
    const { frames } = f.video(f.word('병원'), 1);
    expect(rect(addBox(f.project, frames[0]!, { x: -4, y: 40, w: 30, h: 30 }))).toEqual({ x: 0, y: 40, w: 26, h: 8 });
    expect(code(() => addBox(f.project, frames[0]!, { x: 100, y: 1, w: 10, h: 10 }))).toBe('INVALID');
    expect(code(() => addBox(f.project, frames[0]!, { x: 1, y: 1, w: 0.5, h: 10 }))).toBe('INVALID');
    expect(code(() => addBox(f.project, frames[0]!, { x: NaN, y: 1, w: 5, h: 10 }))).toBe('INVALID');
    expect(code(() => addBox(f.project, 9999, { x: 1, y: 1, w: 5, h: 5 }))).toBe('NOT_FOUND');
    expect(code(() => addBox(f.project, frames[0]!, { x: 1, y: 1, w: 5, h: 5, wordId: 9999 }))).toBe('NOT_FOUND');
    expect(code(() => updateBox(f.project, 9999, { x: 1 }))).toBe('NOT_FOUND');
    expect(code(() => deleteBox(f.project, 9999))).toBe('NOT_FOUND');
  });

  it('a photo has no video word: the box gets the given word, or none', () => {
    const f = fixture();
    const w = f.word('119');
    const p = f.photo('imports/voc/a.jpg');
    expect(addBox(f.project, p, { x: 1, y: 1, w: 5, h: 5 }).wordId).toBeNull();
    expect(addBox(f.project, p, { x: 1, y: 1, w: 6, h: 5, wordId: w }).wordId).toBe(w);
  });

  it('moving a copied or interpolated box makes it manual; relabelling does not', () => {
    const f = fixture();
    const w1 = f.word('안녕하세요');
    const w2 = f.word('감사합니다');
    const { frames } = f.video(w1, 1);
    const b = addBox(f.project, frames[0]!, { x: 10, y: 10, w: 10, h: 10, source: 'interpolated' });
    expect(setBoxWord(f.project, b.id, w2)).toMatchObject({ wordId: w2, source: 'interpolated' });
    expect(updateBox(f.project, b.id, { difficult: true })).toMatchObject({ difficult: true, source: 'interpolated' });
    const moved = updateBox(f.project, b.id, { x: 60, w: 10 });
    expect(moved).toMatchObject({ x: 60, w: 4, source: 'manual', wordId: w2 }); // clamped at the right edge
  });

  it('setFrameStatus refuses a status that contradicts the boxes', () => {
    const f = fixture();
    const { frames } = f.video(f.word('병원'), 1);
    expect(code(() => setFrameStatus(f.project, frames[0]!, 'labelled'))).toBe('CONFLICT');
    addBox(f.project, frames[0]!, { x: 1, y: 1, w: 5, h: 5 });
    expect(code(() => setFrameStatus(f.project, frames[0]!, 'unlabelled'))).toBe('CONFLICT');
    expect(code(() => setFrameStatus(f.project, frames[0]!, 'bogus' as never))).toBe('INVALID');
    expect(setFrameStatus(f.project, frames[0]!, 'skipped').status).toBe('skipped');
  });
});

describe('verifyFrame', () => {
  it('marks the frame verified and every box verified, interpolated ones included (they keep their source)', () => {
    const f = fixture();
    const { frames } = f.video(f.word('병원'), 1);
    addBox(f.project, frames[0]!, { x: 1, y: 1, w: 5, h: 5 });
    addBox(f.project, frames[0]!, { x: 10, y: 1, w: 5, h: 5, source: 'interpolated' });
    const r = verifyFrame(f.project, frames[0]!);
    expect(r.frame.status).toBe('verified');
    expect(r.boxes.map((b) => [b.source, b.verified])).toEqual([
      ['manual', true],
      ['interpolated', true],
    ]);
  });
});

describe('copyBoxes and copyToNext', () => {
  it('Ctrl+V copies the previous frame’s boxes as "copied", once', () => {
    const f = fixture();
    const w = f.word('병원');
    const { frames } = f.video(w, 2);
    addBox(f.project, frames[0]!, { x: 10, y: 10, w: 20, h: 20, difficult: true });
    const made = copyBoxes(f.project, frames[0]!, frames[1]!);
    expect(made.map((b) => [rect(b), b.source, b.wordId, b.difficult, b.verified])).toEqual([[{ x: 10, y: 10, w: 20, h: 20 }, 'copied', w, true, false]]);
    expect(f.status(frames[1]!)).toBe('labelled');
    expect(copyBoxes(f.project, frames[0]!, frames[1]!)).toEqual([]); // pressing it twice does not double
    expect(frameBoxes(f.project, frames[1]!)).toHaveLength(1);
  });

  it('copies into the next N frames by time, leaving decided frames alone', () => {
    const f = fixture();
    const w = f.word('병원');
    const { frames } = f.video(w, 7);
    addBox(f.project, frames[0]!, { x: 10, y: 10, w: 20, h: 20 });
    setFrameStatus(f.project, frames[2]!, 'skipped');
    addBox(f.project, frames[3]!, { x: 1, y: 1, w: 5, h: 5 }); // a manual box of its own
    const r = copyToNext(f.project, frames[0]!, 4);
    expect(r).toEqual({
      frames: [frames[1], frames[4]],
      boxes: 2,
      skipped: [
        { frameId: frames[2], reason: 'skipped' },
        { frameId: frames[3], reason: 'has-boxes' },
      ],
    });
    expect(frameBoxes(f.project, frames[5]!)).toEqual([]); // only 4 frames further
    // Running again after moving the source replaces the earlier copies instead of stacking them.
    updateBox(f.project, frameBoxes(f.project, frames[0]!)[0]!.id, { x: 30 });
    copyToNext(f.project, frames[0]!, 4);
    expect(frameBoxes(f.project, frames[4]!).map(rect)).toEqual([{ x: 30, y: 10, w: 20, h: 20 }]);
    expect(code(() => copyToNext(f.project, frames[0]!, 0))).toBe('INVALID');
    expect(code(() => copyToNext(f.project, f.photo('p.jpg'), 1))).toBe('INVALID');
  });

  it('does not cross into another video', () => {
    const f = fixture();
    const w = f.word('병원');
    const a = f.video(w, 2);
    const b = f.video(w, 2);
    addBox(f.project, a.frames[0]!, { x: 10, y: 10, w: 20, h: 20 });
    expect(copyToNext(f.project, a.frames[0]!, 5).frames).toEqual([a.frames[1]]);
    expect(frameBoxes(f.project, b.frames[0]!)).toEqual([]);
  });
});

describe('interpolate', () => {
  it('fills the frames between two keyframes linearly in time (hand-computed)', () => {
    const f = fixture();
    const w = f.word('안녕하세요');
    const { videoId, frames } = f.video(w, 6); // t = 0, 0.2, 0.4, 0.6, 0.8, 1.0
    addBox(f.project, frames[0]!, { x: 10, y: 8, w: 20, h: 20 });
    addBox(f.project, frames[4]!, { x: 30, y: 4, w: 28, h: 24 }); // t = 0.8
    const r = interpolate(f.project, videoId);
    expect(r).toMatchObject({ videoId, keyframes: 2, frames: 3, boxes: 3, removed: 0, skipped: [] });
    // fraction (t − 0) / 0.8 = 1/4, 1/2, 3/4 of (Δx 20, Δy −4, Δw 8, Δh 4)
    const expected = [
      { x: 15, y: 7, w: 22, h: 21 },
      { x: 20, y: 6, w: 24, h: 22 },
      { x: 25, y: 5, w: 26, h: 23 },
    ];
    for (let i = 0; i < 3; i++) {
      const [b] = frameBoxes(f.project, frames[i + 1]!);
      expect(b).toMatchObject({ source: 'interpolated', verified: false, wordId: w });
      expect(b!.x).toBeCloseTo(expected[i]!.x, 9);
      expect(b!.y).toBeCloseTo(expected[i]!.y, 9);
      expect(b!.w).toBeCloseTo(expected[i]!.w, 9);
      expect(b!.h).toBeCloseTo(expected[i]!.h, 9);
      expect(f.status(frames[i + 1]!)).toBe('labelled');
    }
    expect(frameBoxes(f.project, frames[5]!)).toEqual([]); // after the last keyframe: nothing
  });

  it('replaces its earlier boxes, never manual ones; a verified frame becomes a keyframe', () => {
    const f = fixture();
    const w = f.word('안녕하세요');
    const { videoId, frames } = f.video(w, 5); // t = 0 … 0.8
    const k0 = addBox(f.project, frames[0]!, { x: 0, y: 0, w: 10, h: 10 });
    addBox(f.project, frames[4]!, { x: 40, y: 0, w: 10, h: 10 });
    interpolate(f.project, videoId);
    expect(frameBoxes(f.project, frames[2]!).map(rect)).toEqual([{ x: 20, y: 0, w: 10, h: 10 }]);

    // Frame 2's interpolated box verified → a keyframe, kept as is. Move keyframe 0 and run again.
    verifyFrame(f.project, frames[2]!);
    updateBox(f.project, k0.id, { x: 10 });
    const r = interpolate(f.project, videoId);
    expect(r).toMatchObject({ keyframes: 3, frames: 2, boxes: 2, removed: 2 });
    expect(frameBoxes(f.project, frames[1]!).map(rect)).toEqual([{ x: 15, y: 0, w: 10, h: 10 }]); // halfway 10 → 20
    expect(frameBoxes(f.project, frames[2]!).map((b) => [rect(b), b.verified])).toEqual([[{ x: 20, y: 0, w: 10, h: 10 }, true]]);
    expect(frameBoxes(f.project, frames[3]!).map(rect)).toEqual([{ x: 30, y: 0, w: 10, h: 10 }]);
    expect(frameBoxes(f.project, frames[0]!).map((b) => b.source)).toEqual(['manual']);

    // Idempotent: a second run changes nothing.
    const before = frameBoxes(f.project, frames[1]!).map(rect);
    interpolate(f.project, videoId);
    expect(frameBoxes(f.project, frames[1]!).map(rect)).toEqual(before);
  });

  it('leaves skipped frames and frames with other boxes alone; drops stale boxes outside the keyframes', () => {
    const f = fixture();
    const w = f.word('안녕하세요');
    const { videoId, frames } = f.video(w, 6);
    addBox(f.project, frames[0]!, { x: 0, y: 0, w: 10, h: 10 });
    const last = addBox(f.project, frames[5]!, { x: 50, y: 0, w: 10, h: 10 });
    setFrameStatus(f.project, frames[1]!, 'skipped');
    addBox(f.project, frames[2]!, { x: 5, y: 5, w: 10, h: 10, source: 'copied' });
    const r = interpolate(f.project, videoId);
    expect(r.skipped).toEqual([frames[1], frames[2]]);
    expect(frameBoxes(f.project, frames[1]!)).toEqual([]);
    expect(frameBoxes(f.project, frames[2]!).map((b) => b.source)).toEqual(['copied']);
    expect(frameBoxes(f.project, frames[3]!)).toHaveLength(1);

    // The last keyframe's box is deleted: frames 3–4 are no longer between keyframes and are cleared.
    deleteBox(f.project, last.id);
    const again = interpolate(f.project, videoId);
    expect(again).toMatchObject({ keyframes: 1, boxes: 0, removed: 2 });
    expect(frameBoxes(f.project, frames[3]!)).toEqual([]);
    expect(f.status(frames[3]!)).toBe('unlabelled');
  });

  it('pairs boxes by word and nearest centre; a word on one keyframe only is not interpolated', () => {
    const f = fixture();
    const w1 = f.word('안녕하세요');
    const w2 = f.word('감사합니다');
    const { videoId, frames } = f.video(w1, 3);
    // Two hands of w1 that swap drawing order between keyframes, and a w2 box on the first keyframe only.
    addBox(f.project, frames[0]!, { x: 0, y: 0, w: 10, h: 10 });
    addBox(f.project, frames[0]!, { x: 40, y: 0, w: 10, h: 10 });
    addBox(f.project, frames[0]!, { x: 20, y: 30, w: 10, h: 10, wordId: w2 });
    addBox(f.project, frames[2]!, { x: 44, y: 0, w: 10, h: 10 });
    addBox(f.project, frames[2]!, { x: 4, y: 0, w: 10, h: 10 });
    interpolate(f.project, videoId);
    expect(frameBoxes(f.project, frames[1]!).map((b) => [b.x, b.wordId])).toEqual([
      [2, w1],
      [42, w1],
    ]);
  });

  it('refuses an unknown video', () => {
    const f = fixture();
    expect(code(() => interpolate(f.project, 42))).toBe('NOT_FOUND');
  });
});
