import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexVideos, isVideoFile } from '../../../src-main/services/ingest/video-index';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir('ksl-videos-');

function touch(root: string, rel: string): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, 'x');
  return p;
}

describe('indexVideos', () => {
  it('indexes by 10-digit number, any video extension, anywhere below the root', () => {
    const root = tmp();
    touch(root, '0001~3000/KETI_SL_0000000001.avi');
    touch(root, '0001~3000/KETI_SL_0000001234.MP4');
    touch(root, '수어 영상 3001~/깊은 폴더/0000012345.mOv');
    touch(root, '0001~3000/KETI_SL_0000000002.MTS');
    touch(root, 'KETI_SL_0000000003.m2ts');
    touch(root, 'notes/KETI_SL_0000000004.txt'); // not a video
    touch(root, '0001~3000/._KETI_SL_0000000005.MOV'); // macOS AppleDouble: hidden
    touch(root, 'clip.mp4'); // a video without a number
    const idx = indexVideos(root);
    expect([...idx.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 1234, 12345]);
    expect(idx.get(12345)).toBe(path.join(idx.root, '수어 영상 3001~/깊은 폴더/0000012345.mOv'));
    expect(idx.get(1234)).toMatch(/0000001234\.MP4$/);
    expect(idx.unnumbered).toEqual([path.join(idx.root, 'clip.mp4')]);
    expect(idx.files).toBe(6);
    expect(idx.duplicates).toEqual([]);
    expect(idx.unmatched(new Set([1, 2, 3, 12345]))).toEqual([path.join(idx.root, '0001~3000/KETI_SL_0000001234.MP4'), path.join(idx.root, 'clip.mp4')]);
  });

  it('keeps the first of two files with one number, by sorted path', () => {
    const root = tmp();
    touch(root, 'b/KETI_SL_0000000007.avi');
    touch(root, 'a/0000000007.mp4');
    const idx = indexVideos(root);
    expect(idx.get(7)).toBe(path.join(idx.root, 'a/0000000007.mp4'));
    expect(idx.duplicates).toEqual([{ number: 7, kept: path.join(idx.root, 'a/0000000007.mp4'), ignored: path.join(idx.root, 'b/KETI_SL_0000000007.avi') }]);
  });

  it('ignores numbers that are not exactly ten digits', () => {
    const root = tmp();
    touch(root, 'KETI_SL_00000000123.mp4'); // eleven digits
    touch(root, 'KETI_SL_000000012.mp4'); // nine
    touch(root, '0000000001_0000000002.mp4'); // two numbers: ambiguous
    const idx = indexVideos(root);
    expect(idx.size).toBe(0);
    expect(idx.unnumbered).toHaveLength(3);
  });

  it('survives a symlink loop and finds NFD-named folders', () => {
    const root = tmp();
    const nfdDir = '한글 폴더'.normalize('NFD');
    const f = touch(root, `${nfdDir}/KETI_SL_0000000009.MOV`);
    symlinkSync(root, path.join(root, 'loop'));
    const idx = indexVideos(root);
    expect(idx.size).toBe(1);
    // Stored NFC where this file system opens that spelling, else by its real bytes: it must open.
    expect(existsSync(idx.get(9)!)).toBe(true);
    expect(existsSync(f)).toBe(true);
  });

  it('refuses a missing folder', () => {
    expect(() => indexVideos(path.join(os.tmpdir(), 'no-such-ksl-folder-xyz'))).toThrow(/does not exist/);
  });

  it('knows video extensions case-insensitively', () => {
    for (const n of ['a.MP4', 'a.avi', 'a.Mov', 'a.MTS', 'a.m2ts', 'a.mkv', 'a.m4v', 'a.webm', 'a.WMV', 'a.mpg', 'a.mpeg']) expect(isVideoFile(n)).toBe(true);
    for (const n of ['a.txt', 'a.jpg', 'a', 'mp4']) expect(isVideoFile(n)).toBe(false);
  });
});
