/**
 * The train job's side of the gradient worker (grad-worker.ts): start it, hand it part of each batch,
 * get the part's gradients back. Where the worker cannot start (its bundle missing, one core), the job
 * trains on its own thread as before.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LossOptions } from '../detector/head/losses';
import type { HeadConfig, NamedWeight } from '../detector/head/ssd-head';
import type { PartialGradients } from '../detector/head/train-step';
import type { DetectionTargets } from '../detector/head/targets';
import type { GradWorkerReply, GradWorkerRequest } from './grad-protocol';

const WORKER_FILE = 'grad-worker.cjs';

/** The bundled worker beside the running bundle, or in the repository's dist/main when running from source. */
function workerPath(): string | null {
  const candidates = [process.env.KSL_GRAD_WORKER, path.join(__dirname, WORKER_FILE), path.resolve(__dirname, '../../../dist/main', WORKER_FILE)].filter(
    (c): c is string => !!c,
  );
  for (const c of candidates) if (existsSync(c)) return c;
  return null;
}

export interface GradWorker {
  readonly backend: string;
  /** Starts computing the part's gradients with these weights; resolves when the worker answers. */
  grads(weights: NamedWeight[], features: Float32Array, shape: [number, number, number], targets: DetectionTargets, matchedTotal: number): Promise<PartialGradients>;
  close(): Promise<void>;
}

/** How many helper threads a step should use: one on a machine with at least two cores, else none. */
export function defaultGradWorkers(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cores >= 2 ? 1 : 0;
}

/** Starts a gradient worker for a head; null when the worker bundle is not there (run npm run build). */
export async function startGradWorker(head: HeadConfig, loss: Partial<LossOptions>): Promise<GradWorker | null> {
  const file = workerPath();
  if (!file) return null;
  const worker = new Worker(file);
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: PartialGradients) => void; reject: (e: Error) => void }>();
  let failed: Error | null = null;
  const failAll = (e: Error) => {
    failed = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('error', (e) => failAll(new Error(`gradient worker failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`gradient worker exited (code ${code})`)));
  const backend = await new Promise<string>((resolve, reject) => {
    const onMessage = (m: GradWorkerReply) => {
      if (m.op !== 'init') return;
      worker.off('message', onMessage);
      if (m.ok) resolve(m.backend);
      else reject(new Error(`gradient worker: ${m.error}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage({ op: 'init', head, loss } satisfies GradWorkerRequest);
  }).catch(async (e: Error) => {
    await worker.terminate();
    throw e;
  });
  worker.on('message', (m: GradWorkerReply) => {
    if (m.op !== 'grads' || m.id === undefined) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve({ grads: m.grads, loss: m.loss, cls: m.cls, box: m.box });
    else p.reject(new Error(`gradient worker: ${m.error}`));
  });
  return {
    backend,
    grads(weights, features, shape, targets, matchedTotal) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<PartialGradients>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const msg: GradWorkerRequest = { op: 'grads', id, weights, features, shape, cls: targets.cls, box: targets.box, matched: targets.matched, matchedTotal };
        worker.postMessage(msg, [features.buffer as ArrayBuffer, targets.cls.buffer as ArrayBuffer, targets.box.buffer as ArrayBuffer]);
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      failAll(new Error('gradient worker closed'));
      await worker.terminate();
    },
  };
}
