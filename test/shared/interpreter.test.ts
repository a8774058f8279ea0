/**
 * The interpreter on hand-made detection sequences: when a word is said, that it is not repeated
 * while it keeps leading, the sentence strip, clear, and the idle reset.
 */
import { describe, expect, it } from 'vitest';
import {
  checkInterpreterSettings,
  emptyInterpreterState,
  Interpreter,
  INTERPRETER_DEFAULTS,
  interpretFrame,
  leaderOf,
  type InterpreterDetection,
  type InterpreterSettings,
} from '../../src-shared/interpreter';

const S: InterpreterSettings = { k: 3, n: 5, idleSeconds: 2, threshold: 0.5, maxWords: 10 };
/** A frame from a compact spec: '안녕' (score 0.9), '안녕:0.4', '' (nothing), '안녕+감사:0.95' (two detections). */
function frame(spec: string): InterpreterDetection[] {
  if (!spec) return [];
  return spec.split('+').map((p) => {
    const [label, score] = p.split(':');
    return { label: label!, score: score ? Number(score) : 0.9 };
  });
}
/** Feeds frames at `fps` from t0; returns the word said at each frame ('' when none). */
function run(it: Interpreter, specs: string[], fps = 10, t0 = 0): string[] {
  return specs.map((s, i) => it.push(frame(s), t0 + (i * 1000) / fps).said?.word ?? '');
}

describe('leaderOf', () => {
  it('is the top-scoring detection at or above the threshold', () => {
    expect(leaderOf(frame('안녕:0.7+감사:0.8+119:0.6'), 0.5)).toEqual({ label: '감사', score: 0.8 });
    expect(leaderOf(frame('안녕:0.4'), 0.5)).toBeNull();
    expect(leaderOf(frame('안녕:0.5'), 0.5)).toEqual({ label: '안녕', score: 0.5 });
    expect(leaderOf([], 0)).toBeNull();
  });
});

