import { describe, expect, it } from 'vitest';
import { ketiStem, planCatalogue, rangeFolder } from '../../../src-main/services/sample/sample-catalogue';
import { SAMPLE_WORDS } from '../../../src-main/services/sample/sign-lexicon';

describe('KETI naming', () => {
  it('pads file numbers to 10 digits', () => {
    expect(ketiStem(1)).toBe('KETI_SL_0000000001');
    expect(ketiStem(10001)).toBe('KETI_SL_0000010001');
  });

  it('puts numbers in 3000-wide range folders', () => {
    expect(rangeFolder(1)).toBe('0001~3000');
    expect(rangeFolder(3000)).toBe('0001~3000');
    expect(rangeFolder(3001)).toBe('3001~6000');
    expect(rangeFolder(10001)).toBe('9001~12000');
    expect(rangeFolder(12001)).toBe('12001~15000');
  });
});

describe('planCatalogue', () => {
  const words = SAMPLE_WORDS.slice(0, 30);
  const { rows, videos } = planCatalogue(words, 10);

  it('has one front word video per word and signer, plus side and sentence rows without video', () => {
    expect(videos).toHaveLength(300);
    expect(rows.filter((r) => r.direction === '정면' && r.type === '단어')).toHaveLength(300);
    expect(rows.filter((r) => r.direction === '측면').length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.type === '문장').length).toBeGreaterThan(0);
    const numbers = rows.map((r) => r.번호);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('numbers 2017 from 1 and 2018 from 10001', () => {
    expect(rows.filter((r) => r.year === 2017).every((r) => r.번호 < 10000)).toBe(true);
    expect(rows.filter((r) => r.year === 2018).every((r) => r.번호 >= 10001)).toBe(true);
    expect(rows[0].번호).toBe(1);
  });

  it('never delivers a video with the extension written in 파일명', () => {
    const byNumber = new Map(rows.map((r) => [r.번호, r]));
    for (const v of videos) {
      const row = byNumber.get(v.number)!;
      expect(row.fileName.startsWith(ketiStem(v.number))).toBe(true);
      expect(v.file).toBe(`videos/${rangeFolder(v.number)}/${ketiStem(v.number)}.${v.container}`);
      expect(row.fileName.slice(row.fileName.lastIndexOf('.')).toLowerCase()).not.toBe(`.${v.container}`);
    }
    expect(new Set(videos.map((v) => v.container))).toEqual(new Set(['mp4', 'avi', 'mov', 'mkv']));
    expect(new Set(rows.map((r) => r.fileName.slice(-4)))).toEqual(new Set(['.MOV', '.MTS', '.MP4', '.mp4']));
  });
});
