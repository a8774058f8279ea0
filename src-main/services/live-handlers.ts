/**
 * Handlers for the live interpreter's requests (src-shared/api-live.ts); spread into app-services.
 * Models are listed and located in this thread (model-catalog.ts); they are loaded, and every frame is
 * preprocessed, run and suppressed, in the inference worker (inference/inference-service.ts), so a
 * camera at 30 fps never stalls the IPC, the web server or the catalog.
 */
import os from 'node:os';
import { statSync } from 'node:fs';
import type { ApiHandlers } from '../../src-shared/api';
import type { LiveDetectResult, LiveModelInfo } from '../../src-shared/api-live';
import { KslError } from '../../src-shared/result';
import { BT601_LIMITED, i420Length, i420ToRgbInto } from '../../src-shared/yuv';
import type { Emit } from './app-services';
import type { Project } from './catalog/project';
import { FOLLOW_REDETECT, type DetectorInfo } from './inference/detector';
import { InferenceService } from './inference/inference-service';
import { ensureRunModel, listModels, locateModel } from './inference/model-catalog';
import { proposeBoxes } from './inference/propose';
import type { JobManager } from './jobs/job-manager';

type LiveRequestName = 'live.models' | 'live.load' | 'live.detect' | 'editor.propose';
type LiveHandlers = Pick<ApiHandlers, LiveRequestName>;

interface Loaded {
  key: string;
  info: DetectorInfo;
  projectDir: string;
}

/**
 * onnxruntime intra-op threads for live models: `KSL_LIVE_THREADS` (1–8), else 2 (1 on a one-core
 * machine). With hands followed, most frames are a 128×128 crop pass: over four runs of `npm run
 * bench:live`, 2 threads against 1 gave the Node client ×1.15–1.25 and the page ×0.96–1.29 (README, Live).
 */
export function liveThreads(env: NodeJS.ProcessEnv = process.env, cores: number = os.availableParallelism?.() ?? os.cpus().length): number {
  return wholeInRange(env.KSL_LIVE_THREADS, 1, 8, Math.max(1, Math.min(2, cores)));
}

/** `value` as a whole number in [lo, hi], else `fallback` (unset, not a number, out of range). */
function wholeInRange(value: string | undefined, lo: number, hi: number, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
}

/**
 * With a second stage, the live detector runs on every Nth camera frame (and whenever no hand is
 * followed) and the hands it found are followed by the second stage alone in between
 * (DetectorOptions.redetectEvery): `KSL_LIVE_REDETECT` (1–300; 1 runs the detector on every frame), else
 * FOLLOW_REDETECT (30: about once a second at 30 fps, where following read the words best); the README's
 * Live section has the measurements.
 */
export function liveRedetect(env: NodeJS.ProcessEnv = process.env): number {
  return wholeInRange(env.KSL_LIVE_REDETECT, 1, 300, FOLLOW_REDETECT);
}

function toModelInfo(base: LiveModelInfo | undefined, id: string, info: DetectorInfo): LiveModelInfo {
  return {
    ...(base ?? { id, name: id.replace(/^(run|file):/, ''), source: id.startsWith('run:') ? 'run' : 'file' }),
    id,
    ready: true,
    format: info.format,
    input: { width: info.input.width, height: info.input.height, dtype: info.input.dtype, layout: 'NHWC', scaling: info.input.scaling },
    classes: info.classes,
  };
}

