import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initProject, type Project } from '../../../src-main/services/catalog/project';
import { chooseTestGroups } from '../../../src-main/services/dataset/choose-test-groups';
import {
  assertNoLeaks,
  getSplit,
  latestSplit,
  makeSplit,
  splitFrames,
  type SplitReport,
} from '../../../src-main/services/dataset/split';
import { KslError } from '../../../src-shared/result';
import { CatalogBuilder, SIGNERS, standardCatalog } from '../../helpers/dataset-fixture';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir();

function setup(): { p: Project; b: CatalogBuilder; words: Record<string, number> } {
  const p = initProject(path.join(tmp(), 'proj'));
  const b = new CatalogBuilder(p);
  const { words } = standardCatalog(b);
  return { p, b, words };
}

interface MemberRow {
  frame_id: number;
  side: 'train' | 'test';
  video_id: number | null;
  code: string | null;
  word_id: number;
}

function members(p: Project, splitId: number): MemberRow[] {
  return p.db
    .prepare(
      `SELECT m.frame_id, m.side, f.video_id, s.code, v.word_id
       FROM split_members m JOIN frames f ON f.id = m.frame_id
       LEFT JOIN videos v ON v.id = f.video_id LEFT JOIN signers s ON s.id = v.signer_id
       WHERE m.split_id = ? ORDER BY m.frame_id`,
    )
    .all(splitId) as MemberRow[];
}

/** Keys of `key` that occur on both sides. */
function onBothSides(rows: MemberRow[], key: (r: MemberRow) => string | number | null): (string | number)[] {
  const sides = new Map<string | number, Set<string>>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    if (!sides.has(k)) sides.set(k, new Set());
    sides.get(k)!.add(r.side);
  }
  return [...sides].filter(([, s]) => s.size === 2).map(([k]) => k);
}

function expectCountsAddUp(p: Project, r: SplitReport): void {
  const rows = members(p, r.id);
  expect(r.train.frames + r.test.frames).toBe(r.total.frames);
  expect(rows.length).toBe(r.total.frames);
  expect(rows.filter((x) => x.side === 'test').length).toBe(r.test.frames);
  expect(r.perWord.reduce((a, w) => a + w.train.frames, 0)).toBe(r.train.frames);
  expect(r.perWord.reduce((a, w) => a + w.test.frames, 0)).toBe(r.test.frames);
  expect(r.actualTestFraction).toBeCloseTo(r.test.frames / r.total.frames, 12);
}

const frameCount = (p: Project, level: number | null) =>
  p.db
    .prepare(
      `SELECT COUNT(*) FROM frames f LEFT JOIN videos v ON v.id = f.video_id
       WHERE EXISTS (SELECT 1 FROM boxes b JOIN words w ON w.id = b.word_id WHERE b.frame_id = f.id AND (? IS NULL OR w.level = ?))
          OR (f.status = 'skipped' AND v.word_id IN (SELECT id FROM words WHERE ? IS NULL OR level = ?))`,
    )
    .pluck()
    .get(level, level, level, level) as number;

