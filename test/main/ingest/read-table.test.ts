import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as XLSX from 'xlsx';
import { describe, expect, it } from 'vitest';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';
import { cellText, formatNumber, headerKey, readTable, textAt } from '../../../src-main/services/ingest/read-table';

const tmp = useTmpDir('ksl-table-');

function writeBook(file: string, sheets: [string, unknown[][]][]): string {
  const wb = XLSX.utils.book_new();
  for (const [name, aoa] of sheets) XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(aoa), name);
  writeFileSync(file, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }));
  return file;
}

describe('cellText', () => {
  it('writes numbers as people read them', () => {
    expect(cellText({ t: 'n', v: 119 })).toBe('119');
    expect(cellText({ t: 'n', v: 10000 })).toBe('10000');
    expect(cellText({ t: 'n', v: 1e21 })).toBe('1000000000000000000000');
    expect(cellText({ t: 'n', v: 1.5 })).toBe('1.5');
    expect(formatNumber(0.0000001)).toBe('0.0000001');
    expect(cellText(undefined)).toBe('');
    expect(cellText({ t: 's', v: '  학교 ' })).toBe('학교');
  });

  it('normalises Korean to NFC', () => {
    const nfd = '유치원 버스'.normalize('NFD');
    expect(nfd).not.toBe('유치원 버스');
    expect(cellText({ t: 's', v: nfd })).toBe('유치원 버스');
  });

  it('compares headers without case or whitespace', () => {
    expect(headerKey(' 언어 제공자\nID ')).toBe(headerKey('언어 제공자 ID'));
  });
});

describe('readTable', () => {
  const spec = {
    columns: { word: { names: ['단어', '한국어'], required: true }, type: { names: ['타입'] } },
    hint: 'Add the column.',
  };

  it('finds the header row below a title and maps columns by name', () => {
    const file = writeBook(path.join(tmp(), 'w.xlsx'), [
      ['S', [['Selected words 2021'], [], ['비고', '타입(단어/문장)', '한국어'], ['x', '단어', '학교'], [], ['', '단어', 119]]],
    ]);
    const t = readTable(file, spec);
    expect(t.sheet).toBe('S');
    expect(t.headerRow).toBe(3);
    expect(t.columns.word).toEqual({ index: 2, header: '한국어' });
    expect(t.columns.type?.header).toBe('타입(단어/문장)');
    expect(t.rows.map((r) => [r.row, textAt(t, r, 'word'), textAt(t, r, 'type')])).toEqual([
      [4, '학교', '단어'],
      [6, '119', '단어'],
    ]);
  });

  it('chooses the sheet by its header, not its position', () => {
    const file = writeBook(path.join(tmp(), 'w.xlsx'), [
      ['Notes', [['about'], ['nothing here']]],
      ['Data', [['단어'], ['학교']]],
    ]);
    expect(readTable(file, spec).sheet).toBe('Data');
  });

  it('names the missing column, the sheet and the file', () => {
    const file = writeBook(path.join(tmp(), 'list.xlsx'), [['Words', [['타입', '뜻'], ['문장', '학교']]]]);
    let err: unknown;
    try { readTable(file, spec); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(KslError);
    expect((err as KslError).code).toBe('INVALID');
    expect((err as KslError).message).toBe('list.xlsx: sheet "Words": no column "단어" (found: 타입, 뜻). Add the column.');
  });

  it('lists only sheet names when no sheet has a matching header', () => {
    const file = writeBook(path.join(tmp(), 'list.xlsx'), [['ID', [['번호', '성명'], [1, '홍길동']]], ['Other', [['성명'], ['김철수']]]]);
    expect(() => readTable(file, spec)).toThrow(/list\.xlsx: no sheet has a header row with the column "단어".*sheets: "ID", "Other"/);
    try { readTable(file, spec); } catch (e) { expect((e as Error).message).not.toMatch(/홍길동|김철수|성명/); }
    const one = writeBook(path.join(tmp(), 'one.xlsx'), [['ID', [['번호', '성명'], [1, '홍길동']]]]);
    expect(() => readTable(one, spec)).toThrow('one.xlsx: sheet "ID": no column "단어" in the first 10 rows. Add the column.');
  });

  it('keeps CSV values as text and reads CP949 CSV', () => {
    const dir = tmp();
    const utf8 = path.join(dir, 'a.csv');
    writeFileSync(utf8, '\uFEFF단어,번호\n학교,0000000419\n');
    const t = readTable(utf8, { columns: { word: { names: ['단어'], required: true }, n: { names: ['번호'] } } });
    expect(t.text).toBe(true);
    expect(textAt(t, t.rows[0]!, 'n')).toBe('0000000419');
    // "단어,학교" in CP949 (EUC-KR), as Korean Excel saves CSV.
    const cp949 = path.join(dir, 'b.csv');
    writeFileSync(cp949, Buffer.from([0xb4, 0xdc, 0xbe, 0xee, 0x0a, 0xc7, 0xd0, 0xb1, 0xb3, 0x0a]));
    const t2 = readTable(cp949, { columns: { word: { names: ['단어'], required: true } } });
    expect(textAt(t2, t2.rows[0]!, 'word')).toBe('학교');
  });

  it('reports a missing file as NOT_FOUND', () => {
    expect(() => readTable(path.join(tmp(), 'nope.xlsx'), spec)).toThrow(/no such file/);
  });
});
