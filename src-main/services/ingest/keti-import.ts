/**
 * `ksl import keti`: the KETI annotation sheet (+ the researchers' word list and level table, + the
 * delivered video folder) into the catalog.
 *
 * Two phases. PLAN reads everything, applies the filters, checks every row and resolves videos,
 * touching the catalog only to read it; WRITE then applies the plan in ONE transaction with
 * upserts (words by text, signers by code, videos by KETI number), so an import is all-or-nothing
 * and re-running it changes nothing. A dry run is the plan alone.
 *
 * Problems with single rows (an empty cell, a file name that is a path, a signer listed twice) are
 * reported and, where the row cannot be trusted, the row is skipped; only a sheet that cannot be
 * read as a KETI sheet at all fails the import.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { nfc } from '../../../src-shared/paths';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { toCatalogPath } from '../fs/project-paths';
import { checkKetiFileName, ketiNumberText, ketiSheetSpec, parseYear } from './keti-sheet';
import { readTable, tablePlace, textAt, type Table } from './read-table';
import { indexVideos, type VideoIndex } from './video-index';

export interface KetiImportOptions {
  /** The KETI annotation workbook (xlsx/csv). */
  annotations: string;
  /** The researchers' word list (column 단어): only these words are imported. */
  words?: string;
  /** The level table (단어 or 한국어, index = label name, 레벨 = 1–4). */
  labels?: string;
  /** Keep only rows whose 방향 is this (e.g. '정면'); default: every direction. */
  direction?: string;
  /** Keep only rows whose 타입 is this (e.g. '단어'); default: every type. */
  type?: string;
  /** Folder holding the delivered videos (searched recursively, matched by number). */
  videos?: string;
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, msg: string) => void;
}

export type { KetiImportResult, KetiProblem, KetiProblemKind } from '../../../src-shared/import-types';
import type { KetiImportResult, KetiProblem, KetiProblemKind } from '../../../src-shared/import-types';

/** At most this many problems of one kind are listed; the rest are only counted. */
export const PROBLEM_CAP = 200;

class Problems {
  readonly list: KetiProblem[] = [];
  readonly counts: Record<string, number> = {};
  readonly truncated: Record<string, number> = {};
  add(p: KetiProblem): void {
    const n = (this.counts[p.kind] = (this.counts[p.kind] ?? 0) + 1);
    if (n <= PROBLEM_CAP) this.list.push(p);
    else this.truncated[p.kind] = n - PROBLEM_CAP;
  }
}

interface PlannedVideo {
  number: number;
  word: string;
  signer: string;
  row: number;
  sourceName: string;
  direction: string | null;
  year: number | null;
  /** Catalog path to set, or null to leave the stored one (or none) alone. */
  path: string | null;
}

interface LabelEntry {
  label: string | null;
  level: number | null;
}

const LABEL_RANGE = { min: 1, max: 4 };