describe('interpreter', () => {
  it('says a word once it leads in k of the last n frames, not on fewer', () => {
    const i = new Interpreter({ ...S });
    // leads in frames 1, 3, 5 → the third lead (k=3) within the last 5 frames says it
    expect(run(i, ['안녕', '', '안녕', '', '안녕'])).toEqual(['', '', '', '', '안녕']);
    const j = new Interpreter({ ...S });
    // 3 leads spread over 6 frames: never 3 within any 5
    expect(run(j, ['안녕', '', '', '', '안녕', '', '', '', '안녕'])).toEqual(Array(9).fill(''));
    expect(j.sentence).toEqual([]);
  });

  it('does not repeat a word while it keeps leading, and says it again after a pause of n frames', () => {
    const i = new Interpreter({ ...S });
    const said = run(i, ['안녕', '안녕', '안녕', '안녕', '', '안녕', '안녕', '', '', '', '', '', '안녕', '안녕', '안녕']);
    expect(said).toEqual(['', '', '안녕', '', '', '', '', '', '', '', '', '', '', '', '안녕']);
    expect(i.sentence.map((w) => w.word)).toEqual(['안녕', '안녕']);
  });

  it('a brief stray word does not interrupt, a new word is said as soon as it leads k times', () => {
    const i = new Interpreter({ ...S });
    const said = run(i, ['안녕', '안녕', '안녕', '감사', '안녕', '감사', '감사', '감사', '감사']);
    expect(said).toEqual(['', '', '안녕', '', '', '', '감사', '', '']);
    expect(i.sentence.map((w) => w.word)).toEqual(['안녕', '감사']);
    expect(i.state.held).toBe('감사');
    expect(i.state.current).toEqual({ label: '감사', score: 0.9 });
  });

  it('only the leader of a frame counts; detections under the threshold are ignored', () => {
    const i = new Interpreter({ ...S });
    // 감사 is present in every frame but never leads; 119 leads but under the threshold
    const said = run(i, ['안녕:0.9+감사:0.8', '안녕:0.9+감사:0.8', '119:0.45+감사:0.3', '안녕:0.7+감사:0.6']);
    expect(said).toEqual(['', '', '', '안녕']);
    expect(i.sentence[0]!.score).toBeCloseTo((0.9 + 0.9 + 0.7) / 3, 10);
  });

  it('clear empties the sentence and the window', () => {
    const i = new Interpreter({ ...S });
    run(i, ['안녕', '안녕', '안녕']);
    expect(i.sentence).toHaveLength(1);
    i.clear(300);
    expect(i.sentence).toEqual([]);
    expect(i.state.held).toBeNull();
    // after clear the same ongoing sign is said afresh once it has k leads again
    expect(run(i, ['안녕', '안녕', '안녕'], 10, 400)).toEqual(['', '', '안녕']);
  });

  it('idle reset: the sentence clears after idleSeconds without detections, by frames or by tick', () => {
    const i = new Interpreter({ ...S });
    run(i, ['안녕', '안녕', '안녕']); // last detection at 200 ms
    expect(i.push([], 2100).idleReset).toBe(false);
    expect(i.sentence).toHaveLength(1);
    const r = i.push([], 2200);
    expect(r.idleReset).toBe(true);
    expect(i.sentence).toEqual([]);
    // no frames at all (camera lost): tick does the same
    const j = new Interpreter({ ...S });
    run(j, ['감사', '감사', '감사']);
    expect(j.tick(1500).idleReset).toBe(false);
    expect(j.tick(2300).idleReset).toBe(true);
    expect(j.sentence).toEqual([]);
    // a detection after a long gap starts a fresh sentence rather than extending the old one
    const k = new Interpreter({ ...S });
    run(k, ['감사', '감사', '감사']);
    expect(run(k, ['안녕', '안녕', '안녕'], 10, 60_000)).toEqual(['', '', '안녕']);
    expect(k.sentence.map((w) => w.word)).toEqual(['안녕']);
    // idleSeconds 0: never resets
    const z = new Interpreter({ ...S, idleSeconds: 0 });
    run(z, ['감사', '감사', '감사']);
    expect(z.tick(1e9).idleReset).toBe(false);
    expect(z.sentence).toHaveLength(1);
  });

  it('keeps at most maxWords, dropping the oldest', () => {
    const i = new Interpreter({ ...S, k: 1, n: 1, maxWords: 3 });
    run(i, ['가', '나', '다', '라', '마']);
    expect(i.sentence.map((w) => w.word)).toEqual(['다', '라', '마']);
  });

  it('interpretFrame is pure: the state passed in is not changed', () => {
    const s0 = emptyInterpreterState();
    const r = interpretFrame(s0, frame('안녕'), 0, { ...S, k: 1 });
    expect(s0).toEqual(emptyInterpreterState());
    expect(r.said?.word).toBe('안녕');
  });

  it('the defaults say a continuously detected sign within 1 s at 8, 15 and 30 fps', () => {
    for (const fps of [8, 15, 30]) {
      const i = new Interpreter({ ...INTERPRETER_DEFAULTS });
      const specs = Array.from({ length: fps * 2 }, (_, f) => (f % 5 === 4 ? '' : '안녕')); // one frame in 5 missed
      const said = run(i, specs, fps, 1000);
      const at = said.indexOf('안녕');
      expect(at, `${fps} fps`).toBeGreaterThanOrEqual(0);
      expect((at * 1000) / fps, `${fps} fps`).toBeLessThan(1000);
      expect(said.filter(Boolean), `${fps} fps`).toEqual(['안녕']);
    }
  });

  it('settings are checked with a reason', () => {
    expect(checkInterpreterSettings(INTERPRETER_DEFAULTS)).toBeNull();
    expect(checkInterpreterSettings({ ...S, k: 6, n: 5 })).toMatch(/k must be .* n = 5 \(got 6\)/);
    expect(checkInterpreterSettings({ ...S, n: 0 })).toMatch(/n must be/);
    expect(checkInterpreterSettings({ ...S, threshold: 2 })).toMatch(/threshold/);
  });
});
