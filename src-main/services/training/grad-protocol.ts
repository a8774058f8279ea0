/** Messages between the train job and its gradient worker (grad-worker.ts). */
import type { LossOptions } from '../detector/head/losses';
import type { HeadConfig, NamedWeight } from '../detector/head/ssd-head';

export type GradWorkerRequest =
  | { op: 'init'; head: HeadConfig; loss: Partial<LossOptions> }
  | {
      op: 'grads';
      id: number;
      weights: NamedWeight[];
      /** [b, P, K] rows of the worker's part of the batch. */
      features: Float32Array;
      shape: [number, number, number];
      cls: Int32Array;
      box: Float32Array;
      matched: number;
      matchedTotal: number;
    };

export type GradWorkerReply =
  | { op: 'init'; ok: true; backend: string }
  | { op: 'grads'; id: number; ok: true; grads: Float32Array[]; loss: number; cls: number; box: number; features?: Float32Array }
  | { op: 'init' | 'grads'; id?: number; ok: false; error: string };
