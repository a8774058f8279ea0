/**
 * `ksl demo` / `npm run demo`: the whole pipeline on the synthetic sample, the way a user would run it,
 * each stage through the same services the app uses:
 *
 *   ksl sample → init → import keti → extract → ground-truth boxes → split by signer → train (fast)
 *   → evaluate on the held-out signers → export ONNX → detect on a held-out signer's video.
 *
 * Nothing is faked: the metrics are the COCO evaluation of the test split (signers never seen in
 * training), and the live rate is measured by the same detection service as `ksl detect`.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { TrainParams, type ExtractParams } from '../../../src-shared/api';
import type { JobEvent } from '../../../src-shared/jobs';
import { KslError } from '../../../src-shared/result';
import { initProject, type Project } from '../catalog/project';
import { exportRunOnnx } from '../detector/export-onnx';
import { makeSplit, splitSigners } from '../dataset/split';
import { importGroundTruth } from '../ingest/import-groundtruth';
import { importKeti } from '../ingest/keti-import';
import { jobDefinitions } from '../job-kinds';
import { JobManager } from '../jobs/job-manager';
import { generateSample } from '../sample/generate-sample';
import type { TrainResult } from '../training/train-job';

export interface DemoOptions {
  /** Folder for everything the demo writes; must be absent or empty. */
  out: string;
  words?: number;
  signers?: number;
  seconds?: number;
  /** Training steps (default: the `fast` preset's default). */
  steps?: number;
  seed?: number;
  signal?: AbortSignal;
  /** One line per stage, and the running job's progress. */
  onStage?: (stage: DemoStage, message: string) => void;
  onJob?: (e: JobEvent) => void;
  /** Runs the exported model over a video (the `ksl detect` service). */
  detectVideo: (model: string, video: string, labels: string, signal?: AbortSignal) => Promise<DemoDetect>;
}

export type DemoStage = 'sample' | 'import' | 'extract' | 'boxes' | 'split' | 'train' | 'export' | 'detect' | 'done';

export interface DemoDetect {
  frames: number;
  fps: number;
  latencyMs: { p50: number; p95: number };
  /** The word the model said most often on the clip (top detection per frame), with its share of frames. */
  topWord: string | null;
  topWordShare: number;
}

export interface DemoResult {
  project: string;
  model: string;
  labelMap: string;
  run: string;
  metrics: Record<string, number>;
  perWord: TrainResult['perWord'];
  detect: DemoDetect & { video: string; signer: string; word: string };
  split: { train: { frames: number; signers: number }; test: { frames: number; signers: number } };
  seconds: Record<DemoStage | 'total', number>;
}

/** `ksl-demo`, else `ksl-demo-2`, … in `cwd`: a second `npm run demo` never touches the first one's files. */
export function defaultDemoDir(cwd: string): string {
  for (let i = 1; ; i++) {
    const dir = path.join(cwd, i === 1 ? 'ksl-demo' : `ksl-demo-${i}`);
    if (!existsSync(dir)) return dir;
  }
}

interface HeldOutVideo {
  path: string;
  signer: string;
  word: string;
}

