/**
 * The live interpreter's smoothing: turns a stream of per-frame detections into said words.
 *
 * - A frame's **leader** is its top-scoring detection at or above the threshold (none when nothing
 *   passes).
 * - A word is **said** when it leads in at least `k` of the last `n` frames. Requiring a majority of a
 *   short window, rather than k frames in a row, lets a sign survive a missed frame or two without
 *   letting one stray frame through.
 * - A said word is **held** and not said again while it keeps leading; it is released when it has not
 *   led in any of the last `n` frames (the signer paused or moved on), when another word is said, or
 *   by the idle reset — so the same word signed twice with a pause in between is said twice.
 * - **Idle reset**: after `idleSeconds` without any detection the sentence and the window are cleared
 *   (the person at the kiosk has left). Frames keep time; `tick` covers the case where no frame
 *   arrives at all (camera lost).
 *
 * Pure: no DOM, no Node, no clock — every call carries its time in milliseconds.
 */

export interface InterpreterSettings {
  /** Frames in which a word must lead… */
  k: number;
  /** …out of the last n frames. */
  n: number;
  /** Clear the sentence after this many seconds without a detection; 0 turns it off. */
  idleSeconds: number;
  /** Detections below this score are ignored (the service applies its own threshold first). */
  threshold: number;
  /** Most words kept in the sentence strip (the oldest drop off). */
  maxWords: number;
}

/**
 * At 15–30 fps, 4 leading frames of the last 6 take 0.13–0.27 s once a sign is detected, well inside
 * the 1 s a deaf-services counter can wait, and one or two misses in the window are tolerated. On a
 * slow machine (8 fps) it is still 0.5 s.
 */
export const INTERPRETER_DEFAULTS: InterpreterSettings = { k: 4, n: 6, idleSeconds: 10, threshold: 0, maxWords: 40 };

export interface InterpreterDetection {
  label: string;
  score: number;
}

export interface SaidWord {
  word: string;
  /** Time it was said (ms, the caller's clock). */
  t: number;
  /** Mean score of the frames it led in the window when it was said. */
  score: number;
}

export interface InterpreterState {
  /** Leaders of the last n frames, oldest first (null: nothing above the threshold). */
  window: (InterpreterDetection | null)[];
  /** Said words, oldest first. */
  sentence: SaidWord[];
  /** The said word that is still leading (not said again until released). */
  held: string | null;
  /** Leader of the latest frame. */
  current: InterpreterDetection | null;
  /** Time of the last frame with a leader, or of the last reset. */
  lastDetectionAt: number | null;
}

export function emptyInterpreterState(): InterpreterState {
  return { window: [], sentence: [], held: null, current: null, lastDetectionAt: null };
}

/** Validates settings coming from a form or a URL; says which value is wrong. */
export function checkInterpreterSettings(s: InterpreterSettings): string | null {
  if (!Number.isInteger(s.n) || s.n < 1 || s.n > 120) return `n must be a whole number from 1 to 120 (got ${s.n})`;
  if (!Number.isInteger(s.k) || s.k < 1 || s.k > s.n) return `k must be a whole number from 1 to n = ${s.n} (got ${s.k})`;
  if (!(s.idleSeconds >= 0)) return `idle seconds must be 0 or more (got ${s.idleSeconds})`;
  if (!(s.threshold >= 0 && s.threshold <= 1)) return `threshold must be within 0–1 (got ${s.threshold})`;
  if (!Number.isInteger(s.maxWords) || s.maxWords < 1) return `max words must be a whole number ≥ 1 (got ${s.maxWords})`;
  return null;
}

/** Top-scoring detection at or above the threshold; ties go to the first. */
export function leaderOf(detections: readonly InterpreterDetection[], threshold: number): InterpreterDetection | null {
  let best: InterpreterDetection | null = null;
  for (const d of detections) if (d.score >= threshold && (!best || d.score > best.score)) best = d;
  return best ? { label: best.label, score: best.score } : null;
}

export interface StepResult {
  state: InterpreterState;
  /** The word said on this frame, if any. */
  said: SaidWord | null;
  /** The sentence was cleared by the idle reset on this call. */
  idleReset: boolean;
}

function idleExpired(state: InterpreterState, now: number, s: InterpreterSettings): boolean {
  return s.idleSeconds > 0 && state.lastDetectionAt !== null && now - state.lastDetectionAt >= s.idleSeconds * 1000;
}

function reset(now: number | null): InterpreterState {
  return { ...emptyInterpreterState(), lastDetectionAt: now };
}

/** One frame's detections at time `now` (ms). */
export function interpretFrame(state: InterpreterState, detections: readonly InterpreterDetection[], now: number, s: InterpreterSettings): StepResult {
  const leader = leaderOf(detections, s.threshold);
  let idleReset = false;
  let st = state;
  if (idleExpired(st, now, s)) {
    idleReset = st.sentence.length > 0 || st.window.some(Boolean);
    st = reset(null);
  }
  const window = [...st.window, leader].slice(-s.n);
  const counts = new Map<string, { count: number; sum: number; last: number }>();
  window.forEach((d, i) => {
    if (!d) return;
    const c = counts.get(d.label) ?? { count: 0, sum: 0, last: -1 };
    c.count++;
    c.sum += d.score;
    c.last = i;
    counts.set(d.label, c);
  });
  let held = st.held;
  if (held !== null && !counts.has(held)) held = null; // not led in any of the last n frames: released
  // the word with most leading frames (ties: the one that led most recently) is the candidate
  let candidate: { label: string; count: number; sum: number; last: number } | null = null;
  for (const [label, c] of counts) {
    if (!candidate || c.count > candidate.count || (c.count === candidate.count && c.last > candidate.last)) candidate = { label, ...c };
  }
  let sentence = st.sentence;
  let said: SaidWord | null = null;
  if (candidate && candidate.count >= s.k && candidate.label !== held) {
    said = { word: candidate.label, t: now, score: candidate.sum / candidate.count };
    sentence = [...sentence, said].slice(-s.maxWords);
    held = candidate.label;
  }
  return {
    state: { window, sentence, held, current: leader, lastDetectionAt: leader ? now : (st.lastDetectionAt ?? now) },
    said,
    idleReset,
  };
}

/** Time passing without frames (camera lost, model loading): applies the idle reset only. */
export function interpreterTick(state: InterpreterState, now: number, s: InterpreterSettings): StepResult {
  if (!idleExpired(state, now, s)) return { state, said: null, idleReset: false };
  const had = state.sentence.length > 0 || state.window.some(Boolean);
  return { state: reset(null), said: null, idleReset: had };
}

/** A small mutable holder for UIs: the same functions, one place for state and settings. */
export class Interpreter {
  state: InterpreterState = emptyInterpreterState();
  constructor(public settings: InterpreterSettings = { ...INTERPRETER_DEFAULTS }) {}
  push(detections: readonly InterpreterDetection[], now: number): StepResult {
    const r = interpretFrame(this.state, detections, now, this.settings);
    this.state = r.state;
    return r;
  }
  tick(now: number): StepResult {
    const r = interpreterTick(this.state, now, this.settings);
    this.state = r.state;
    return r;
  }
  /** The user's Clear: empties the sentence and the window. */
  clear(now: number | null = null): void {
    this.state = reset(now);
  }
  get sentence(): SaidWord[] {
    return this.state.sentence;
  }
}