/** Lets a pending abort or progress event through between synchronous phases. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function readWordList(file: string): { words: Set<string>; table: Table<'word'> } {
  const table = readTable(file, {
    columns: { word: { names: ['단어'], required: true } },
    hint: 'The word list needs a column 단어 with one Korean word per row.',
  });
  const words = new Set<string>();
  for (const r of table.rows) {
    const w = textAt(table, r, 'word');
    if (w) words.add(w);
  }
  if (words.size === 0) {
    throw new KslError('INVALID', `${tablePlace(table)}: the column "${table.columns.word!.header}" lists no words, so nothing would be imported. Fill it in, or leave out --words to import every word.`, { file, sheet: table.sheet });
  }
  return { words, table };
}

function readLabels(file: string, problems: Problems): { entries: Map<string, LabelEntry & { row: number }>; table: Table<'word' | 'label' | 'level'> } {
  const table = readTable(file, {
    columns: {
      word: { names: ['단어', '한국어'], required: true },
      label: { names: ['index'], required: true },
      level: { names: ['레벨', 'level'], required: true },
    },
    hint: 'The level table needs the columns 단어 (or 한국어), index (the label name) and 레벨 (1–4).',
  });
  const sheet = table.text ? undefined : table.sheet;
  const out = new Map<string, LabelEntry & { row: number }>();
  const labelOwner = new Map<string, { word: string; row: number }>();
  for (const r of table.rows) {
    const word = textAt(table, r, 'word');
    if (!word) {
      problems.add({ kind: 'missing-cell', file, sheet, row: r.row, column: table.columns.word!.header, message: `${tablePlace(table)} row ${r.row}: no word; the row is ignored.` });
      continue;
    }
    const first = out.get(word);
    if (first) {
      problems.add({ kind: 'duplicate-label', file, sheet, row: r.row, otherRow: first.row, column: table.columns.word!.header, message: `${tablePlace(table)}: "${word}" is listed on rows ${first.row} and ${r.row}; row ${first.row} is used.` });
      continue;
    }
    let label: string | null = textAt(table, r, 'label') || null;
    if (label === null) {
      problems.add({ kind: 'missing-cell', file, sheet, row: r.row, column: table.columns.label!.header, message: `${tablePlace(table)} row ${r.row}: "${word}" has no label name (${table.columns.label!.header}).` });
    } else {
      const owner = labelOwner.get(label);
      if (owner) {
        problems.add({ kind: 'duplicate-label', file, sheet, row: r.row, otherRow: owner.row, column: table.columns.label!.header, message: `${tablePlace(table)}: the label "${label}" is given to "${owner.word}" (row ${owner.row}) and "${word}" (row ${r.row}); a label names one word, so "${word}" gets none.` });
        label = null;
      } else {
        labelOwner.set(label, { word, row: r.row });
      }
    }
    const levelText = textAt(table, r, 'level');
    let level: number | null = null;
    if (levelText === '') {
      problems.add({ kind: 'missing-cell', file, sheet, row: r.row, column: table.columns.level!.header, message: `${tablePlace(table)} row ${r.row}: "${word}" has no level (${table.columns.level!.header}).` });
    } else if (/^\d+$/.test(levelText) && Number(levelText) >= LABEL_RANGE.min && Number(levelText) <= LABEL_RANGE.max) {
      level = Number(levelText);
    } else {
      problems.add({ kind: 'level-out-of-range', file, sheet, row: r.row, column: table.columns.level!.header, message: `${tablePlace(table)} row ${r.row}: "${word}" has level ${JSON.stringify(levelText)}; levels are whole numbers ${LABEL_RANGE.min}–${LABEL_RANGE.max}. Its level is left unset.` });
    }
    out.set(word, { label, level, row: r.row });
  }
  return { entries: out, table };
}

export async function importKeti(project: Project, opts: KetiImportOptions): Promise<KetiImportResult> {
  const { signal, onProgress } = opts;
  const problems = new Problems();
  // An empty filter (a blank form field, `--direction ""`) means no filter.
  const dirFilter = nfc(opts.direction ?? '').trim() || undefined;
  const typeFilter = nfc(opts.type ?? '').trim() || undefined;
  signal?.throwIfAborted();
  onProgress?.(0, 0, `Reading ${path.basename(opts.annotations)}`);

  // --- read -----------------------------------------------------------------------------------
  const table = readTable(opts.annotations, ketiSheetSpec({ direction: dirFilter !== undefined, type: typeFilter !== undefined }));
  const sheet = table.text ? undefined : table.sheet;
  const place = tablePlace(table);
  const file = opts.annotations;
  const header = (k: keyof typeof table.columns) => table.columns[k]?.header;
  const wordList = opts.words ? readWordList(opts.words) : undefined;
  const labels = opts.labels ? readLabels(opts.labels, problems) : undefined;
  const total = table.rows.length;
  onProgress?.(0, total, `Read ${total} rows from ${place}`);
  await tick();
  signal?.throwIfAborted();

  let index: VideoIndex | undefined;
  let projectDir = project.dir;
  if (opts.videos) {
    onProgress?.(0, total, `Indexing videos under ${opts.videos}`);
    index = indexVideos(opts.videos, { signal, onProgress: (n) => onProgress?.(0, total, `Indexing videos: ${n} found`) });
    try {
      projectDir = realpathSync(project.dir);
    } catch { /* keep as given */ }
    await tick();
    signal?.throwIfAborted();
  }

  // --- plan -----------------------------------------------------------------------------------
  const db = project.db;
  const stored = new Map<number, { path: string | null; status: string }>();
  for (const v of db.prepare('SELECT number, path, status FROM videos WHERE number IS NOT NULL').all() as { number: number; path: string | null; status: string }[]) {
    stored.set(v.number, { path: v.path, status: v.status });
  }
  const pathHolder = new Map<string, number | null>();
  for (const v of db.prepare('SELECT number, path FROM videos WHERE path IS NOT NULL').all() as { number: number | null; path: string }[]) {
    pathHolder.set(v.path, v.number);
  }

  const sheetNumbers = new Set<number>(); // every number in the sheet, filtered or not
  const seenWords = new Set<string>(); // words on rows that passed the direction/type filters
  const firstRowOfNumber = new Map<number, number>();
  const firstRowOfItem = new Map<string, number>();
  const planned: PlannedVideo[] = [];
  let matched = 0;
  let missing = 0;
  const noVideo: string[] = [];

  const missingCell = (row: number, col: string | undefined, what: string) =>
    problems.add({ kind: 'missing-cell', file, sheet, row, column: col, message: `${place} row ${row}: ${what} is empty (column "${col}"); the row is skipped.` });

  for (let i = 0; i < table.rows.length; i++) {
    const r = table.rows[i]!;
    if (i % 1000 === 999) {
      signal?.throwIfAborted();
      onProgress?.(i + 1, total, 'Checking rows');
    }
    const rawName = textAt(table, r, 'fileName');
    const check = checkKetiFileName(rawName);
    if (check.ok) sheetNumbers.add(check.number);

    // Filters first: problems in rows the user did not ask for are not theirs to fix.
    const direction = textAt(table, r, 'direction');
    const type = textAt(table, r, 'type');
    if (typeFilter !== undefined) {
      if (type === '') { missingCell(r.row, header('type'), 'the type'); continue; }
      if (type !== typeFilter) continue;
    }
    if (dirFilter !== undefined) {
      if (direction === '') { missingCell(r.row, header('direction'), 'the direction'); continue; }
      if (direction !== dirFilter) continue;
    }
    const word = textAt(table, r, 'word');
    if (word) seenWords.add(word);
    if (wordList && word && !wordList.words.has(word)) continue;

    if (!word) { missingCell(r.row, header('word'), 'the word'); continue; }
    const signer = textAt(table, r, 'signer');
    if (!signer) { missingCell(r.row, header('signer'), 'the signer ID'); continue; }
    if (rawName === '') { missingCell(r.row, header('fileName'), 'the file name'); continue; }
    if (!check.ok) {
      problems.add({ kind: 'bad-filename', file, sheet, row: r.row, column: header('fileName'), message: `${place} row ${r.row}: the file name ${JSON.stringify(rawName)} ${check.reason}; the row is skipped.` });
      continue;
    }
    const number = check.number;
    const firstRow = firstRowOfNumber.get(number);
    if (firstRow !== undefined) {
      problems.add({ kind: 'duplicate-number', file, sheet, row: r.row, otherRow: firstRow, column: header('fileName'), message: `${place}: rows ${firstRow} and ${r.row} both name video ${ketiNumberText(number)}; row ${firstRow} is kept, row ${r.row} skipped.` });
      continue;
    }
    firstRowOfNumber.set(number, r.row);

    // The same person signing the same word from the same side twice is a sheet error worth a
    // look (a mistyped ID), but both rows are real, distinct videos, so both are kept.
    const item = `${word}\u0000${direction}\u0000${signer}`;
    const firstItemRow = firstRowOfItem.get(item);
    if (firstItemRow !== undefined) {
      problems.add({ kind: 'duplicate-signer', file, sheet, row: r.row, otherRow: firstItemRow, column: header('signer'), message: `${place}: signer ${signer} is listed twice for "${word}"${direction ? ` (${direction})` : ''}, on rows ${firstItemRow} and ${r.row}. Check the 언어 제공자 ID of one of them.` });
    } else {
      firstRowOfItem.set(item, r.row);
    }

    const yearText = textAt(table, r, 'year');
    const year = yearText ? parseYear(yearText) : null;
    if (yearText && year === null) {
      problems.add({ kind: 'bad-cell', file, sheet, row: r.row, column: header('year'), message: `${place} row ${r.row}: ${JSON.stringify(yearText)} is not a year; the year is left empty.` });
    }

    // Resolve the video: a file found now wins; else whatever an earlier import linked stays.
    let newPath: string | null = null;
    const found = index?.get(number);
    if (found !== undefined) {
      const catalogPath = toCatalogPath(projectDir, found);
      const holder = pathHolder.get(catalogPath);
      if (holder !== undefined && holder !== number) {
        problems.add({ kind: 'path-in-use', file: found, sheet, row: r.row, message: `${found} is already in the catalog as another video${holder === null ? '' : ` (${ketiNumberText(holder)})`}; row ${r.row} is not linked to it.` });
      } else {
        newPath = catalogPath;
      }
    }
    const prev = stored.get(number);
    if (newPath !== null || (prev?.path && prev.status !== 'missing')) matched++;
    else {
      missing++;
      noVideo.push(rawName);
    }
    planned.push({ number, word, signer, row: r.row, sourceName: rawName, direction: direction || null, year, path: newPath });
  }

  if (wordList) {
    const filt = [typeFilter !== undefined && `${header('type')} = ${typeFilter}`, dirFilter !== undefined && `${header('direction')} = ${dirFilter}`].filter(Boolean).join(', ');
    for (const r of wordList.table.rows) {
      const w = textAt(wordList.table, r, 'word');
      if (!w || seenWords.has(w)) continue;
      seenWords.add(w); // report a word listed twice only once
      problems.add({
        kind: 'word-not-in-sheet', file: opts.words, sheet: wordList.table.text ? undefined : wordList.table.sheet, row: r.row, column: wordList.table.columns.word!.header,
        message: `${tablePlace(wordList.table)} row ${r.row}: "${w}" is not in ${place}${filt ? ` among rows with ${filt}` : ''}; check its spelling (spaces count).`,
      });
    }
  }

  const importedWords = new Set(planned.map((p) => p.word));
  if (labels) {
    for (const [word, e] of labels.entries) {
      if (importedWords.has(word)) continue;
      problems.add({
        kind: 'unknown-word-in-labels', file: opts.labels, sheet: labels.table.text ? undefined : labels.table.sheet, row: e.row, column: labels.table.columns.word!.header,
        message: `${tablePlace(labels.table)} row ${e.row}: "${word}" is not among the imported words; its label and level are not used.`,
      });
    }
  }

  if (index) {
    for (const d of index.duplicates) {
      problems.add({ kind: 'duplicate-video', file: d.ignored, message: `${d.ignored} and ${d.kept} both carry number ${ketiNumberText(d.number)}; ${d.kept} is used.` });
    }
    for (const dir of index.unreadable) {
      problems.add({ kind: 'unreadable-folder', file: dir, message: `${dir} could not be read; videos in it were not found. Check its permissions.` });
    }
    // A file is unmatched when NO row of the sheet names its number — files of rows left out by a
    // filter are expected in a full delivery and not worth a warning.
    for (const f of index.unmatched(sheetNumbers)) {
      problems.add({ kind: 'unmatched-file', file: f, message: `${f} matches no row of ${place} (by its 10-digit number).` });
    }
    if (noVideo.length) {
      // One summary, not one problem per row: a partial delivery would otherwise bury the rest.
      const sample = noVideo.slice(0, 5).join(', ');
      problems.add({ kind: 'no-video', file: index.root, message: `${noVideo.length} of ${planned.length} imported rows have no video under ${index.root} (e.g. ${sample}${noVideo.length > 5 ? ', …' : ''}); they are imported as missing and can be linked by a later import with --videos.` });
    }
  }

  const result: KetiImportResult = {
    rows: total,
    imported: planned.length,
    words: importedWords.size,
    signers: new Set(planned.map((p) => p.signer)).size,
    videos: { matched, missing },
    problems: problems.list,
    problemCounts: problems.counts,
    truncated: problems.truncated,
    sheet: table.sheet,
    headerRow: table.headerRow,
    dryRun: !!opts.dryRun,
  };
  await tick();
  signal?.throwIfAborted();
  if (opts.dryRun) {
    onProgress?.(total, total, `Dry run: ${planned.length} rows would be imported`);
    return result;
  }

  // --- write ----------------------------------------------------------------------------------
  // RETURNING on an upsert gives the id whether the row was inserted or already there.
  const upsertWord = db.prepare('INSERT INTO words(text) VALUES (?) ON CONFLICT(text) DO UPDATE SET text = excluded.text RETURNING id').pluck();
  const upsertSigner = db.prepare('INSERT INTO signers(code) VALUES (?) ON CONFLICT(code) DO UPDATE SET code = excluded.code RETURNING id').pluck();
  // The newest level table wins: a label moved to another word is taken from its old holder first
  // (labels are UNIQUE).
  const releaseLabel = db.prepare('UPDATE words SET label = NULL WHERE label = ? AND id <> ?');
  const setLabel = db.prepare('UPDATE words SET label = ? WHERE id = ?');
  const setLevel = db.prepare('UPDATE words SET level = ? WHERE id = ?');
  // A found file links a 'missing' video; videos already extracted (or failed) keep their status,
  // and a stored path is never dropped just because this run's folder lacks the file. The WHERE
  // skips rows that would not change, so a re-import rewrites nothing.
  const upsertVideo = db.prepare(`
    INSERT INTO videos(number, word_id, signer_id, source_sheet, source_row, source_name, direction, year, path, status)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(number) DO UPDATE SET
      word_id = excluded.word_id, signer_id = excluded.signer_id,
      source_sheet = excluded.source_sheet, source_row = excluded.source_row, source_name = excluded.source_name,
      direction = excluded.direction, year = excluded.year,
      path = COALESCE(excluded.path, videos.path),
      status = CASE WHEN excluded.path IS NOT NULL AND videos.status = 'missing' THEN 'linked' ELSE videos.status END
    WHERE videos.word_id IS NOT excluded.word_id OR videos.signer_id IS NOT excluded.signer_id
       OR videos.source_sheet IS NOT excluded.source_sheet OR videos.source_row IS NOT excluded.source_row
       OR videos.source_name IS NOT excluded.source_name OR videos.direction IS NOT excluded.direction
       OR videos.year IS NOT excluded.year
       OR (excluded.path IS NOT NULL AND (videos.path IS NOT excluded.path OR videos.status = 'missing'))`);

  db.transaction(() => {
    const wordIds = new Map<string, number>();
    const signerIds = new Map<string, number>();
    for (const w of importedWords) wordIds.set(w, upsertWord.get(w) as number);
    if (labels) {
      for (const [word, e] of labels.entries) {
        const id = wordIds.get(word);
        if (id === undefined) continue;
        if (e.label !== null) {
          releaseLabel.run(e.label, id);
          setLabel.run(e.label, id);
        }
        if (e.level !== null) setLevel.run(e.level, id);
      }
    }
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i]!;
      if (i % 1000 === 999) onProgress?.(i + 1, planned.length, 'Writing the catalog');
      let signerId = signerIds.get(p.signer);
      if (signerId === undefined) signerIds.set(p.signer, (signerId = upsertSigner.get(p.signer) as number));
      upsertVideo.run(p.number, wordIds.get(p.word)!, signerId, table.sheet, p.row, p.sourceName, p.direction, p.year, p.path, p.path === null ? 'missing' : 'linked');
    }
  })();
  onProgress?.(total, total, `Imported ${planned.length} rows (${matched} with video, ${missing} missing)`);
  return result;
}
