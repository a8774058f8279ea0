/**
 * Train/test splits without leakage.
 *
 * The notebook split frames at random per word. Frames a fifth of a second apart in one clip are nearly the
 * same picture, so that test set was mostly copies of training images and its accuracy said little about a
 * new signer in front of the kiosk. Here the unit of the split is a group that must not be cut:
 *  - `signer`: a person. Test signers are chosen once for the whole project (a person is a person in every
 *    word), stratified so each word gets about the test fraction of its frames. This is the honest test.
 *  - `video`: a recording. Chosen per word; the same people appear on both sides.
 *  - `frame`: the notebook's random per-frame split, kept for comparison; it reports its leaks.
 *  - holdout signers: named signers are the test side, everybody else trains.
 *  - folders: the 'train'/'test' folders of an imported labelImg set, as they were.
 *
 * A split is stored (splits + split_members) in one transaction with its report, so training and export use
 * exactly the frames the report describes, and the same seed gives the same split again.
 */
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { chooseTestGroups, type Group } from './choose-test-groups';
import { framesInScope, type ScopedFrame } from './frames-in-scope';
import { labelMapItems, type LabelMapEntry } from './label-maps';
import { mixSeed, mulberry32, shuffled } from '../../../src-shared/random';

export type { LeakGroup, SideCounts, SplitBy, SplitLeaks, SplitMethod, SplitReport, SplitSide, WordSplit } from '../../../src-shared/dataset-types';
import type { LeakGroup, SideCounts, SplitBy, SplitLeaks, SplitMethod, SplitReport, SplitSide, WordSplit } from '../../../src-shared/dataset-types';

export interface SplitOptions {
  by?: SplitBy;
  /** Fraction of each word's frames wanted in test, 0 < test < 1; default 0.33. */
  test?: number;
  /** Default 42. */
  seed?: number;
  /** Only this level's words; every word when undefined or null. */
  level?: number | null;
  /** Signer codes put on the test side; everyone else trains. Implies a split by signer. */
  holdoutSigners?: string[];
  /** Use the 'train'/'test' folder each frame was imported from (frames.split_hint). */
  fromFolders?: boolean;
}

export interface StoredSplit {
  id: number;
  method: SplitMethod;
  seed: number | null;
  testFraction: number | null;
  level: number | null;
  leaks: number;
  params: Record<string, unknown>;
  report: SplitReport;
  createdAt: string;
}

export const DEFAULT_TEST_FRACTION = 0.33;
export const DEFAULT_SEED = 42;
/** How many names a warning lists before "and N more". */
const MAX_NAMES = 10;

// ---------------------------------------------------------------------------------------------------------
// Making a split
// ---------------------------------------------------------------------------------------------------------

export function makeSplit(project: Project, opts: SplitOptions): SplitReport {
  const level = opts.level ?? null;
  if (level !== null && (!Number.isInteger(level) || level < 1 || level > 99)) {
    throw new KslError('INVALID', `--level must be a whole number from 1 to 99 (got ${level}).`);
  }
  const holdout = opts.holdoutSigners?.map((s) => s.normalize('NFC').trim()).filter((s) => s !== '');
  if (opts.holdoutSigners && !holdout?.length) throw new KslError('INVALID', 'holdoutSigners lists no signer codes.');
  if (opts.fromFolders && holdout) throw new KslError('INVALID', 'Use either the imported train/test folders or holdout signers, not both.');
  if (holdout && opts.by && opts.by !== 'signer') {
    throw new KslError('INVALID', `Holdout signers make a split by signer; it cannot also be a split by ${opts.by}.`);
  }
  const by: SplitBy | undefined = opts.by ?? (holdout ? 'signer' : undefined);
  if (!by && !opts.fromFolders) throw new KslError('INVALID', 'Choose how to split: by signer, video or frame (or from the imported folders).');
  if (by && !['signer', 'video', 'frame'].includes(by)) throw new KslError('INVALID', `Cannot split by ${JSON.stringify(by)}; use signer, video or frame.`);
  const method: SplitMethod = opts.fromFolders ? 'folders' : by!;
  const fraction = opts.test ?? DEFAULT_TEST_FRACTION;
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction < 1)) {
    throw new KslError('INVALID', `The test fraction must be between 0 and 1, e.g. 0.33 (got ${opts.test}).`);
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new KslError('INVALID', `The seed must be a whole number (got ${opts.seed}).`);

  // Read and write in one IMMEDIATE transaction: the members are exactly the frames the report counts, even
  // if the app's editor (another connection) is saving boxes meanwhile; and a failure writes nothing.
  return project.db
    .transaction(() => buildSplit(project, opts, { level, holdout, by, method, fraction, seed }))
    .immediate();
}

