/** Results of imports, as both the UI and the CLI see them. */

export type KetiProblemKind =
  | 'duplicate-signer'
  | 'duplicate-number'
  | 'duplicate-video'
  | 'duplicate-label'
  | 'word-not-in-sheet'
  | 'unmatched-file'
  | 'bad-filename'
  | 'bad-cell'
  | 'missing-cell'
  | 'no-video'
  | 'path-in-use'
  | 'unreadable-folder'
  | 'level-out-of-range'
  | 'unknown-word-in-labels';

export interface KetiProblem {
  kind: KetiProblemKind | (string & {});
  sheet?: string;
  /** 1-based spreadsheet row as Excel shows it. */
  row?: number;
  /** The other row involved, e.g. the first listing of a duplicated signer. */
  otherRow?: number;
  /** Header name as the sheet writes it. */
  column?: string;
  file?: string;
  message: string;
}

export interface KetiImportResult {
  /** Data rows read from the annotation sheet. */
  rows: number;
  /** Rows kept by the filters and valid, i.e. written (or, in a dry run, that would be). */
  imported: number;
  /** Distinct words / signers among the imported rows. */
  words: number;
  signers: number;
  /** Imported rows with a video file (found now, or linked by an earlier import) / without. */
  videos: { matched: number; missing: number };
  problems: KetiProblem[];
  /** Problems per kind, all of them — `problems` keeps at most PROBLEM_CAP per kind. */
  problemCounts: Record<string, number>;
  /** Problems left out of `problems` per kind (only kinds that hit the cap). */
  truncated: Record<string, number>;
  /** The annotation sheet that was read, and its header row. */
  sheet: string;
  headerRow: number;
  dryRun: boolean;
}

