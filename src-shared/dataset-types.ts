/** Split reports as the UI, the CLI and training see them. */

export type SplitBy = 'signer' | 'video' | 'frame';
export type SplitMethod = SplitBy | 'folders';
export type SplitSide = 'train' | 'test';

export interface SideCounts {
  frames: number;
  /** Distinct videos with frames on this side (photos without a video are not counted). */
  videos: number;
  /** Distinct signers with frames on this side (frames without a signer code are not counted). */
  signers: number;
}

export interface WordSplit {
  wordId: number;
  /** The Korean word. */
  word: string;
  label: string | null;
  level: number | null;
  train: SideCounts;
  test: SideCounts;
}

export interface LeakGroup {
  /** Signer code (kind 'signer'). */
  signer?: string;
  /** Video id and KETI number (kind 'video'). */
  video?: number;
  videoNumber?: number | null;
  train: number;
  test: number;
}

export interface SplitLeaks {
  /** Groups with frames on both sides. Must be 0 for a split by signer or video. */
  count: number;
  /** What a group is: a person (signer splits) or a recording (the others). */
  kind: 'signer' | 'video';
  groups: LeakGroup[];
}

export interface SplitReport {
  id: number;
  method: SplitMethod;
  /** The seed that reproduces the split; null where no randomness is involved (holdout, folders). */
  seed: number | null;
  /** The requested test fraction ('test' itself names the test side's counts); null for holdout and folders. */
  testFraction: number | null;
  /** test.frames / total.frames, as achieved. */
  actualTestFraction: number;
  level: number | null;
  holdoutSigners?: string[];
  total: SideCounts;
  train: SideCounts;
  test: SideCounts;
  perWord: WordSplit[];
  leaks: SplitLeaks;
  warnings: string[];
  createdAt: string;
}