describe('makeSplit by signer', () => {
  it('puts every signer on exactly one side, for all words at once, and the counts add up', () => {
    const { p } = setup();
    const r = makeSplit(p, { by: 'signer' });
    expect(r.method).toBe('signer');
    expect(r.seed).toBe(42);
    expect(r.testFraction).toBe(0.33);
    expect(r.level).toBeNull();
    const rows = members(p, r.id);
    expect(onBothSides(rows, (x) => x.code)).toEqual([]);
    expect(onBothSides(rows, (x) => x.video_id)).toEqual([]);
    expect(r.leaks).toEqual({ count: 0, kind: 'signer', groups: [] });
    expectCountsAddUp(p, r);
    expect(r.total.frames).toBe(frameCount(p, null));
    // Signers are people: the two sides' signer counts partition the signers.
    expect(r.train.signers + r.test.signers).toBe(r.total.signers);
    expect(r.total.signers).toBe(SIGNERS.length);
    expect(r.train.videos + r.test.videos).toBe(r.total.videos);
    p.close();
  });

  it('stratifies per word: each word with many signers gets roughly the test fraction', () => {
    const { p } = setup();
    for (const test of [0.2, 0.33, 0.5]) {
      const r = makeSplit(p, { by: 'signer', test, level: 1 });
      for (const w of r.perWord) {
        const frac = w.test.frames / (w.train.frames + w.test.frames);
        expect(Math.abs(frac - test), `${w.word} at ${test}`).toBeLessThan(0.12);
      }
      expect(Math.abs(r.actualTestFraction - test)).toBeLessThan(0.08);
    }
    p.close();
  });

  it('is deterministic for a seed and different for another seed', () => {
    const { p } = setup();
    const a = makeSplit(p, { by: 'signer', seed: 42 });
    const b = makeSplit(p, { by: 'signer', seed: 42 });
    const sides = (id: number) => members(p, id).map((m) => `${m.frame_id}:${m.side}`);
    expect(sides(b.id)).toEqual(sides(a.id));
    expect(b.id).not.toBe(a.id);
    const others = [1, 2, 3, 7, 1234].map((seed) => makeSplit(p, { by: 'signer', seed }));
    expect(others.some((o) => sides(o.id).join() !== sides(a.id).join())).toBe(true);
    p.close();
  });

  it('names a word that cannot be tested on a new signer', () => {
    const { p } = setup();
    const r = makeSplit(p, { by: 'signer', level: 2 });
    const lone = r.perWord.find((w) => w.word === '병원')!;
    expect(lone.train.frames === 0 || lone.test.frames === 0).toBe(true);
    expect(r.warnings.some((w) => w.includes('"병원"') && w.includes('one signer (3)'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('"119"'))).toBe(false);
    expect(r.leaks.count).toBe(0);
    p.close();
  });

  it('keeps frames without a signer code together per video and says so', () => {
    const { p, b, words } = setup();
    const anon = b.video(words['학교'], null, 5);
    const r = makeSplit(p, { by: 'signer', level: 1 });
    const sides = new Set(members(p, r.id).filter((m) => m.video_id === anon.videoId).map((m) => m.side));
    expect(sides.size).toBe(1);
    expect(r.warnings.some((w) => /no signer code/.test(w))).toBe(true);
    p.close();
  });
});

describe('makeSplit by video', () => {
  it('never cuts a video, gives each word both sides, and the counts add up', () => {
    const { p } = setup();
    const r = makeSplit(p, { by: 'video', seed: 5 });
    const rows = members(p, r.id);
    expect(onBothSides(rows, (x) => x.video_id)).toEqual([]);
    expect(r.leaks).toEqual({ count: 0, kind: 'video', groups: [] });
    expectCountsAddUp(p, r);
    expect(r.train.videos + r.test.videos).toBe(r.total.videos);
    for (const w of r.perWord) {
      expect(w.train.frames, w.word).toBeGreaterThan(0);
      expect(w.test.frames, w.word).toBeGreaterThan(0);
      if (w.word !== '병원') expect(Math.abs(w.test.frames / (w.train.frames + w.test.frames) - 0.33), w.word).toBeLessThan(0.1);
    }
    // The same people are on both sides, and the report says what that means.
    expect(r.warnings.some((w) => /signers appear in both train and test/.test(w))).toBe(true);
    p.close();
  });

  it('warns about a word recorded in a single video', () => {
    const { p, b } = setup();
    const solo = b.word('혼자', 1);
    b.video(solo, '1', 6);
    const r = makeSplit(p, { by: 'video', level: 1 });
    expect(r.warnings.some((w) => w.includes('"혼자"') && w.includes('one video'))).toBe(true);
    p.close();
  });
});

describe('makeSplit by frame (the notebook)', () => {
  it('splits each word by frame, reports the videos it leaks and warns', () => {
    const { p } = setup();
    const r = makeSplit(p, { by: 'frame', seed: 42 });
    expectCountsAddUp(p, r);
    const leaking = onBothSides(members(p, r.id), (x) => x.video_id);
    expect(r.leaks.kind).toBe('video');
    expect(r.leaks.count).toBeGreaterThan(0);
    expect(r.leaks.count).toBe(leaking.length);
    expect(r.leaks.groups.map((g) => g.video).sort((a, b) => a! - b!)).toEqual([...leaking].sort((a, b) => Number(a) - Number(b)));
    expect(r.warnings[0]).toMatch(/near-duplicate frames/);
    for (const w of r.perWord) {
      const n = w.train.frames + w.test.frames;
      expect(w.test.frames).toBe(Math.round(0.33 * n));
    }
    expect(() => assertNoLeaks(r, false)).toThrow(/leaks.*use a split by signer or video, or --force/);
    try {
      assertNoLeaks(r, false);
    } catch (e) {
      expect((e as KslError).code).toBe('CONFLICT');
      expect((e as KslError).message).toMatch(new RegExp(`^split ${r.id} leaks`));
    }
    expect(() => assertNoLeaks(r, true)).not.toThrow();
    p.close();
  });
});

describe('holdout signers', () => {
  it('tests on exactly the named signers and trains on everyone else', () => {
    const { p } = setup();
    const r = makeSplit(p, { holdoutSigners: ['9', '10'] });
    expect(r.method).toBe('signer');
    expect(r.seed).toBeNull();
    expect(r.testFraction).toBeNull();
    expect(r.holdoutSigners).toEqual(['10', '9']);
    const rows = members(p, r.id);
    expect(new Set(rows.filter((m) => m.side === 'test').map((m) => m.code))).toEqual(new Set(['9', '10']));
    expect(rows.filter((m) => m.side === 'train').some((m) => m.code === '9' || m.code === '10')).toBe(false);
    expect(r.test.signers).toBe(2);
    expect(r.leaks.count).toBe(0);
    expectCountsAddUp(p, r);
    // 병원 is signed by signer 3 only: no test frames, and a warning says so.
    expect(r.warnings.some((w) => w.includes('"병원"') && w.includes('cannot be evaluated'))).toBe(true);
    p.close();
  });

  it('refuses unknown signer codes and a holdout by video', () => {
    const { p } = setup();
    expect(() => makeSplit(p, { holdoutSigners: ['99'] })).toThrow(/Unknown signer code 99/);
    expect(() => makeSplit(p, { by: 'video', holdoutSigners: ['9'] })).toThrow(KslError);
    expect(p.db.prepare('SELECT COUNT(*) FROM splits').pluck().get()).toBe(0);
    p.close();
  });
});

describe('from folders', () => {
  it('keeps the imported train/test folders and leaves unhinted frames out', () => {
    const p = initProject(path.join(tmp(), 'proj'));
    const b = new CatalogBuilder(p);
    const w = b.word('안녕하세요', 1, 'hello');
    const trainPhotos = [b.photo(w, 'train'), b.photo(w, 'Train'), b.photo(w, 'train')];
    const testPhotos = [b.photo(w, 'test')];
    const loose = b.photo(w, null);
    const r = makeSplit(p, { fromFolders: true, by: 'signer' });
    expect(r.method).toBe('folders');
    expect(r.train.frames).toBe(3);
    expect(r.test.frames).toBe(1);
    expect(r.total.frames).toBe(4);
    expect(r.train.videos).toBe(0);
    const rows = members(p, r.id);
    expect(rows.filter((m) => m.side === 'train').map((m) => m.frame_id)).toEqual(trainPhotos);
    expect(rows.filter((m) => m.side === 'test').map((m) => m.frame_id)).toEqual(testPhotos);
    expect(rows.some((m) => m.frame_id === loose)).toBe(false);
    expect(r.warnings.some((x) => /1 labelled frames did not come from a train\/ or test\/ folder/.test(x))).toBe(true);
    expect(r.warnings.some((x) => /"by signer" was ignored/.test(x))).toBe(true);
    p.close();
  });

  it('counts videos cut by the folders as leaks', () => {
    const p = initProject(path.join(tmp(), 'proj'));
    const b = new CatalogBuilder(p);
    const w = b.word('학교', 1);
    const v = b.video(w, '1', 4, { hint: 'train' });
    b.video(w, '2', 4, { hint: 'test' });
    p.db.prepare("UPDATE frames SET split_hint = 'test' WHERE id = ?").run(v.frames[0]);
    const r = makeSplit(p, { fromFolders: true });
    expect(r.leaks.kind).toBe('video');
    expect(r.leaks.count).toBe(1);
    expect(r.leaks.groups).toEqual([{ video: v.videoId, videoNumber: expect.any(Number), train: 3, test: 1 }]);
    p.close();
  });

  it('refuses when no frame came from a folder', () => {
    const { p } = setup();
    expect(() => makeSplit(p, { fromFolders: true })).toThrow(/train\/ or test\/ folder/);
    p.close();
  });
});

describe('scope', () => {
  it('takes the level\'s labelled frames plus its videos\' skipped frames as background', () => {
    const { p, words } = setup();
    const r = makeSplit(p, { by: 'signer', level: 1 });
    const rows = members(p, r.id);
    const level1 = new Set([words['안녕하세요'], words['감사합니다'], words['학교']]);
    expect(rows.every((m) => level1.has(m.word_id))).toBe(true);
    expect(r.total.frames).toBe(frameCount(p, 1));
    const skipped = p.db.prepare("SELECT COUNT(*) FROM split_members m JOIN frames f ON f.id = m.frame_id WHERE m.split_id = ? AND f.status = 'skipped'").pluck().get(r.id);
    expect(skipped).toBe(30); // one per video of the three level-1 words
    // Label-map order: ASCII labels hello < thanks, then the unlabelled Korean word.
    expect(r.perWord.map((w) => [w.word, w.label, w.level])).toEqual([
      ['안녕하세요', 'hello', 1],
      ['감사합니다', 'thanks', 1],
      ['학교', null, 1],
    ]);
    p.close();
  });

  it('refuses a level without labelled frames, and reports words without frames', () => {
    const { p, b } = setup();
    b.word('없음', 3);
    expect(() => makeSplit(p, { by: 'signer', level: 3 })).toThrow(/no frames with boxes/);
    expect(() => makeSplit(p, { by: 'signer', level: 4 })).toThrow(/no words in level 4/);
    b.word('미완성', 1);
    const r = makeSplit(p, { by: 'signer', level: 1 });
    expect(r.warnings.some((w) => w.includes('"미완성"') && /no labelled frames/.test(w))).toBe(true);
    expect(r.perWord.find((w) => w.word === '미완성')!.train.frames).toBe(0);
    p.close();
  });

  it('validates options', () => {
    const { p } = setup();
    expect(() => makeSplit(p, { by: 'signer', test: 0 })).toThrow(/between 0 and 1/);
    expect(() => makeSplit(p, { by: 'signer', test: 1 })).toThrow(/between 0 and 1/);
    expect(() => makeSplit(p, {})).toThrow(/Choose how to split/);
    expect(() => makeSplit(p, { by: 'person' as never })).toThrow(/Cannot split by/);
    p.close();
  });
});

describe('reading splits back', () => {
  it('latestSplit per level, getSplit, splitFrames and the stored report', () => {
    const { p } = setup();
    expect(latestSplit(p, 1)).toBeUndefined();
    const a = makeSplit(p, { by: 'signer', level: 1 });
    const b = makeSplit(p, { by: 'video', level: 1 });
    const all = makeSplit(p, { by: 'signer' });
    expect(latestSplit(p, 1)!.id).toBe(b.id);
    expect(latestSplit(p)!.id).toBe(all.id);
    expect(latestSplit(p, 2)).toBeUndefined();
    const stored = getSplit(p, a.id);
    expect(stored.report).toEqual(a);
    expect(stored.method).toBe('signer');
    expect(stored.seed).toBe(42);
    expect(stored.testFraction).toBe(0.33);
    expect(stored.leaks).toBe(0);
    const test = splitFrames(p, a.id, 'test');
    const train = splitFrames(p, a.id, 'train');
    expect(test.length).toBe(a.test.frames);
    expect(train.length).toBe(a.train.frames);
    expect(splitFrames(p, a.id, 'all').length).toBe(a.total.frames);
    expect(test[0]).toMatchObject({ file: expect.stringMatching(/^frames\//), width: 64, height: 48, side: 'test' });
    expect(() => splitFrames(p, 999, 'test')).toThrow(/no split 999/);
    expect(() => assertNoLeaks(a, false)).not.toThrow();
    p.close();
  });
});

describe('chooseTestGroups', () => {
  it('keeps both sides non-empty and is stable under the given order', () => {
    const groups = ['a', 'b', 'c'].map((key) => ({ key, counts: new Map([[1, 10]]) }));
    const t1 = chooseTestGroups(groups, ['a', 'b', 'c'], 0.33);
    const t2 = chooseTestGroups(groups, ['c', 'b', 'a'], 0.33);
    expect(t1.size).toBe(1);
    expect(t2.size).toBe(1);
    expect([...t1]).not.toEqual([...t2]);
    expect(chooseTestGroups(groups.slice(0, 1), ['a'], 0.5).size).toBe(0);
  });
});
