import { z } from 'zod';

/** Every long piece of work is a job: start → progress events → exactly one end event. */
export const JOB_KINDS = ['extract', 'import.videos', 'import.keti', 'check'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export type JobState = 'running' | 'ok' | 'cancelled' | 'failed' | 'interrupted';
export type JobOutcome = 'ok' | 'cancelled' | 'failed';

export interface JobProgress {
  type: 'progress';
  jobId: string;
  kind: string;
  done: number;
  total: number;
  /** Items per second over the recent window (0 until measurable). */
  rate: number;
  /** Seconds left at the current rate, null when unknown. */
  etaSeconds: number | null;
  message: string;
  metrics?: Record<string, number>;
}

export interface JobEnd {
  type: 'end';
  jobId: string;
  kind: string;
  outcome: JobOutcome;
  error?: { code: string; message: string };
  result?: unknown;
}

export type JobEvent = JobProgress | JobEnd;

export interface JobRecord {
  id: string;
  kind: string;
  params: unknown;
  state: JobState;
  done: number;
  total: number;
  message: string;
  error: string | null;
  resumable: boolean;
  createdAt: string;
  updatedAt: string;
}

export const JobIdSchema = z.string().regex(/^[a-z0-9-]{6,64}$/, 'a job id');