/** A video of a test-side signer (never seen in training), resolved to an absolute path. */
function heldOutVideo(project: Project, testSigners: readonly string[]): HeldOutVideo {
  const rows = project.db
    .prepare(
      `SELECT v.path AS path, s.code AS signer, w.text AS word
         FROM videos v JOIN signers s ON s.id = v.signer_id JOIN words w ON w.id = v.word_id
        WHERE v.status = 'extracted' ORDER BY s.code, w.text, v.id`,
    )
    .all() as HeldOutVideo[];
  const held = rows.find((r) => testSigners.includes(r.signer));
  if (!held) throw new KslError('FAILED', 'The demo split has no extracted video of a held-out signer.');
  return { ...held, path: path.isAbsolute(held.path) ? held.path : path.join(project.dir, held.path) };
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = path.resolve(opts.out);
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new KslError('INVALID', `${out} is not empty: give --out a new or empty folder (the demo never writes over earlier work).`);
  }
  mkdirSync(out, { recursive: true });
  const seconds = {} as DemoResult['seconds'];
  const t0 = Date.now();
  let tStage = t0;
  const stage = (s: DemoStage, message: string) => {
    opts.onStage?.(s, message);
  };
  const done = (s: DemoStage) => {
    const now = Date.now();
    seconds[s] = (now - tStage) / 1000;
    tStage = now;
    if (opts.signal?.aborted) throw new KslError('CANCELLED', 'The demo was cancelled.');
  };

  stage('sample', 'writing the synthetic KETI-style sample (sheet, word list, level table, videos, ground truth)…');
  const s = await generateSample({
    out: path.join(out, 'sample'),
    words: opts.words ?? 6,
    signers: opts.signers ?? 10,
    seconds: opts.seconds ?? 3,
    seed: opts.seed ?? 1,
    signal: opts.signal,
  });
  done('sample');

  const projectDir = path.join(out, 'project');
  const p = initProject(projectDir);
  try {
    stage('import', `importing ${s.videos} videos of ${s.wordList.length} words from the sheet…`);
    await importKeti(p, { annotations: s.annotations, words: s.words, labels: s.labels, direction: '정면', type: '단어', videos: s.videosDir });
    done('import');

    const jobs = new JobManager(p, jobDefinitions, { emit: (e) => opts.onJob?.(e) });
    const runJob = async (kind: string, params: unknown): Promise<unknown> => {
      const id = jobs.start(kind, params);
      const onAbort = () => jobs.cancel(id);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const end = await jobs.wait(id);
        if (end.outcome === 'cancelled') throw new KslError('CANCELLED', `The demo was cancelled during ${kind}; the project so far is in ${projectDir}.`);
        if (end.outcome === 'failed') throw new KslError('FAILED', `${kind} failed: ${end.error?.message ?? 'unknown error'}`);
        return end.result;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    };

    stage('extract', 'extracting frames at 5 fps (longest side 640)…');
    const extract: ExtractParams = { mode: 'fps', fps: 5, every: 1, maxSide: 640, format: 'jpg', jobs: 2 };
    await runJob('extract', extract);
    done('extract');

    stage('boxes', "boxing every frame from the sample's ground truth…");
    importGroundTruth(p, s.groundTruth);
    done('boxes');

    stage('split', 'splitting by signer (a third of the signers held out for testing)…');
    const split = makeSplit(p, { by: 'signer', test: 0.33, seed: 42 });
    done('split');

    const params = TrainParams.parse({ splitId: split.id, ...(opts.steps ? { steps: opts.steps } : {}) });
    stage('train', `training the fast preset (${params.steps} steps) and evaluating on the held-out signers…`);
    const trained = (await runJob('train', params)) as TrainResult;
    done('train');

    stage('export', 'exporting the best checkpoint as one ONNX detector…');
    const modelFile = path.join(projectDir, 'runs', trained.run, 'model.onnx');
    const exported = await exportRunOnnx(p, trained.run, modelFile, { signal: opts.signal });
    done('export');

    const testSigners = splitSigners(p, split.id).filter((r) => r.test > 0 && r.train === 0).map((r) => r.signer);
    const video = heldOutVideo(p, testSigners);
    stage('detect', `detecting on a held-out signer's video (${video.signer}, ${video.word})…`);
    const detect = await opts.detectVideo(exported.out, video.path, exported.labelMap, opts.signal);
    done('detect');
    seconds.total = (Date.now() - t0) / 1000;
    stage('done', 'finished');

    return {
      project: projectDir,
      model: exported.out,
      labelMap: exported.labelMap,
      run: trained.run,
      metrics: trained.metrics,
      perWord: trained.perWord,
      detect: { ...detect, video: video.path, signer: video.signer, word: video.word },
      split: {
        train: { frames: split.train.frames, signers: split.train.signers },
        test: { frames: split.test.frames, signers: split.test.signers },
      },
      seconds,
    };
  } finally {
    p.close();
  }
}