interface Resolved {
  level: number | null;
  holdout: string[] | undefined;
  by: SplitBy | undefined;
  method: SplitMethod;
  fraction: number;
  seed: number;
}

function buildSplit(project: Project, opts: SplitOptions, { level, holdout, by, method, fraction, seed }: Resolved): SplitReport {
  const randomised = method === 'signer' ? !holdout : method !== 'folders';
  const where = level === null ? 'the project' : `level ${level}`;
  const words = labelMapItems(project, level);
  if (words.length === 0) throw new KslError('INVALID', `There are no words in ${where}${level === null ? '' : ' (see the level table)'}.`);
  const frames = framesInScope(project, level);
  if (frames.length === 0) {
    throw new KslError('INVALID', `${cap(where)} has no frames with boxes yet, so there is nothing to split; label some frames first.`);
  }

  const warnings: string[] = [];
  if (opts.fromFolders && opts.by) warnings.push(`The split follows the imported train/test folders; "by ${opts.by}" was ignored.`);

  let side: Map<number, SplitSide>;
  if (method === 'folders') side = assignFromFolders(frames, warnings);
  else if (holdout) side = assignHoldout(project, frames, holdout, warnings);
  else if (method === 'signer') side = assignBySigner(frames, fraction, seed, warnings);
  else if (method === 'video') side = assignByVideo(frames, fraction, seed);
  else side = assignByFrame(frames, fraction, seed);

  const members = frames.filter((f) => side.has(f.id));
  const sideOf = (f: ScopedFrame) => side.get(f.id)!;

  const leaks = findLeaks(members, sideOf, method === 'signer' ? 'signer' : 'video');
  const byWord = framesByWord(members);
  const perWord = words.map((w) => wordSplit(w, byWord.get(w.wordId) ?? [], sideOf));
  warnings.push(...wordWarnings(method, words, byWord, perWord, where));

  if (method === 'frame') {
    warnings.unshift(
      `Split by frame (as the notebook did): near-duplicate frames of one video are in both train and test (${leaks.count} videos), ` +
        'so test scores overstate how well the model recognises a new signer. Use a split by signer (or video) for a fair test.',
    );
  }
  if (method === 'video') {
    const shared = findLeaks(members, sideOf, 'signer').count;
    if (shared > 0) {
      warnings.push(`Split by video: ${shared} signers appear in both train and test, so the test measures new recordings of known people, not new people; split by signer for that.`);
    }
  }

  const totals = counts(members);
  const train = counts(members.filter((f) => sideOf(f) === 'train'));
  const test = counts(members.filter((f) => sideOf(f) === 'test'));
  const report: SplitReport = {
    id: 0,
    method,
    seed: randomised ? seed : null,
    testFraction: holdout || method === 'folders' ? null : fraction,
    actualTestFraction: totals.frames ? test.frames / totals.frames : 0,
    level,
    ...(holdout ? { holdoutSigners: [...new Set(holdout)].sort(byCodePoint) } : {}),
    total: totals,
    train,
    test,
    perWord,
    leaks,
    warnings,
    createdAt: new Date().toISOString(),
  };
  const params = { by: method === 'folders' ? null : by, fromFolders: !!opts.fromFolders, holdoutSigners: report.holdoutSigners ?? null };

  const db = project.db;
  const id = Number(
    db
      .prepare('INSERT INTO splits (method, seed, test_fraction, level, params, leaks, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(method, report.seed, report.testFraction, level, JSON.stringify(params), leaks.count, report.createdAt).lastInsertRowid,
  );
  report.id = id;
  const insert = db.prepare('INSERT INTO split_members (split_id, frame_id, side) VALUES (?, ?, ?)');
  for (const f of members) insert.run(id, f.id, sideOf(f));
  db.prepare('UPDATE splits SET report = ? WHERE id = ?').run(JSON.stringify(report), id);
  return report;
}

// ---------------------------------------------------------------------------------------------------------
// Assignments
// ---------------------------------------------------------------------------------------------------------

/** Every in-scope word with frames, ascending id: the per-word loops below must not depend on row order. */
function framesByWord(frames: readonly ScopedFrame[]): Map<number, ScopedFrame[]> {
  const out = new Map<number, ScopedFrame[]>();
  for (const f of frames) {
    const list = out.get(f.wordId);
    if (list) list.push(f);
    else out.set(f.wordId, [f]);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/**
 * The group a frame cannot be separated from. A frame without a signer code is kept with its video (or,
 * for a photo, stands alone): nothing tells us who is in it.
 */
function signerKey(f: ScopedFrame): string {
  return f.signerCode !== null ? `s:${f.signerCode}` : videoKey(f);
}
function videoKey(f: ScopedFrame): string {
  return f.videoId !== null ? `v:${f.videoId}` : `f:${f.id}`;
}

function groupsOf(frames: readonly ScopedFrame[], key: (f: ScopedFrame) => string): Group[] {
  const map = new Map<string, Map<number, number>>();
  for (const f of frames) {
    const k = key(f);
    let counts = map.get(k);
    if (!counts) map.set(k, (counts = new Map()));
    counts.set(f.wordId, (counts.get(f.wordId) ?? 0) + 1);
  }
  // Sorted before the seeded shuffle, so the result depends on the seed and the data only.
  return [...map].sort((a, b) => byCodePoint(a[0], b[0])).map(([k, counts]) => ({ key: k, counts }));
}

function assignGroups(frames: readonly ScopedFrame[], key: (f: ScopedFrame) => string, testKeys: Set<string>, out: Map<number, SplitSide>): void {
  for (const f of frames) out.set(f.id, testKeys.has(key(f)) ? 'test' : 'train');
}

function assignBySigner(frames: readonly ScopedFrame[], fraction: number, seed: number, warnings: string[]): Map<number, SplitSide> {
  const groups = groupsOf(frames, signerKey);
  const order = shuffled(
    groups.map((g) => g.key),
    mulberry32(seed),
  );
  const out = new Map<number, SplitSide>();
  assignGroups(frames, signerKey, chooseTestGroups(groups, order, fraction), out);
  const anonymous = frames.filter((f) => f.signerCode === null);
  if (anonymous.length) {
    const units = new Set(anonymous.map(videoKey)).size;
    warnings.push(
      `${anonymous.length} frames (${units} videos or photos) have no signer code; each video was kept on one side, but the same person may be on both sides. Import the KETI sheet to fill in signers.`,
    );
  }
  return out;
}

/** Per word: videos are recordings of one word, so each word's videos are chosen on their own. */
function assignByVideo(frames: readonly ScopedFrame[], fraction: number, seed: number): Map<number, SplitSide> {
  const out = new Map<number, SplitSide>();
  for (const [wordId, list] of framesByWord(frames)) {
    const groups = groupsOf(list, videoKey);
    const order = shuffled(
      groups.map((g) => g.key),
      mulberry32(mixSeed(seed, wordId)),
    );
    assignGroups(list, videoKey, chooseTestGroups(groups, order, fraction), out);
  }
  return out;
}

/** The notebook's split: per word, a random round(fraction * n) of its frames to test (at least one each side). */
function assignByFrame(frames: readonly ScopedFrame[], fraction: number, seed: number): Map<number, SplitSide> {
  const out = new Map<number, SplitSide>();
  for (const [wordId, list] of framesByWord(frames)) {
    const n = list.length;
    const nTest = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
    const order = shuffled(
      list.map((f) => f.id),
      mulberry32(mixSeed(seed, wordId)),
    );
    const test = new Set(order.slice(0, nTest));
    for (const f of list) out.set(f.id, test.has(f.id) ? 'test' : 'train');
  }
  return out;
}

function assignHoldout(project: Project, frames: readonly ScopedFrame[], codes: string[], warnings: string[]): Map<number, SplitSide> {
  const known = new Set(project.db.prepare('SELECT code FROM signers').pluck().all() as string[]);
  const unknown = codes.filter((c) => !known.has(c));
  if (unknown.length) {
    const list = [...known].sort(byCodePoint);
    throw new KslError(
      'NOT_FOUND',
      `Unknown signer code${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the project's signers are ${names(list) || '(none)'}.`,
      { unknown },
    );
  }
  const holdout = new Set(codes);
  const present = new Set(frames.map((f) => f.signerCode));
  const absent = [...holdout].filter((c) => !present.has(c)).sort(byCodePoint);
  if (absent.length) warnings.push(`Holdout signer${absent.length > 1 ? 's' : ''} ${absent.join(', ')} ha${absent.length > 1 ? 've' : 's'} no labelled frames in this scope.`);
  const out = new Map<number, SplitSide>();
  for (const f of frames) out.set(f.id, f.signerCode !== null && holdout.has(f.signerCode) ? 'test' : 'train');
  return out;
}

function assignFromFolders(frames: readonly ScopedFrame[], warnings: string[]): Map<number, SplitSide> {
  const out = new Map<number, SplitSide>();
  let unhinted = 0;
  for (const f of frames) {
    if (f.splitHint === 'train' || f.splitHint === 'test') out.set(f.id, f.splitHint);
    else unhinted++;
  }
  if (out.size === 0) {
    throw new KslError('INVALID', 'None of the labelled frames came from a train/ or test/ folder of an imported labelImg set; split by signer, video or frame instead.');
  }
  if (unhinted) warnings.push(`${unhinted} labelled frames did not come from a train/ or test/ folder and were left out of the split.`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------

function counts(frames: readonly ScopedFrame[]): SideCounts {
  const videos = new Set<number>();
  const signers = new Set<string>();
  for (const f of frames) {
    if (f.videoId !== null) videos.add(f.videoId);
    if (f.signerCode !== null) signers.add(f.signerCode);
  }
  return { frames: frames.length, videos: videos.size, signers: signers.size };
}

function wordSplit(w: LabelMapEntry, frames: readonly ScopedFrame[], sideOf: (f: ScopedFrame) => SplitSide): WordSplit {
  return {
    wordId: w.wordId,
    word: w.text,
    label: w.label,
    level: w.level,
    train: counts(frames.filter((f) => sideOf(f) === 'train')),
    test: counts(frames.filter((f) => sideOf(f) === 'test')),
  };
}

function findLeaks(frames: readonly ScopedFrame[], sideOf: (f: ScopedFrame) => SplitSide, kind: 'signer' | 'video'): SplitLeaks {
  const tally = new Map<string, LeakGroup>();
  for (const f of frames) {
    let key: string;
    let init: LeakGroup;
    if (kind === 'signer') {
      if (f.signerCode === null) continue;
      key = f.signerCode;
      init = { signer: f.signerCode, train: 0, test: 0 };
    } else {
      if (f.videoId === null) continue;
      key = String(f.videoId);
      init = { video: f.videoId, videoNumber: f.videoNumber, train: 0, test: 0 };
    }
    let g = tally.get(key);
    if (!g) tally.set(key, (g = init));
    g[sideOf(f)]++;
  }
  const groups = [...tally.values()].filter((g) => g.train > 0 && g.test > 0);
  groups.sort((a, b) => (kind === 'signer' ? byCodePoint(a.signer!, b.signer!) : a.video! - b.video!));
  return { count: groups.length, kind, groups };
}

/** A warning for each word that ends up with an empty side, saying why; one for the words with no frames. */
function wordWarnings(
  method: SplitMethod,
  words: readonly LabelMapEntry[],
  byWord: ReadonlyMap<number, ScopedFrame[]>,
  perWord: readonly WordSplit[],
  where: string,
): string[] {
  const out: string[] = [];
  const empty: string[] = [];
  words.forEach((w, i) => {
    const s = perWord[i];
    const n = s.train.frames + s.test.frames;
    if (n === 0) {
      empty.push(`"${w.text}"`);
      return;
    }
    if (s.train.frames > 0 && s.test.frames > 0) return;
    const only: SplitSide = s.train.frames > 0 ? 'train' : 'test';
    const mine = byWord.get(w.wordId) ?? [];
    const signers = [...new Set(mine.map((f) => f.signerCode).filter((c): c is string => c !== null))].sort(byCodePoint);
    const videos = new Set(mine.map(videoKey)).size;
    let why: string;
    if (n === 1) why = 'it has a single labelled frame';
    else if (method === 'signer' && signers.length <= 1 && new Set(mine.map(signerKey)).size <= 1) {
      why = signers.length ? `all its frames come from one signer (${signers[0]})` : 'none of its frames has a signer code';
    } else if (method === 'video' && videos <= 1) why = 'all its frames come from one video';
    else if (method === 'signer') why = `all its signers (${signers.join(', ')}) are ${only} signers for the other words`;
    else if (method === 'folders') why = `the imported folders put all its frames in ${only}/`;
    else why = `its frames are all on the ${only} side`;
    const consequence = only === 'train' ? 'it cannot be evaluated' : 'the detector never learns it';
    out.push(`"${w.text}" cannot be split: ${why}, so all its ${n} frames are in ${only} and ${consequence}.`);
  });
  if (empty.length) {
    out.push(`${empty.length} word${empty.length > 1 ? 's' : ''} of ${where} ha${empty.length > 1 ? 've' : 's'} no labelled frames and nothing to learn from: ${names(empty)}.`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Reading splits back
// ---------------------------------------------------------------------------------------------------------

interface SplitRow {
  id: number;
  method: SplitMethod;
  seed: number | null;
  test_fraction: number | null;
  level: number | null;
  params: string;
  report: string;
  leaks: number;
  created_at: string;
}

function toStored(r: SplitRow): StoredSplit {
  return {
    id: r.id,
    method: r.method,
    seed: r.seed,
    testFraction: r.test_fraction,
    level: r.level,
    leaks: r.leaks,
    params: JSON.parse(r.params) as Record<string, unknown>,
    report: JSON.parse(r.report) as SplitReport,
    createdAt: r.created_at,
  };
}

/** The most recent split made for `level` (undefined or null: the all-words split), or undefined. */
export function latestSplit(project: Project, level?: number | null): StoredSplit | undefined {
  const row = project.db.prepare('SELECT * FROM splits WHERE level IS ? ORDER BY id DESC LIMIT 1').get(level ?? null) as SplitRow | undefined;
  return row && toStored(row);
}

export function getSplit(project: Project, splitId: number): StoredSplit {
  const row = project.db.prepare('SELECT * FROM splits WHERE id = ?').get(splitId) as SplitRow | undefined;
  if (!row) throw new KslError('NOT_FOUND', `There is no split ${splitId} in this project; make one with: ksl split PROJECT --by signer`);
  return toStored(row);
}

export interface SplitFrame {
  id: number;
  videoId: number | null;
  /** Relative to the project folder. */
  file: string;
  width: number;
  height: number;
  status: string;
  side: SplitSide;
}

/** A split's frames on one side (or both), ordered by frame id. */
export function splitFrames(project: Project, splitId: number, side: SplitSide | 'all'): SplitFrame[] {
  getSplit(project, splitId); // NOT_FOUND for a wrong id, rather than an empty list
  const rows = project.db
    .prepare(
      `SELECT f.id, f.video_id AS videoId, f.file, f.width, f.height, f.status, m.side
       FROM split_members m JOIN frames f ON f.id = m.frame_id
       WHERE m.split_id = ? AND (? = 'all' OR m.side = ?)
       ORDER BY f.id`,
    )
    .all(splitId, side, side) as SplitFrame[];
  return rows;
}

/**
 * Training refuses a split whose test frames share a group with its training frames: scores on such a test
 * set measure memory, not recognition. `force` accepts it anyway (e.g. to reproduce the notebook's numbers).
 */
export function assertNoLeaks(report: Pick<SplitReport, 'id' | 'method' | 'leaks'>, force: boolean): void {
  if (force || report.leaks.count === 0) return;
  const what = report.leaks.kind === 'signer' ? 'signers appear' : 'videos have frames';
  throw new KslError(
    'CONFLICT',
    `split ${report.id} leaks: ${report.leaks.count} ${what} in both train and test (split by ${report.method}); use a split by signer or video, or --force`,
    { splitId: report.id, leaks: report.leaks.count },
  );
}

// ---------------------------------------------------------------------------------------------------------

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function names(list: readonly string[]): string {
  return list.length > MAX_NAMES ? `${list.slice(0, MAX_NAMES).join(', ')} and ${list.length - MAX_NAMES} more` : list.join(', ');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The split an export uses: `splitId` when given (its level must agree with `level`, if both are given),
 * otherwise the latest split for `level`.
 */
export function splitForExport(project: Project, opts: { splitId?: number; level?: number | null }): StoredSplit {
  if (opts.splitId !== undefined) {
    const s = getSplit(project, opts.splitId);
    if (opts.level !== undefined && opts.level !== null && s.level !== opts.level) {
      throw new KslError('INVALID', `Split ${s.id} was made for ${s.level === null ? 'all words' : `level ${s.level}`}, not level ${opts.level}.`);
    }
    return s;
  }
  const s = latestSplit(project, opts.level);
  if (!s) {
    const lvl = opts.level ?? null;
    throw new KslError(
      'NOT_FOUND',
      `There is no train/test split for ${lvl === null ? 'all words' : `level ${lvl}`} yet; run ksl split first (e.g. ksl split PROJECT --by signer${lvl === null ? '' : ` --level ${lvl}`}).`,
    );
  }
  return s;
}

/** Frames per signer on each side of a split; a signer with frames on both sides is a leak. */
export function splitSigners(project: Project, splitId: number): { signer: string; train: number; test: number }[] {
  return project.db
    .prepare(
      `SELECT COALESCE(s.code, '?') AS signer,
              SUM(m.side = 'train') AS train, SUM(m.side = 'test') AS test
         FROM split_members m JOIN frames f ON f.id = m.frame_id
         LEFT JOIN videos v ON v.id = f.video_id LEFT JOIN signers s ON s.id = v.signer_id
        WHERE m.split_id = ? GROUP BY s.code ORDER BY CAST(s.code AS INTEGER), s.code`,
    )
    .all(splitId) as { signer: string; train: number; test: number }[];
}
