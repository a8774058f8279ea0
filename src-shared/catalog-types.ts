/** Shapes of catalog data that both sides see. */

export type FrameStatus = 'unlabelled' | 'labelled' | 'verified' | 'skipped';
export const FRAME_STATUSES: readonly FrameStatus[] = ['unlabelled', 'labelled', 'verified', 'skipped'];

export type BoxSource = 'manual' | 'copied' | 'interpolated' | 'model' | 'imported' | 'groundtruth';

export interface CatalogCounts {
  words: number;
  signers: number;
  videos: number;
  frames: number;
  boxes: number;
  labelledFrames: number;
}

export interface WordSummary {
  id: number;
  text: string;
  label: string | null;
  level: number | null;
  videos: number;
  frames: number;
  boxes: number;
}

export interface SignerSummary {
  id: number;
  code: string;
  videos: number;
  frames: number;
}

export interface ProjectInfo {
  path: string;
  name: string;
  schemaVersion: number;
  counts: CatalogCounts;
  /** level → number of words; present once words exist. */
  levels?: Record<string, number>;
  frameStatus: Record<FrameStatus, number>;
  videoStatus: Record<string, number>;
  words: WordSummary[];
  signers: SignerSummary[];
}

export interface FramesFilter {
  wordId?: number;
  level?: number;
  signerId?: number;
  status?: FrameStatus;
  offset: number;
  limit: number;
}

export interface FrameItem {
  id: number;
  file: string;
  t: number | null;
  width: number;
  height: number;
  status: FrameStatus;
  videoId: number | null;
  word: string | null;
  level: number | null;
  signer: string | null;
  boxes: number;
}

export interface FramePage {
  total: number;
  offset: number;
  items: FrameItem[];
}
