/**
 * The one contract between the UI and the Node side. Every request has a runtime schema for its
 * arguments (validated by the main side before it touches disk) and a result type; every event
 * stream has a payload type. The Electron preload, the WebSocket server and the in-memory test
 * transport are all derived from this map — no channel exists that is not listed here.
 */
import { z } from 'zod';
import type { Result } from './result';
import type { JobEvent, JobRecord } from './jobs';
import { JobIdSchema, JOB_KINDS } from './jobs';
import type { FramePage, ProjectInfo } from './catalog-types';
import { ProjectRelPath } from './paths';
import type { KetiImportResult } from './import-types';
import type { SplitReport } from './dataset-types';
import type { RunDetail, RunSummary } from './training-types';

const none = z.object({}).strict();

import { editorRequests, request } from './api-editor';
import { liveRequests } from './api-live';

export interface AppInfo {
  version: string;
  schemaVersion: number;
  /** Which door the UI is behind. */
  door: 'electron' | 'web';
  ffmpeg: { path: string; source: string } | { error: string };
  /** Whether this door can show native file dialogs. */
  dialogs: boolean;
}

export interface FileEntry {
  name: string;
  path: string; // relative to the project folder
  kind: 'file' | 'dir';
  size: number;
}

export const ExtractParams = z
  .object({
    mode: z.enum(['fps', 'every', 'all']).default('fps'),
    fps: z.number().positive().max(240).default(5),
    every: z.number().int().positive().max(100_000).default(1),
    maxSide: z.number().int().min(16).max(8192).nullable().default(640),
    format: z.enum(['jpg', 'png']).default('jpg'),
    jobs: z.number().int().min(1).max(16).default(1),
    videoIds: z.array(z.number().int().positive()).max(1_000_000).optional(),
  })
  .strict();
export type ExtractParams = z.infer<typeof ExtractParams>;

export const ImportVideosParams = z
  .object({
    /** Folder relative to the project (the browser door can reach nothing else). */
    dir: ProjectRelPath,
    wordFrom: z.enum(['name', 'folder']).default('name'),
  })
  .strict();
export type ImportVideosParams = z.infer<typeof ImportVideosParams>;

/** A KETI import from the UI: every file inside the project folder (e.g. under imports/). */
export const ImportKetiParams = z
  .object({
    annotations: ProjectRelPath,
    words: ProjectRelPath.optional(),
    labels: ProjectRelPath.optional(),
    direction: z.string().max(20).optional(),
    type: z.string().max(20).optional(),
    videos: ProjectRelPath.optional(),
  })
  .strict();
export type ImportKetiParams = z.infer<typeof ImportKetiParams>;

export const SplitParams = z
  .object({
    by: z.enum(['signer', 'video', 'frame']).default('signer'),
    test: z.number().gt(0).lt(1).default(0.33),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    level: z.number().int().min(1).max(99).optional(),
    holdoutSigners: z.array(z.string().min(1).max(40)).max(1000).optional(),
    fromFolders: z.boolean().optional(),
  })
  .strict();

export const ExportParams = z
  .object({
    format: z.enum(['tfrecord', 'coco']),
    level: z.number().int().min(1).max(99).optional(),
    side: z.enum(['train', 'test', 'all']).default('test'),
    steps: z.number().int().min(1).max(10_000_000).default(5000),
  })
  .strict();
export type ExportParams = z.infer<typeof ExportParams>;

export const TrainParams = z
  .object({
    level: z.number().int().min(1).max(99).optional(),
    preset: z.enum(['fast', 'full']).default('fast'),
    /** Optimiser steps; the schedule (warm-up, cosine) follows this number. */
    steps: z.number().int().min(1).max(1_000_000).default(1200),
    batch: z.number().int().min(1).max(256).default(32),
    /**
     * Copies of each training frame: the original plus augmented ones (crop/scale, colour). Two keep the
     * feature cache of the sample at 640×352 under 3 GB of memory.
     */
    copies: z.number().int().min(1).max(8).default(2),
    lr: z.number().positive().max(1).default(0.01),
    /**
     * Network input: 'auto' (the training frames' aspect ratio at about 225 000 pixels, never upscaled:
     * 640x352 for 16:9 video, 544x416 for 4:3, 480x480 square) or 'WxH' in pixels, each a multiple of 32
     * (e.g. '320x320', the pretrained size and the fastest live).
     */
    input: z
      .string()
      .regex(/^(auto|\d{2,4}x\d{2,4})$/, "must be 'auto' or WxH such as 512x288")
      .default('auto'),
    /** Checkpoints (with evaluation on the test split) per run. */
    checkpoints: z.number().int().min(1).max(100).default(4),
    force: z.boolean().default(false),
    splitId: z.number().int().positive().optional(),
    /** Continue an interrupted or cancelled run with the same schedule. */
    runId: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  })
  .strict();
