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
import { TrainParams } from '../../../src-shared/api';
import type { JobEvent } from '../../../src-shared/jobs';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { exportRunOnnx } from '../detector/export-onnx';
import { splitSigners } from '../dataset/split';
import { prepareSampleProject, type SampleProjectStage } from '../sample/sample-project';
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

export type DemoStage = SampleProjectStage | 'train' | 'export' | 'detect' | 'done';

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
  seconds: Record<Exclude<DemoStage, 'done'> | 'total', number>;
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
  const t0 = Date.now();
  const prepared = await prepareSampleProject({
    root: out,
    words: opts.words,
    signers: opts.signers,
    seconds: opts.seconds,
    seed: opts.seed,
    signal: opts.signal,
    onStage: opts.onStage,
    onJob: opts.onJob,
  });
  const { project: p, split, runJob } = prepared;
  const seconds: DemoResult['seconds'] = { ...prepared.seconds, train: 0, export: 0, detect: 0, total: 0 };
  let tStage = Date.now();
  const finish = (s: Exclude<DemoStage, 'done'>) => {
    const now = Date.now();
    seconds[s] = (now - tStage) / 1000;
    tStage = now;
    opts.signal?.throwIfAborted();
  };
  try {
    const params = TrainParams.parse({ splitId: split.id, ...(opts.steps ? { steps: opts.steps } : {}) });
    opts.onStage?.('train', `training the fast preset (${params.steps} steps) and evaluating on the held-out signers…`);
    const trained = (await runJob('train', params)) as TrainResult;
    finish('train');

    opts.onStage?.('export', 'exporting the best checkpoint as one ONNX detector…');
    const modelFile = path.join(p.dir, 'runs', trained.run, 'model.onnx');
    const exported = await exportRunOnnx(p, trained.run, modelFile, { signal: opts.signal });
    finish('export');

    const testSigners = splitSigners(p, split.id).filter((r) => r.test > 0 && r.train === 0).map((r) => r.signer);
    const video = heldOutVideo(p, testSigners);
    opts.onStage?.('detect', `detecting on a held-out signer's video (${video.signer}, ${video.word})…`);
    const detect = await opts.detectVideo(exported.out, video.path, exported.labelMap, opts.signal);
    finish('detect');
    seconds.total = (Date.now() - t0) / 1000;
    opts.onStage?.('done', 'finished');

    return {
      project: p.dir,
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
