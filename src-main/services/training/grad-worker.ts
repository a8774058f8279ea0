/**
 * A gradient worker (a worker_threads thread; bundled as dist/main/grad-worker.cjs). TensorFlow.js's wasm
 * backend runs on one thread in Node, so a training step would use one core of two; the train job sends
 * this worker part of each batch and the current weights, and it answers the part's gradients
 * (PartialGradients) while the job computes the rest (Trainer.stepSplit).
 */
import { parentPort } from 'node:worker_threads';
import type { GradWorkerReply, GradWorkerRequest } from './grad-protocol';

const port = parentPort;
if (!port) throw new Error('grad-worker must run as a worker thread');

let ready: Promise<{ step: (m: Extract<GradWorkerRequest, { op: 'grads' }>) => GradWorkerReply }> | undefined;

async function init(m: Extract<GradWorkerRequest, { op: 'init' }>) {
  const { selectBackend } = await import('./tf-backend');
  const backend = await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('../detector/head/ssd-head');
  const { partialGradients } = await import('../detector/head/train-step');
  const head = createHead(m.head);
  return {
    backend,
    step(g: Extract<GradWorkerRequest, { op: 'grads' }>): GradWorkerReply {
      head.setWeights(g.weights);
      const x = tf.tensor3d(g.features, g.shape);
      try {
        const r = partialGradients(head, x, { cls: g.cls, box: g.box, matched: g.matched }, g.matchedTotal, m.loss);
        return { op: 'grads', id: g.id, ok: true, ...r };
      } finally {
        x.dispose();
      }
    },
  };
}

port.on('message', (m: GradWorkerRequest) => {
  void (async () => {
    try {
      if (m.op === 'init') {
        ready = init(m);
        const r = (await ready) as unknown as { backend: string };
        port.postMessage({ op: 'init', ok: true, backend: r.backend } satisfies GradWorkerReply);
        return;
      }
      if (!ready) throw new Error('grad-worker: grads before init');
      const reply = (await ready).step(m);
      // The features buffer goes back with the answer, so the job reuses it (no allocation per step).
      const transfer = reply.op === 'grads' && reply.ok ? [...reply.grads.map((g) => g.buffer as ArrayBuffer), m.features.buffer as ArrayBuffer] : [];
      port.postMessage({ ...reply, features: m.features } as GradWorkerReply, transfer);
    } catch (e) {
      port.postMessage({ op: m.op, id: m.op === 'grads' ? m.id : -1, ok: false, error: (e as Error).message } as GradWorkerReply);
    }
  })();
});