export type TrainParams = z.infer<typeof TrainParams>;

export const JobStartArgs = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train'), params: TrainParams }).strict(),
  z.object({ kind: z.literal('export'), params: ExportParams }).strict(),
  z.object({ kind: z.literal('import.keti'), params: ImportKetiParams }).strict(),
  z.object({ kind: z.literal('extract'), params: ExtractParams }).strict(),
  z.object({ kind: z.literal('import.videos'), params: ImportVideosParams }).strict(),
  z.object({ kind: z.literal('check'), params: z.object({}).strict().default({}) }).strict(),
]);
export type JobStartArgs = z.infer<typeof JobStartArgs>;

export const apiRequests = {
  ...editorRequests,
  ...liveRequests,
  'app.info': request(none)<AppInfo>(),
  /** The open project's summary; NO_PROJECT when none is open. */
  'project.info': request(none)<ProjectInfo>(),
  /**
   * Creates a project. The browser door creates it in the folder `ksl serve` was given; the
   * Electron door asks for a folder with a native dialog. The UI never sends a path.
   */
  'project.create': request(none)<ProjectInfo>(),
  /** Opens a project chosen in a native dialog (Electron door only). */
  'project.open': request(none)<ProjectInfo>(),
  'frames.list': request(
    z
      .object({
        wordId: z.number().int().positive().optional(),
        level: z.number().int().min(1).max(99).optional(),
        signerId: z.number().int().positive().optional(),
        status: z.enum(['unlabelled', 'labelled', 'verified', 'skipped']).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  )<FramePage>(),
  /** Everything an import would do, written nowhere: counts and problems to review first. */
  'import.ketiPreview': request(ImportKetiParams)<KetiImportResult>(),
  /** Makes (and stores) a split; the report says how many frames, videos and signers per side. */
  'dataset.split': request(SplitParams)<SplitReport>(),
  /** The newest split of a level (or of all words), or null. */
  'dataset.latestSplit': request(z.object({ level: z.number().int().min(1).max(99).optional() }).strict())<SplitReport | null>(),
  /** Frames per signer on each side of a split (a signer on both sides is a leak). */
  'dataset.splitSigners': request(z.object({ splitId: z.number().int().positive() }).strict())<{ signer: string; train: number; test: number }[]>(),
  'runs.list': request(z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict())<RunSummary[]>(),
  'runs.get': request(z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/) }).strict())<RunDetail>(),
  'files.list': request(z.object({ dir: ProjectRelPath.default('') }).strict())<FileEntry[]>(),
  'jobs.start': request(JobStartArgs)<{ jobId: string }>(),
  'jobs.cancel': request(z.object({ jobId: JobIdSchema }).strict())<{ cancelled: boolean }>(),
  'jobs.resume': request(z.object({ jobId: JobIdSchema }).strict())<{ jobId: string }>(),
  'jobs.list': request(z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict())<JobRecord[]>(),
} as const;

export interface ApiEvents {
  job: JobEvent;
  /** Something in the catalog changed; screens that show it refetch. */
  'catalog.changed': { tables: string[] };
}

export type RequestName = keyof typeof apiRequests;
export type EventName = keyof ApiEvents;
export type ArgsOf<K extends RequestName> = z.input<(typeof apiRequests)[K]['args']>;
export type ParsedArgsOf<K extends RequestName> = z.output<(typeof apiRequests)[K]['args']>;
export type ResultOf<K extends RequestName> = (typeof apiRequests)[K]['result'];

export const REQUEST_NAMES = Object.keys(apiRequests) as RequestName[];
export const EVENT_NAMES: EventName[] = ['job', 'catalog.changed'];

/** What the UI holds: the same object type behind every door. */
export interface Api {
  invoke<K extends RequestName>(name: K, args: ArgsOf<K>): Promise<Result<ResultOf<K>>>;
  on<E extends EventName>(name: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** Handlers on the main side receive already-validated arguments. */
export type ApiHandlers = {
  [K in RequestName]: (args: ParsedArgsOf<K>) => Promise<ResultOf<K>> | ResultOf<K>;
};
