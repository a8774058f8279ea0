/**
 * The KETI annotation sheet: which columns it has (by header name — the 2018 release shifts them),
 * and how one row's 파일명 yields the 10-digit KETI number that identifies its video.
 *
 * The file name is only ever used for its number: the camera's extension in it (MTS, MOV, MP4) is
 * not the delivered one (often .avi/.mp4), and it is never joined into a path. Names that look like
 * paths are refused outright, so a crafted sheet cannot point the app at /etc/passwd or ../../x.
 * A person is identified only by the 언어 제공자 ID column — never by a slice of the file name.
 */
import type { TableSpec } from './read-table';

export type KetiColumn = 'number' | 'signer' | 'year' | 'direction' | 'type' | 'fileName' | 'word';

/**
 * The annotation sheet's columns. 방향/타입 become required only when the import filters on them:
 * a sheet without them is still importable as a whole.
 */
export function ketiSheetSpec(filters: { direction?: boolean; type?: boolean } = {}): TableSpec<KetiColumn> {
  return {
    columns: {
      number: { names: ['번호'] },
      signer: { names: ['언어 제공자 ID', '제공자 ID'], required: true },
      year: { names: ['취득연도', '연도'] },
      direction: { names: ['방향'], required: !!filters.direction },
      type: { names: ['타입(단어/문장)', '타입'], required: !!filters.type },
      fileName: { names: ['파일명'], required: true },
      word: { names: ['한국어'], required: true },
    },
    hint:
      'Choose the KETI annotation workbook (its annotation sheet has the columns 파일명, 한국어 and 언어 제공자 ID in a header row near the top)' +
      (filters.direction || filters.type ? ', or drop the --direction/--type filter whose column the sheet lacks.' : '.'),
  };
}

export type FileNameCheck = { ok: true; number: number } | { ok: false; reason: string };

// Exactly ten digits, not part of a longer digit run: 0000012345 must never be read as 0000001234.
const TEN_DIGITS = /(?<!\d)\d{10}(?!\d)/g;

/** The 10-digit number in a bare file name (extension ignored), or null when there is not exactly one. */
export function tenDigitNumber(fileName: string): number | null {
  const dot = fileName.lastIndexOf('.');
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  const found = stem.match(TEN_DIGITS);
  if (!found || found.length !== 1) return null;
  return Number(found[0]);
}

/**
 * Checks a 파일명 cell. Anything with a path separator, a drive letter, a `..`, a NUL or another
 * control character is refused: a sheet names files, not places.
 */
export function checkKetiFileName(name: string): FileNameCheck {
  if (name === '') return { ok: false, reason: 'is empty' };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, reason: 'contains a control character' };
  if (name.includes('/') || name.includes('\\')) return { ok: false, reason: 'is a path, not a file name' };
  if (/^[A-Za-z]:/.test(name)) return { ok: false, reason: 'starts with a drive letter' };
  if (name === '.' || name === '..' || name.startsWith('..')) return { ok: false, reason: 'is not a file name' };
  const number = tenDigitNumber(name);
  if (number === null) return { ok: false, reason: 'holds no single 10-digit KETI number (expected e.g. KETI_SL_0000000419.MOV)' };
  return { ok: true, number };
}

/** 취득연도 as a year: 2017, "2017", "2017년" → 2017; anything else → null. */
export function parseYear(text: string): number | null {
  const m = /^(\d{4})(?:\.0+)?(?:\s*년)?$/u.exec(text);
  return m ? Number(m[1]) : null;
}

/** KETI numbers are written with ten digits everywhere people see them. */
export const ketiNumberText = (n: number): string => String(n).padStart(10, '0');
