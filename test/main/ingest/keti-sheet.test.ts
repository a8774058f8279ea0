import { describe, expect, it } from 'vitest';
import { checkKetiFileName, parseYear, tenDigitNumber } from '../../../src-main/services/ingest/keti-sheet';

describe('checkKetiFileName', () => {
  it('reads the number, whatever the extension', () => {
    expect(checkKetiFileName('KETI_SL_0000000419.MOV')).toEqual({ ok: true, number: 419 });
    expect(checkKetiFileName('KETI_SL_0000012345.MTS')).toEqual({ ok: true, number: 12345 });
    expect(checkKetiFileName('KETI_SL_0000001234.mp4')).toEqual({ ok: true, number: 1234 });
    expect(checkKetiFileName('0000000001')).toEqual({ ok: true, number: 1 });
  });

  it('refuses paths and names without one 10-digit number', () => {
    for (const bad of [
      '../KETI_SL_0000000001.MOV',
      '../../etc/passwd',
      '/etc/passwd',
      'C:\\x',
      'C:KETI_SL_0000000001.MOV',
      'sub/KETI_SL_0000000001.MOV',
      'sub\\KETI_SL_0000000001.MOV',
      '..',
      'KETI_SL_0000000001.MOV\u0000.txt',
      'KETI_SL_419.MOV',
      'KETI_SL_00000000001.MOV',
    ]) {
      expect(checkKetiFileName(bad).ok, bad).toBe(false);
    }
  });

  it('does not take digits from the extension', () => {
    expect(tenDigitNumber('clip.0000000001')).toBeNull();
  });
});

describe('parseYear', () => {
  it('accepts plain years', () => {
    expect(parseYear('2017')).toBe(2017);
    expect(parseYear('2018년')).toBe(2018);
    expect(parseYear('17')).toBeNull();
    expect(parseYear('2017-08')).toBeNull();
  });
});