export function createLiveHandlers(need: () => { project: Project; jobs: JobManager }, emit: Emit): LiveHandlers {
  const inference = new InferenceService();
  const loaded = new Map<string, Loaded>();
  const loading = new Map<string, Promise<Loaded>>();

  const load = async (project: Project, modelId: string): Promise<Loaded> => {
    const loc = locateModel(project, modelId);
    // The export (graph conversion) runs in the inference worker too: the event loop stays free.
    await ensureRunModel(project, loc, (runId, out) => inference.exportRun(project.dir, runId, out));
    // The key changes when the file does (a re-export after more training), so a stale session is never used.
    const key = `${loc.file}@${statSync(loc.file).mtimeMs}`;
    const have = loaded.get(modelId);
    if (have && have.key === key) return have;
    if (have) void inference.unload(have.key).catch(() => {});
    const info = await inference.load(key, loc.file, { labelMap: loc.labelMap ?? undefined, intraOpThreads: liveThreads(), redetectEvery: liveRedetect() });
    const l = { key, info, projectDir: project.dir };
    loaded.set(modelId, l);
    return l;
  };
  /** One load per model at a time; a detect for a model already loaded in this project skips the disk. */
  const ensure = (project: Project, modelId: string, reuse: boolean): Promise<Loaded> => {
    const have = loaded.get(modelId);
    if (reuse && have && have.projectDir === project.dir) return Promise.resolve(have);
    let p = loading.get(modelId);
    if (!p) {
      p = load(project, modelId).finally(() => loading.delete(modelId));
      loading.set(modelId, p);
    }
    return p;
  };

  return {
    'live.models': () => listModels(need().project),
    'live.load': async ({ modelId }) => {
      const { project } = need();
      const l = await ensure(project, modelId, false);
      const base = listModels(project).find((m) => m.id === modelId);
      return toModelInfo(base, modelId, l.info);
    },
    'live.detect': async ({ modelId, width, height, rgb, i420, colour, settings, stream, region }): Promise<LiveDetectResult> => {
      const { project } = need();
      const l = await ensure(project, modelId, true);
      const t1 = performance.now();
      // Binary doors (WebSocket binary message, Electron IPC) hand over the bytes; JSON sends base64. A
      // camera's I420 planes (half the bytes) become RGB here, as Chromium converts them (src-shared/yuv.ts).
      // The schema has checked the sizes already; these checks stay for callers that skip the host.
      // With a region (the previous answer's `next`), the bytes are that part of the frame only.
      const bw = region?.width ?? width;
      const bh = region?.height ?? height;
      if (i420 !== undefined && i420.length !== i420Length(bw, bh)) {
        throw new KslError('INVALID', `live.detect: i420 has ${i420.length} bytes, but a ${bw}×${bh} I420 ${region ? 'region' : 'frame'} needs ${i420Length(bw, bh)}.`, { field: 'i420', bytes: i420.length, expected: i420Length(bw, bh) });
      }
      const bytes = i420 !== undefined ? i420ToRgbInto(i420, bw, bh, colour ?? BT601_LIMITED, new Uint8Array(bw * bh * 3)) : typeof rgb === 'string' ? Buffer.from(rgb, 'base64') : rgb;
      if (bytes === undefined) throw new KslError('INVALID', 'live.detect: send the frame as `rgb` (RGB bytes) or `i420` (I420 planes).', { field: 'rgb' });
      const expected = bw * bh * 3;
      if (bytes.length !== expected) {
        throw new KslError(
          'INVALID',
          `live.detect: rgb has ${bytes.length} bytes, but a ${bw}×${bh} ${region ? 'region' : 'frame'} needs ${expected} (width × height × 3: RGB, one byte per channel, no alpha, no row padding). Send the frame's RGB bytes (a Uint8Array, or base64 in JSON) and its real width and height.`,
          { field: 'rgb', bytes: bytes.length, expected },
        );
      }
      const t2 = performance.now();
      // A camera's frames are one stream: hands are followed between detector runs, within the stream
      // (a Live screen and a kiosk on one model each have theirs; proposals below never follow).
      // The detector checks again that a region lies in the frame (the schema has too).
      const r = await inference.detect(l.key, bytes, width, height, settings, undefined, { track: true, ...(stream ? { stream } : {}), ...(region ? { region } : {}) });
      const totalMs = performance.now() - t1;
      return {
        detections: r.detections,
        width,
        height,
        timing: { preprocessMs: t2 - t1 + r.timing.preprocessMs, inferenceMs: r.timing.inferenceMs, nmsMs: r.timing.nmsMs, ...(r.timing.cropMs !== undefined ? { cropMs: r.timing.cropMs } : {}), ...(r.timing.tracked ? { tracked: true } : {}), totalMs },
        ...(r.next ? { next: r.next } : {}),
        ...(r.incomplete ? { incomplete: true as const } : {}),
      };
    },
    'editor.propose': async ({ modelId, frameIds, settings }) => {
      const { project } = need();
      const l = await ensure(project, modelId, true);
      const r = await proposeBoxes(
        project,
        {
          // A second stage crops hands from the frame at its own size: no resizing to the model input first.
          input: l.info.input.dynamic || l.info.secondStage ? null : { width: l.info.input.width, height: l.info.input.height },
          labelMap: l.info.labelMap,
          detect: (rgb, w, h, s) => inference.detect(l.key, rgb, w, h, s),
        },
        frameIds,
        settings,
      );
      if (r.boxes > 0) emit('catalog.changed', { tables: ['frames', 'boxes'] });
      return r;
    },
  };
}
