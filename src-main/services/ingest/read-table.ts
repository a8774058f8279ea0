/**
 * A small table reader for the researchers' spreadsheets (xlsx, xls, ods, csv): columns are found
 * by HEADER NAME, never by position, because the same data set ships with shifted columns from one
 * year to the next (KETI 2018 vs 2017), and the header row is searched among the first rows since
 * some sheets carry a title line above it.
 *
 * Privacy: a workbook may hold sheets that must never be used (KETI 2018 has an `ID` sheet with the
 * signers' real names). The table's sheet is chosen by its header; in every other sheet only the
 * first rows are looked at, to see that they are not the header, and nothing of them is kept,
 * returned or shown: error messages quote header cells only of a row that matched at least one
 * expected column — otherwise just sheet names, never arbitrary cell contents.
 * (The workbook is parsed once, whole: parsing only the header rows first and then one sheet costs
 * a second unzip, and would still have to look at the first rows of the ID sheet to reject it.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as XLSX from 'xlsx';
import { KslError } from '../../../src-shared/result';

/** Rows searched for the header row (the KETI sheets have it on row 1; some exports add a title). */
export const HEADER_SCAN_ROWS = 10;

export interface ColumnSpec {
  /** Accepted header names; the first is the one named in messages. */
  names: readonly string[];
  required?: boolean;
}

export interface TableSpec<K extends string> {
  columns: Record<K, ColumnSpec>;
  /** What the user should do when a required column is missing; appended to the error message. */
  hint?: string;
  headerScanRows?: number;
}

export interface TableColumn {
  index: number; // 0-based column index
  header: string; // the header cell as written (NFC, trimmed)
}

export interface Table<K extends string> {
  file: string;
  /** Sheet name; for a CSV file, the name SheetJS gives its single sheet. */
  sheet: string;
  /** True for CSV/TSV/text input: messages then name no sheet. */
  text: boolean;
  /** 1-based spreadsheet row of the header, as Excel shows it. */
  headerRow: number;
  columns: Partial<Record<K, TableColumn>>;
  /** Non-empty header cells, for messages. */
  headers: string[];
  /** Data rows below the header; `row` is 1-based as Excel shows it. Blank rows are left out. */
  rows: TableRow[];
}

export interface TableRow {
  row: number;
  cells: readonly (XLSX.CellObject | null | undefined)[];
}

/**
 * A cell as text. Numbers are written the way a person reads them (119, 10000 — never "119.0" or
 * "1e4"), because KETI stores numeral words such as 119 as NUMERIC cells and they must match the
 * same words typed as text in the word list.
 */
export function cellText(cell: XLSX.CellObject | null | undefined): string {
  if (!cell || cell.v === undefined || cell.v === null) return '';
  const v = cell.v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return v.toISOString();
  return String(v).normalize('NFC').trim();
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // String() switches to exponent notation at 1e21 and below 1e-6; toLocaleString never does.
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/** Header comparison ignores case and all whitespace (line breaks inside header cells are common). */
export function headerKey(s: string): string {
  return s.normalize('NFC').replace(/\s+/gu, '').toLowerCase();
}

function headerMatches(cellKey: string, name: string): boolean {
  const k = headerKey(name);
  // A parenthesised note after the name still matches: "타입(단어/문장)" is the 타입 column.
  return cellKey === k || (cellKey.startsWith(k) && cellKey[k.length] === '(');
}

const TEXT_EXTENSIONS = new Set(['.csv', '.tsv', '.txt']);

/**
 * Decodes a CSV/TSV file: UTF-8 (BOM or not), else CP949/EUC-KR, which is what Korean Excel
 * writes for "CSV" by default.
 */
function decodeText(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf).replace(/^\uFEFF/, '');
  } catch {
    try {
      return new TextDecoder('euc-kr').decode(buf);
    } catch {
      return buf.toString('latin1');
    }
  }
}

// Only values are needed: skipping formatted text, formulas, styles and number formats roughly
// halves the parse time of a 10,000-row sheet (a formula cell keeps its cached value in v).
const LEAN = { dense: true, cellText: false, cellHTML: false, cellNF: false, cellStyles: false, cellFormula: false, cellDates: false } as const;

interface Source {
  file: string;
  text: boolean;
  read(): XLSX.WorkBook;
}

function openSource(file: string): Source {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KslError('NOT_FOUND', `${file}: no such file. Check the path.`, { file });
    throw new KslError('INVALID', `${file}: cannot be read (${code ?? (e as Error).message}).`, { file });
  }
  const text = TEXT_EXTENSIONS.has(path.extname(file).toLowerCase());
  const decoded = text ? decodeText(buf) : undefined;
  return {
    file,
    text,
    read() {
      try {
        // raw: CSV values stay text — "0000000419" must not become the number 419.
        if (decoded !== undefined) return XLSX.read(decoded, { ...LEAN, type: 'string', raw: true });
        return XLSX.read(buf, { ...LEAN, type: 'buffer' });
      } catch (e) {
        throw new KslError('INVALID', `${path.basename(file)}: not a spreadsheet that can be read (${(e as Error).message}). Save it as .xlsx or .csv and try again.`, { file });
      }
    },
  };
}

function sheetRowsOf(ws: XLSX.WorkSheet | undefined): (XLSX.CellObject[] | null | undefined)[] {
  // Dense mode: !data[r] is absolute spreadsheet row r (0-based); holes are empty rows.
  return ((ws as { '!data'?: (XLSX.CellObject[] | null | undefined)[] } | undefined)?.['!data']) ?? [];
}

