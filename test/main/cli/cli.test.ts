import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ksl } from '../../helpers/cli';
import { useTmpDir } from '../../helpers/tmp';
import { makeClip } from '../../helpers/video';

describe('the ksl command', () => {
  const tmp = useTmpDir();

  it('--help lists the commands', () => {
    const r = ksl(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init', 'info', 'import', 'extract', 'jobs', 'check', 'serve']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  it('init then info prints the schema version and zero counts; levels appear once words exist', () => {
    const dir = path.join(tmp(), 'P');
    const init = ksl(['init', dir, '--json']);
    expect(init.code).toBe(0);
    expect(init.json()).toMatchObject({ schemaVersion: 3 });
    const info = ksl(['info', dir, '--json']);
    expect(info.code).toBe(0);
    const doc = info.json();
    expect(doc.schemaVersion).toBe(3);
    expect(doc.counts).toEqual({ words: 0, signers: 0, videos: 0, frames: 0, boxes: 0, labelledFrames: 0 });
    expect(doc.levels).toBeUndefined();
    // one JSON document on stdout, nothing else
    expect(() => JSON.parse(info.stdout)).not.toThrow();
  });

  it('a second init fails with a one-line reason and changes nothing', () => {
    const dir = path.join(tmp(), 'P');
    expect(ksl(['init', dir]).code).toBe(0);
    const before = readFileSync(path.join(dir, 'catalog.sqlite'));
    const listing = readdirSync(dir).sort();
    const again = ksl(['init', dir, '--json']);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/^ksl: .*already holds a KSL Studio project/);
    expect(again.json()).toMatchObject({ ok: false, error: { code: 'EXISTS' } });
    expect(readFileSync(path.join(dir, 'catalog.sqlite')).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(listing);
  });

  it('bad arguments and missing projects exit non-zero with one line', () => {
    const dir = tmp();
    const r = ksl(['info', path.join(dir, 'nothing-here'), '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a KSL Studio project/);
    const bad = ksl(['extract', dir, '--fps', 'fast']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fps must be a positive number/);
    const both = ksl(['extract', dir, '--fps', '5', '--all']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('ksl: Give one of --fps, --every or --all.');
  });

  it('import videos reads Hangul names with commas and spaces, then extract --json reports counts', () => {
    const dir = path.join(tmp(), 'P');
    ksl(['init', dir]);
    const clips = path.join(tmp(), '내 영상');
    mkdirSync(path.join(clips, '병원'), { recursive: true });
    makeClip(path.join(clips, '병원', '촬영 1, 정면.mp4'), { seconds: 1 });
    makeClip(path.join(clips, '안녕하세요, 반가워요_02.mov'), { seconds: 1 });
    const byName = ksl(['import', 'videos', dir, clips, '--json']);
    expect(byName.code).toBe(0);
    expect(byName.json()).toMatchObject({ videos: 2, words: 2 });
    const info = ksl(['info', dir, '--json']).json();
    expect(info.words.map((w: { text: string }) => w.text).sort()).toEqual(['안녕하세요, 반가워요', '촬영 1, 정면'].sort());
    const ex = ksl(['extract', dir, '--fps', '2', '--json', '--quiet']);
    expect(ex.code).toBe(0);
    expect(ex.json()).toMatchObject({ videos: { done: 2, failed: 0 }, frames: 4 });
  });
});
