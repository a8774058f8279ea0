/**
 * The main-thread side of inference: one worker thread (inference-worker.ts) that holds the models.
 * Requests carry an id and are answered in any order; a frame's bytes are transferred, not copied.
 * The worker is unref'd while idle so that it never keeps a CLI or a test process alive, and ref'd
 * while a request is pending.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LiveDetection, LiveSettings } from '../../../src-shared/api-live';
import { KslError } from '../../../src-shared/result';
import type { DetectCall, DetectorInfo, DetectorOptions, DetectResult } from './detector';
import type { WorkerReply, WorkerRequest } from './protocol';

const WORKER_FILE = 'inference-worker.cjs';

/**
 * Where the bundled worker is: beside the running bundle (dist/main/cli.cjs, electron-main.cjs), or,
 * when running from source (vitest, scripts/run-ts), in the repository's dist/main (tests run after
 * `npm run build`). KSL_INFERENCE_WORKER overrides both.
 */
export function findWorkerScript(): string {
  const candidates = [process.env.KSL_INFERENCE_WORKER, path.join(__dirname, WORKER_FILE), path.resolve(__dirname, '../../../dist/main', WORKER_FILE)].filter(
    (p): p is string => !!p,
  );
  for (const c of candidates) if (existsSync(c)) return c;
  throw new KslError('UNAVAILABLE', `The inference worker ${WORKER_FILE} is missing (looked in ${candidates.join(', ')}); run npm run build.`);
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class InferenceService {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** What was loaded, so that a restarted worker (after a crash) loads it again on first use. */
  private models = new Map<string, { file: string; options: DetectorOptions }>();
  private loadedIn = new Set<string>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(findWorkerScript());
    w.unref();
    this.loadedIn = new Set();
    w.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(new KslError(m.error.code, m.error.message, m.error.details));
    });
    const die = (e: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      const all = [...this.pending.values()];
      this.pending.clear();
      for (const p of all) p.reject(new KslError('FAILED', `The inference worker stopped: ${e.message}. Load the model again.`));
    };
    w.on('error', die);
    w.on('exit', (code) => die(new Error(`exit code ${code}`)));
    this.worker = w;
    return w;
  }

  private call<T>(msg: WithoutId<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.ref();
      w.postMessage({ ...msg, id } as WorkerRequest, transfer);
    });
  }

  /** Loads (once per key) the model at `file` in the worker. */
  async load(key: string, file: string, options: DetectorOptions = {}): Promise<DetectorInfo> {
    const info = await this.call<DetectorInfo>({ op: 'load', key, file, options });
    this.models.set(key, { file, options });
    this.loadedIn.add(key);
    return info;
  }

  /** `rgb` (and `scaled`: Detector.detect) are transferred to the worker: do not use them afterwards. */
  async detect(key: string, rgb: Uint8Array, width: number, height: number, settings?: Partial<LiveSettings>, scaled?: Uint8Array, call?: DetectCall): Promise<DetectResult> {
    const m = this.models.get(key);
    if (m && (!this.worker || !this.loadedIn.has(key))) await this.load(key, m.file, m.options);
    const own = (a: Uint8Array) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice());
    const bytes = own(rgb);
    const small = scaled ? own(scaled) : undefined;
    return this.call({ op: 'detect', key, rgb: bytes, width, height, settings, ...(small ? { scaled: small } : {}), ...(call ? { call } : {}) }, small ? [bytes.buffer as ArrayBuffer, small.buffer as ArrayBuffer] : [bytes.buffer as ArrayBuffer]);
  }

  /** Exports run `runId` of the project at `projectDir` to `out` (ONNX + label map) in the worker. */
  exportRun(projectDir: string, runId: string, out: string): Promise<{ out: string; labelMap: string }> {
    return this.call({ op: 'exportRun', projectDir, runId, out });
  }

  unload(key: string): Promise<void> {
    this.models.delete(key);
    this.loadedIn.delete(key);
    if (!this.worker) return Promise.resolve();
    return this.call({ op: 'unload', key });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