interface HeaderCandidate {
  sheet: string;
  rowIndex: number;
  columns: Partial<Record<string, TableColumn>>;
  headers: string[];
  requiredFound: number;
}

function matchHeaderRow<K extends string>(cells: readonly (XLSX.CellObject | null | undefined)[], spec: TableSpec<K>) {
  // Array.from, not map: dense rows are sparse arrays, and map keeps their holes.
  const keys = Array.from(cells, (c) => headerKey(cellText(c)));
  const columns: Partial<Record<K, TableColumn>> = {};
  let requiredFound = 0;
  let anyFound = 0;
  for (const [key, col] of Object.entries(spec.columns) as [K, ColumnSpec][]) {
    let found = -1;
    for (const name of col.names) {
      found = keys.findIndex((k) => k !== '' && headerMatches(k, name));
      if (found >= 0) break;
    }
    if (found < 0) continue;
    columns[key] = { index: found, header: cellText(cells[found]) };
    anyFound++;
    if (col.required) requiredFound++;
  }
  return { columns, requiredFound, anyFound };
}

const quoteList = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * Reads the table described by `spec` from `file`: the first sheet (in workbook order) with a row,
 * among its first rows, that holds every required column. Throws KslError('INVALID') naming the
 * missing column(s), the sheet and the file when there is none.
 */
export function readTable<K extends string>(file: string, spec: TableSpec<K>): Table<K> {
  const src = openSource(file);
  const scan = spec.headerScanRows ?? HEADER_SCAN_ROWS;
  const required = (Object.entries(spec.columns) as [K, ColumnSpec][]).filter(([, c]) => c.required);
  const book = src.read();
  let best: HeaderCandidate | undefined;
  let chosen: HeaderCandidate | undefined;
  outer: for (const sheet of book.SheetNames) {
    const rows = sheetRowsOf(book.Sheets[sheet]);
    for (let r = 0; r < Math.min(scan, rows.length); r++) {
      const cells = rows[r];
      if (!cells) continue;
      const m = matchHeaderRow(cells, spec);
      if (m.anyFound === 0) continue;
      const cand: HeaderCandidate = {
        sheet,
        rowIndex: r,
        columns: m.columns,
        headers: Array.from(cells, (c) => cellText(c)).filter((t) => t !== ''),
        requiredFound: m.requiredFound,
      };
      if (m.requiredFound === required.length) {
        chosen = cand;
        break outer;
      }
      if (!best || cand.requiredFound > best.requiredFound) best = cand;
    }
  }
  const base = path.basename(file);
  if (!chosen) {
    const names = required.map(([, c]) => c.names[0]!);
    const hint = spec.hint ? ` ${spec.hint}` : '';
    if (!best) {
      // Nothing in the first rows looks like a header: name the sheet(s), but quote no cell — it
      // could be anything, names included.
      const only = src.text ? base : book.SheetNames.length === 1 ? `${base}: sheet "${book.SheetNames[0]}"` : undefined;
      const cols = `column${names.length > 1 ? 's' : ''} ${quoteList(names)}`;
      throw new KslError(
        'INVALID',
        only
          ? `${only}: no ${cols} in the first ${scan} rows.${hint}`
          : `${base}: no sheet has a header row with the ${cols} in its first ${scan} rows (sheets: ${book.SheetNames.map((s) => `"${s}"`).join(', ')}).${hint}`,
        { file, columns: names },
      );
    }
    const missing = required.filter(([k]) => !best!.columns[k]).map(([, c]) => c.names[0]!);
    const where = src.text ? base : `${base}: sheet "${best.sheet}"`;
    throw new KslError(
      'INVALID',
      `${where}: no column${missing.length > 1 ? 's' : ''} ${quoteList(missing)} (found: ${best.headers.join(', ')}).${hint}`,
      { file, sheet: src.text ? undefined : best.sheet, row: best.rowIndex + 1, missing },
    );
  }
  const all = sheetRowsOf(book.Sheets[chosen.sheet]);
  const colIdx = Object.values(chosen.columns).map((c) => (c as TableColumn).index);
  const rows: TableRow[] = [];
  for (let r = chosen.rowIndex + 1; r < all.length; r++) {
    const cells = all[r];
    // A row is data when any mapped column holds something; stray cells elsewhere (KETI 2017 has
    // a few in unheaded columns H/I) neither make nor break a row.
    if (!cells || !colIdx.some((i) => cellText(cells[i]) !== '')) continue;
    rows.push({ row: r + 1, cells });
  }
  return {
    file,
    sheet: chosen.sheet,
    text: src.text,
    headerRow: chosen.rowIndex + 1,
    columns: chosen.columns as Partial<Record<K, TableColumn>>,
    headers: chosen.headers,
    rows,
  };
}

/** The text of column `key` in `row` ('' when the column is absent or the cell empty). */
export function textAt<K extends string>(table: Table<K>, row: TableRow, key: K): string {
  const col = table.columns[key];
  return col ? cellText(row.cells[col.index]) : '';
}

/** "KETI.xlsx: sheet "X"" or "words.csv" — the place prefix of messages about a table. */
export function tablePlace(table: Pick<Table<string>, 'file' | 'sheet' | 'text'>): string {
  const base = path.basename(table.file);
  return table.text ? base : `${base}: sheet "${table.sheet}"`;
}
