/** Messages between the inference service (main thread) and its worker (inference-worker.ts). */
import type { LiveDetection, LiveSettings } from '../../../src-shared/api-live';
import type { ApiError } from '../../../src-shared/result';
import type { DetectCall, DetectorInfo, DetectorOptions, DetectResult } from './detector';

export type WorkerRequest =
  | { id: number; op: 'load'; key: string; file: string; options: DetectorOptions }
  | { id: number; op: 'detect'; key: string; rgb: Uint8Array; width: number; height: number; settings?: Partial<LiveSettings>; scaled?: Uint8Array; call?: DetectCall }
  | { id: number; op: 'unload'; key: string }
  | { id: number; op: 'exportRun'; projectDir: string; runId: string; out: string };

export type WorkerReply =
  | { id: number; ok: true; value: DetectorInfo | DetectResult | null }
  | { id: number; ok: false; error: ApiError };
