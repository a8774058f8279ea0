/**
 * Writes the three spreadsheets of a synthetic sample in the shapes of the real KETI files:
 * KETI-annotations.xlsx, selected_words.xlsx and labels.xlsx. Importers read them by header name,
 * so headers are exact (Korean, NFC) and numerals are numeric cells.
 */
import { writeFileSync } from 'node:fs';
import * as XLSX from 'xlsx';
import type { SheetRow } from './sample-catalogue';
import { wordCellValue, type SampleWord } from './sign-lexicon';

export const ANNOTATION_SHEET_NAME = 'KETI-2017-수어데이터-Annotation-v2-0'.normalize('NFC');

export const ANNOTATION_HEADERS = ['번호', '언어 제공자 ID', '취득연도', '방향', '타입(단어/문장)', '파일명', '한국어'].map((h) =>
  h.normalize('NFC'),
);

export const SELECTED_WORDS_HEADER = '단어'.normalize('NFC');
export const LABEL_HEADERS = ['한국어', 'index', '레벨'].map((h) => h.normalize('NFC'));

function writeWorkbook(file: string, sheetName: string, rows: unknown[][]): void {
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), sheetName);
  const buffer = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
  writeFileSync(file, buffer);
}

export function writeAnnotationWorkbook(file: string, rows: readonly SheetRow[]): void {
  const aoa: unknown[][] = [ANNOTATION_HEADERS];
  for (const r of rows) {
    // Stray cells in H/I have no header, like in the real sheet; null leaves a cell empty.
    const line: unknown[] = [r.번호, r.signer, r.year, r.direction, r.type, r.fileName, r.korean];
    if (r.strayH !== undefined || r.strayI !== undefined) line.push(r.strayH ?? null, r.strayI ?? null);
    aoa.push(line);
  }
  writeWorkbook(file, ANNOTATION_SHEET_NAME, aoa);
}

export function writeSelectedWordsWorkbook(file: string, words: readonly SampleWord[]): void {
  writeWorkbook(file, 'Sheet1', [[SELECTED_WORDS_HEADER], ...words.map((w) => [wordCellValue(w)])]);
}

export function writeLabelsWorkbook(file: string, words: readonly SampleWord[]): void {
  writeWorkbook(file, 'Sheet1', [LABEL_HEADERS, ...words.map((w) => [wordCellValue(w), w.label, w.level])]);
}
