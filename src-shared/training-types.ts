/** Training runs as the UI and the CLI see them. */

export interface RunSummary {
  id: string;
  level: number | null;
  preset: string;
  backend: string | null;
  status: string;
  splitId: number | null;
  startedAt: string;
  finishedAt: string | null;
  metrics: Record<string, number>;
}

export interface RunMetricsPoint {
  step: number;
  loss: number;
  AP: number;
  AP50: number;
  [key: string]: number;
}

export interface RunDetail extends RunSummary {
  config: Record<string, unknown>;
  history: RunMetricsPoint[];
  best: {
    step: number;
    stats: Record<string, number>;
    perWord: { id: number; word: string; label: string | null; AP: number; AP50: number; gt: number; dt: number }[];
    confusion: number[][];
    pr50: { id: number; precision: number[] }[];
    /** A two-stage run (detector + second stage): the detector's own metrics at the same checkpoint. */
    detector?: Record<string, number>;
  } | null;
}
