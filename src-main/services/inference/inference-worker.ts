/**
 * The inference worker (a worker_threads thread; bundled as dist/main/inference-worker.cjs): holds the
 * loaded detectors and answers load / detect / unload. Preprocessing, inference and NMS all happen here,
 * so the main process's event loop (IPC, the web server, the catalog) never waits on a frame.
 */
import { parentPort } from 'node:worker_threads';
import { toApiError } from '../../../src-shared/result';
import { openDetector, type Detector } from './detector';
import type { WorkerReply, WorkerRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('inference-worker must run as a worker thread');

const detectors = new Map<string, Promise<Detector>>();

async function handle(m: WorkerRequest): Promise<unknown> {
  switch (m.op) {
    case 'load': {
      const old = detectors.get(m.key);
      if (old) return (await old).info;
      const p = openDetector(m.file, m.options);
      detectors.set(m.key, p);
      try {
        return (await p).info;
      } catch (e) {
        detectors.delete(m.key);
        throw e;
      }
    }
    case 'detect': {
      const d = detectors.get(m.key);
      if (!d) throw Object.assign(new Error(`Model ${m.key} is not loaded; call live.load first.`), { code: 'NOT_FOUND' });
      return (await d).detect(m.rgb, m.width, m.height, m.settings, m.scaled, m.call);
    }
    case 'exportRun': {
      // A run's best checkpoint → ONNX (about a second of graph conversion), here rather than on the main
      // thread. Without the parity check the export reads only the run's folder, never the catalog.
      const { exportRunOnnx } = await import('../detector/export-onnx');
      const project = { dir: m.projectDir } as import('../catalog/project').Project;
      const r = await exportRunOnnx(project, m.runId, m.out, { parityFrames: 0 });
      return { out: r.out, labelMap: r.labelMap };
    }
    case 'unload': {
      const d = detectors.get(m.key);
      detectors.delete(m.key);
      if (d) await (await d).close().catch(() => {});
      return null;
    }
  }
}

port.on('message', (m: WorkerRequest) => {
  handle(m).then(
    (value) => port.postMessage({ id: m.id, ok: true, value } as WorkerReply),
    (e: unknown) => {
      const error = toApiError(e);
      const code = (e as { code?: unknown }).code;
      if (error.code === 'INTERNAL' && code === 'NOT_FOUND') error.code = 'NOT_FOUND';
      port.postMessage({ id: m.id, ok: false, error } as WorkerReply);
    },
  );
});
