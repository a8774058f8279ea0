/**
 * Plans the rows of the synthetic KETI annotation sheet and which of them get a video.
 *
 * Mirrors the real KETI delivery on purpose, because the importer must cope with it:
 *  - 번호 runs per acquisition year: 2017 from 1, 2018 from 10001 (10-digit file numbers matter);
 *  - 파일명 carries the camera's ORIGINAL extension (.MOV/.MTS/.MP4/.mp4), which is NOT the
 *    extension of the delivered file (.mp4/.avi/.mov/.mkv) — match on the stem, never the suffix;
 *  - delivered videos sit in range folders of 3000 numbers (videos/0001~3000/, 9001~12000/, ...);
 *  - side-view (측면) and sentence (문장) rows exist in the sheet but have no delivered video.
 */
import type { SampleWord } from './sign-lexicon';
import { SAMPLE_SENTENCES, wordCellValue } from './sign-lexicon';

export type DeliveredContainer = 'mp4' | 'avi' | 'mov' | 'mkv';

export const DELIVERED_CONTAINERS: readonly DeliveredContainer[] = ['mp4', 'avi', 'mov', 'mkv'];

/** What the camera wrote; appears only in 파일명. */
export const ORIGINAL_EXTENSIONS = ['.MOV', '.MTS', '.MP4', '.mp4'] as const;

export interface SheetRow {
  번호: number;
  signer: number;
  year: 2017 | 2018;
  direction: '정면' | '측면';
  type: '단어' | '문장';
  /** KETI_SL_<10 digits><original extension>. */
  fileName: string;
  /** Numeric for numerals (KETI quirk). */
  korean: string | number;
  /** Stray unlabelled cells in columns H and I on a few rows, as in the real sheet. */
  strayH?: string;
  strayI?: number;
}

export interface PlannedVideo {
  number: number;
  signer: number;
  word: SampleWord;
  container: DeliveredContainer;
  /** Relative to the sample folder, forward slashes. */
  file: string;
}

export interface SampleCatalogue {
  rows: SheetRow[];
  videos: PlannedVideo[];
}

export const FIRST_NUMBER_2018 = 10001;
const RANGE_SIZE = 3000;

export function ketiStem(n: number): string {
  return `KETI_SL_${String(n).padStart(10, '0')}`;
}

/** KETI-style range folder for a video number: 1 → "0001~3000", 10001 → "9001~12000". */
export function rangeFolder(n: number): string {
  const lo = Math.floor((n - 1) / RANGE_SIZE) * RANGE_SIZE + 1;
  return `${String(lo).padStart(4, '0')}~${lo + RANGE_SIZE - 1}`;
}

/** Number of side-view rows (without video) per signer. */
const SIDE_ROWS_PER_SIGNER = 2;

export function planCatalogue(words: readonly SampleWord[], signers: number): SampleCatalogue {
  const rows: SheetRow[] = [];
  const videos: PlannedVideo[] = [];
  const firstOf2018 = Math.ceil(signers / 2) + 1;
  let next2017 = 1;
  let next2018 = FIRST_NUMBER_2018;
  for (let signer = 1; signer <= signers; signer++) {
    const year: 2017 | 2018 = signer < firstOf2018 ? 2017 : 2018;
    const take = () => (year === 2017 ? next2017++ : next2018++);
    // One camera per signer session, so one original extension per signer.
    const originalExt = ORIGINAL_EXTENSIONS[(signer - 1) % ORIGINAL_EXTENSIONS.length];
    words.forEach((word, w) => {
      const number = take();
      rows.push({ 번호: number, signer, year, direction: '정면', type: '단어', fileName: ketiStem(number) + originalExt, korean: wordCellValue(word) });
      // Delivered container cycles, skipping the original's (case-insensitively) so they always differ.
      let c = videos.length % DELIVERED_CONTAINERS.length;
      if ('.' + DELIVERED_CONTAINERS[c] === originalExt.toLowerCase()) c = (c + 1) % DELIVERED_CONTAINERS.length;
      const container = DELIVERED_CONTAINERS[c];
      videos.push({ number, signer, word, container, file: `videos/${rangeFolder(number)}/${ketiStem(number)}.${container}` });
      if (w < SIDE_ROWS_PER_SIGNER) {
        const side = take();
        rows.push({ 번호: side, signer, year, direction: '측면', type: '단어', fileName: ketiStem(side) + originalExt, korean: wordCellValue(word) });
      }
    });
    if (signer % 2 === 1) {
      const number = take();
      const sentence = SAMPLE_SENTENCES[((signer - 1) / 2) % SAMPLE_SENTENCES.length];
      rows.push({ 번호: number, signer, year, direction: '정면', type: '문장', fileName: ketiStem(number) + originalExt, korean: sentence });
    }
  }
  rows.forEach((row, i) => {
    if (i % 7 === 2) row.strayH = '재촬영 확인';
    if (i % 11 === 4) row.strayI = 0;
  });
  return { rows, videos };
}
