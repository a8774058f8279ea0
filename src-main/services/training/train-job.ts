/**
 * One-click training of the `fast` preset: the pretrained SSD MobileNetV2 FPNLite backbone (from
 * handtrackjs, frozen) computes features once per frame and augmentation at native speed; a light
 * SSD head (anchors at strides 8/16/32, argmax matcher 0.5, box coder 10/10/5/5, sigmoid focal loss
 * + smooth L1, class bias −4.6, cosine schedule with warm-up) is trained on them with TensorFlow.js;
 * each checkpoint is evaluated on the test split with the app's COCO evaluation and the best is
 * kept. Cancel saves a checkpoint; resume continues with the same schedule.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { TrainParams } from '../../../src-shared/api';
import { evaluateCoco, type CocoDt } from '../../../src-shared/coco/coco-eval';
import { anchorsPerPosition, DEFAULT_ANCHORS, featureMapShapes, generateAnchors, inputDims, type AnchorConfig } from '../../../src-shared/detector/anchors';
import { EVAL_NMS, nonMaxSuppression, type Detection } from '../../../src-shared/detector/nms';
import { KslError } from '../../../src-shared/result';
import { cocoForSplit } from '../dataset/export-coco';
import { labelMapItems, type LabelMapEntry } from '../dataset/label-maps';
import { mulberry32, shuffled } from '../../../src-shared/random';
import { assertNoLeaks, splitForExport } from '../dataset/split';
import { splitExamples, type SplitExample } from '../dataset/split-examples';
import { checkInputDims, PRETRAINED, type InputDims } from '../detector/pretrained';
import type { JobContext, JobDefinition } from '../jobs/job-manager';
import type { DetectionTargets } from '../detector/head/targets';
import { augmentFrame, toModelInput, type NormBox } from './augment';
import { selectBackend } from './tf-backend';
import { defaultGradWorkers, startGradWorker, type GradWorker } from './grad-workers';
import type { StepResult } from '../detector/head/train-step';
import { decodeFittedRgb } from './decode-frames';
import { boxesToFrame, boxToInput, frameFit, type FrameFit } from '../../../src-shared/frame-fit';
import { encodeHalf, HALF_TO_FLOAT } from './half';
import { createFeatureExtractor, featureChannels, featurePositions, type FeatureSet } from './features';
import { contextChannels, contextRows, gatherContextHalf, neighbourTable, neighbours, NO_CONTEXT, type Neighbourhood } from './neighbourhood';
import type { LossOptions } from '../detector/head/losses';
import {
  CROP_META,
  DEFAULT_CROP_TRAINING,
  EVAL_CANDIDATES,
  MINING_CANDIDATES,
  handCandidates,
  loadCropClassifier,
  saveCropClassifier,
  trainCropClassifier,
  type CandidateOptions,
  type CropClassifierMeta,
  type CropClassifierWeights,
} from './crop-classifier';
import { cropTrainingSet, openCropNet, readWords } from './second-stage';
import { appendMetrics, claimNewRun, loadWeights, readJson, runDir, saveWeights, upsertRun, writeJson } from './run-store';

/**
 * Augmentation source: frames are decoded at 1.25 × the network input (400×400 for 320×320), then
 * cropped and resized to the input.
 */
const AUG_SOURCE_SCALE = 1.25;
/** The size training copies are cut from (augmentFrame): the input, AUG_SOURCE_SCALE larger. */
const augSource = (dims: InputDims): InputDims => ({ width: Math.round(dims.width * AUG_SOURCE_SCALE), height: Math.round(dims.height * AUG_SOURCE_SCALE) });

/**
 * Head and sampling settings that are not user parameters (TrainParams): the defaults are what the
 * benchmark measured best; the experiment script (scripts/bench/train-lab.ts) overrides them.
 * Measured on the sample dataset, 400 steps, test AP50 / AP:
 *  - hidden 96 → 256 at 320 positions: 0.528/0.243 → 0.587/0.280, at the same step time as hidden 96 at
 *    640 positions (the hidden layer, not the input width, dominates a step); 640 → 320 positions alone
 *    changed nothing (0.529/0.239 → 0.528/0.243) at half the step time.
 *  - 3×3 context (hidden 96, 320 positions): 0.526/0.264, for 1.4× the step (3× with hidden 256): more
 *    steps of the 1×1 head buy more within the time budget.
 *  - input dropout 0.2: worse (0.459/0.213 at step 300 against 0.513/0.225).
 *  - pretrained class logits as extra channels (raw): far worse early (AP50 0.09 at step 100 vs 0.36).
 * bench:train with these defaults (1200 steps): 0.682/0.342 and 0.649/0.328 in two runs (the second in
 * 588 s wall, features 105 s, load ~1.5 on 2 cores): runs differ by a few hundredths (not traced yet;
 * a likely cause is the frame order of a freshly prepared sample, which parallel extraction may change).
 * Hidden 512 at 160 positions (same step cost): 0.666/0.325 in 543 s.
 *
 * The input size (TrainParams.input) mattered more than any head setting. The sample's 640×360 frames
 * stretched to 320×320 squash hands 2:1; at 400 steps, test AP50 / AP:
 *  - 320×320 0.597/0.298 (confusion: 71% of hands get the right word at IoU 0.5) → 512×288 0.723/0.383
 *    (87%) → 640×352 0.745/0.439 (but 2.2× the feature time and 3.6 GB peak with 3 copies).
 *  - at 512×288: 160 positions per sample 0.644/0.363 (the sampled background matters); peak lr 0.02
 *    0.500 AP50 at step 200 (against 0.663), 0.005 0.700/0.380: 0.01 stays.
 *  - 512×288, 1200 steps: 0.769/0.416 on the test split but 0.930/0.672 on the training split (`ksl eval
 *    --split train`): from there on the gap is generalisation to unseen signers, not fitting.
 *  - 1200 steps, 640×352 and 2 copies: 0.816/0.470 (the default until the second stage, see
 *    AUTO_INPUT_PIXELS); with zoom-out copies (maxScale
 *    1.25) 0.762/0.437; with stronger zoom-in (minScale 0.6) 0.744/0.432; at 512×288 colour jitter ×2
 *    0.678/0.394 (against 0.769/0.416): the signers differ in skin tone, but stronger jitter hurt.
 *    1500 steps at 640×352 (still within 600 s): 0.794/0.462, no better than 1200.
 */
export interface HeadTuning {
  /** The head's input per position: FPN features, optionally with the pretrained detector's class logits. */
  features: FeatureSet;
  /** Spatial context of each position (see neighbourhood.ts). */
  context: Neighbourhood;
  /** Hidden width of the head's MLP. */
  hidden: number;
  /** Positions per sample and step: all near a hand, the rest random. */
  positionsPerSample: number;
  /** Augmented copies: crop scale range (fraction of the source side) and colour jitter. */
  minScale: number;
  /** Largest crop side (fraction of the source); above 1 the copies zoom out (augment.ts). */
  maxScale: number;
  jitter: boolean;
  jitterStrength: number;
  loss: Partial<LossOptions>;
  weightDecay: number;
  /** Dropout on the head's input rows during training (0 = none): a regulariser against learning one signer's look. */
  inputDropout: number;
  /**
   * Helper threads per step (grad-worker.ts): each computes part of the batch's gradients. Default: one
   * on a machine with two or more cores (TensorFlow.js's wasm backend uses one thread in Node), else none.
   */
  gradWorkers?: number;
  /** Where feature caches live; default the run's folder. Shared caches are keyed by data and augmentation. */
  featureCacheDir?: string;
  /** Train the second stage (crop-classifier.ts): the word read again from a close-up of each hand. */
  secondStage: boolean;
  /** Crops per labelled hand for the second stage (one centred, the rest moved, scaled and colour-jittered). */
  cropCopies: number;
  /**
   * Optimiser steps of the second stage's MLP, at most; a run trains it for twice the detector's steps, at
   * least 50. On the 384×224 lab run: 600 steps AP 0.589 (640×352 run), 1200 0.625, 2400 0.662, 1200 at
   * lr 0.002 0.651 (AP50 0.98 throughout): the refined boxes keep improving with training.
   */
  cropSteps: number;
}

export const DEFAULT_TUNING: Readonly<HeadTuning> = Object.freeze({
  features: 'fpn' as FeatureSet,
  context: NO_CONTEXT,
  hidden: 256,
  positionsPerSample: 320,
  minScale: 0.75,
  maxScale: 1,
  jitter: true,
  jitterStrength: 1,
  loss: {},
  weightDecay: 0,
  inputDropout: 0,
  secondStage: true,
  cropCopies: 3,
  cropSteps: 2400,
});

/**
 * Pixels of the automatic network input: 384×224 for 16:9 video. With the second stage reading each
 * word from a close-up at the frame's own resolution, the detector only has to find hands: on the sample,
 * a 384×224 detector with its second stage scored test AP50 0.980 / AP 0.625 against 0.977 / 0.637 at
 * 640×352 (crop-lab.ts), at 38% of the pixels — features cached 2.6× faster and a live frame ~2.5×
 * cheaper. (Alone, the detector needs its pixels: 0.762 / 0.405 at 384×224, 0.816 / 0.470 at 640×352.)
 * 320×192 was tried as the default for live speed (issue #7): `ksl demo` 0.957 / 0.642 against 0.982 /
 * 0.671, and at the live threshold 0.6 its hand scores ran lower: the held-out signer's "119" video had
 * 22 of 91 frames with no word (0 at 384×224), a 1280×720 clip 101 of 360 (7), for a detector ~25%
 * cheaper. Smaller frames are not upscaled.
 */
const AUTO_INPUT_PIXELS = 384 * 224;

/** The checkpoint's optimiser state (Adam's step count and moments), beside checkpoint.bin. */
const OPTIMIZER_CHECKPOINT = 'checkpoint-optimizer';

/**
 * The network input for a run: `WxH` as given, or for 'auto' about AUTO_INPUT_PIXELS (or the frames' own
 * pixels when fewer) at the training frames' median aspect ratio, each side a multiple of 32 (the
 * backbone's coarsest stride). Keeping the aspect ratio keeps hands their shape; stretching 16:9 video
 * to 320×320 squashed them 2:1 and cost test AP50 0.60 → 0.72 at 400 steps on the sample.
 */
export function chooseInput(input: string, frames: readonly { width: number; height: number }[]): InputDims {
  if (input !== 'auto') {
    const m = /^(\d+)x(\d+)$/.exec(input);
    if (!m) throw new KslError('INVALID', `input must be 'auto' or WxH such as 512x288 (got ${JSON.stringify(input)}).`);
    const dims = { width: Number(m[1]), height: Number(m[2]) };
    try {
      checkInputDims(dims);
    } catch (e) {
      throw new KslError('INVALID', `input ${input}: ${(e as Error).message}.`);
    }
    return dims;
  }
  const sized = frames.filter((f) => f.width > 0 && f.height > 0).sort((a, b) => a.width / a.height - b.width / b.height);
  const median = sized[sized.length >> 1];
  const r = median ? median.width / median.height : 1;
  const pixels = Math.min(AUTO_INPUT_PIXELS, median ? median.width * median.height : AUTO_INPUT_PIXELS);
  const snap = (v: number) => Math.min(1024, Math.max(128, Math.round(v / 32) * 32));
  const height = snap(Math.sqrt(pixels / r));
  const width = snap(Math.sqrt(pixels * r));
  return { width, height };
}

export interface RunConfig extends Omit<TrainParams, 'runId'> {
  runId: string;
  splitId: number;
  level: number | undefined;
  anchors: AnchorConfig;
  hidden: number;
  /** The head's spatial context; absent in runs made before it existed (1×1). */
  context?: Neighbourhood;
  /** The feature set; absent in runs made before it existed ('fpn'). */
  features?: FeatureSet;
  tuning?: Omit<HeadTuning, 'featureCacheDir'>;
  classes: { id: number; name: string; text: string; label: string | null }[];
  pretrained: { id: string; package: string; licence: string; architecture: string; scaling: string };
  fingerprint: string;
  createdAt: string;
}

export interface EvalResult {
  step: number;
  stats: Record<string, number>;
  perWord: { id: number; word: string; label: string | null; AP: number; AP50: number; gt: number; dt: number }[];
  /** confusion[gtClass][predClass], predClass C = missed (no detection of any class at IoU ≥ 0.5). */
  confusion: number[][];
  /**
   * Detections scoring ≥ 0.5 (after NMS) by what they hit: the right word on a hand (`correct`), another
   * word on a hand (`wrongWord`), a second box on a hand already found (`duplicate`), a box overlapping a
   * hand at IoU < 0.5 (`poorBox`), or nothing labelled (`background`: the other hand, the face, …).
   */
  errors?: { correct: number; wrongWord: number; duplicate: number; poorBox: number; background: number };
  pr50: { id: number; precision: number[] }[];
  /**
   * Present when these metrics are the two-stage model's (detector + second stage): the detector's own
   * metrics at the same checkpoint, for comparison.
   */
  detector?: Record<string, number>;
}

export interface TrainResult {
  run: string;
  preset: string;
  backend: string;
  featureBackend: string;
  seconds: number;
  steps: number;
  samplesPerSecond: number;
  metrics: Record<string, number>;
  perWord: EvalResult['perWord'];
  bestStep: number;
  splitId: number;
  runDir: string;
  /** The network input the run trained at (pixels). */
  input: InputDims;
  /** The second stage, when the run has one: its training crops and seconds, and the detector's metrics alone. */
  secondStage?: { crops: number; seconds: number; detector: Record<string, number> };
}

function fingerprintOf(train: SplitExample[], test: SplitExample[]): string {
  const h = createHash('sha256');
  for (const side of [train, test]) {
    for (const e of side) h.update(`${e.frameId}|${e.file}|${e.width}x${e.height}|${e.boxes.map((b) => `${b.classId}:${b.x.toFixed(2)},${b.y.toFixed(2)},${b.w.toFixed(2)},${b.h.toFixed(2)}`).join(';')}\n`);
    h.update('--\n');
  }
  return h.digest('hex').slice(0, 16);
}

const normBoxes = (e: SplitExample): NormBox[] =>
  e.boxes.map((b) => ({ ymin: b.y / e.height, xmin: b.x / e.width, ymax: (b.y + b.h) / e.height, xmax: (b.x + b.w) / e.width, cls: b.classId - 1 }));

/** Positions with an anchor matched to a hand or ignored by the matcher (close to one). */
function positionsNearObjects(t: DetectionTargets, A: number): Int32Array {
  const out: number[] = [];
  for (let p = 0; p < t.cls.length / A; p++) {
    for (let a = 0; a < A; a++) {
      if (t.cls[p * A + a] !== -1) {
        out.push(p);
        break;
      }
    }
  }
  return Int32Array.from(out);
}

/**
 * Copies P positions of sample `s` (all near-object ones first, then random others) into `buf` at
 * `offset` and returns the matching targets.
 */
function gatherPositions(pool: Uint16Array, K: number, s: number, t: DetectionTargets, near: Int32Array, A: number, P: number, rand: () => number, table: Int32Array, k: number, buf: Float32Array, offset: number): DetectionTargets {
  const total = table.length / k;
  const chosen = new Int32Array(P);
  const taken = new Uint8Array(total);
  let n = 0;
  for (const p of near) {
    if (n >= P) break;
    chosen[n++] = p;
    taken[p] = 1;
  }
  while (n < P) {
    const p = Math.floor(rand() * total);
    if (taken[p]) continue;
    taken[p] = 1;
    chosen[n++] = p;
  }
  const cls = new Int32Array(P * A);
  const box = new Float32Array(P * A * 4);
  let matched = 0;
  gatherContextHalf(pool, s * total * K, chosen, table, k, buf, offset, K);
  for (let j = 0; j < P; j++) {
    const p = chosen[j]!;
    for (let a = 0; a < A; a++) {
      const c = t.cls[p * A + a]!;
      cls[j * A + a] = c;
      if (c >= 0) matched++;
      for (let q = 0; q < 4; q++) box[(j * A + a) * 4 + q] = t.box[(p * A + a) * 4 + q]!;
    }
  }
  return { cls, box, matched };
}

/** The full preset needs native TensorFlow; without it, say what it would cost. */
function checkFullPreset(params: TrainParams): void {
  let native = false;
  try {
    require.resolve('@tensorflow/tfjs-node');
    native = true;
  } catch {
    native = false;
  }
  if (!native) {
    // TRAINING_SPEED.md: a full step (α1.0 @224, lite head, batch 8) takes ~13–14 s on this kind of CPU.
    const hours = (params.steps * 13.5 * (params.batch / 8)) / 3600;
    throw new KslError(
      'UNAVAILABLE',
      `The full preset fine-tunes the whole backbone and needs @tensorflow/tfjs-node (native TensorFlow), which is not installed here; in pure JavaScript ${params.steps} steps would take about ${hours.toFixed(1)} hours. Use --preset fast, or install @tensorflow/tfjs-node.`,
      { estimatedHours: hours },
    );
  }
  throw new KslError('UNAVAILABLE', 'The full preset is not implemented yet in this version; use --preset fast.');
}

export { selectBackend };

/** Node's single read/write calls stop at 2 GiB; feature caches are larger: move them in chunks. */
const CHUNK = 256 * 1024 * 1024;
function writeLarge(file: string, parts: Uint8Array[]): void {
  const fd = openSync(`${file}.tmp`, 'w');
  try {
    for (const bytes of parts) for (let o = 0; o < bytes.length; o += CHUNK) writeSync(fd, bytes, o, Math.min(CHUNK, bytes.length - o));
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
}
function readLarge(file: string, parts: Uint8Array[]): void {
  const fd = openSync(file, 'r');
  try {
    let position = 0;
    for (const into of parts) {
      for (let o = 0; o < into.length; ) {
        const n = readSync(fd, into, o, Math.min(CHUNK, into.length - o), position);
        if (n <= 0) throw new KslError('FAILED', `${file}: feature cache is shorter than expected; delete it to recompute.`);
        o += n;
        position += n;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export interface FeatureCache {
  /** Training copies' features as half-precision bits (half.ts): half the memory. */
  train: Uint16Array;
  /** Test frames' features, float32 (the metrics match `ksl eval`'s exactly). */
  test: Float32Array;
  /** Channels per position in the pool. */
  channels: number;
  /** The input the features were computed at (frames fitted to it as frame-fit.ts says). */
  dims: InputDims;
  /** Positions per frame in the pool. */
  positions: number;
  trainBoxes: NormBox[][];
  nTrain: number;
  nTest: number;
  backend: string;
}

/** Features for every training copy and test frame, from the run's cache or computed now. */
async function computeFeatures(ctx: JobContext, dir: string, cfg: RunConfig, tuning: HeadTuning, train: SplitExample[], test: SplitExample[]): Promise<FeatureCache> {
  const nTrain = train.length * cfg.copies;
  const nTest = test.length;
  const total = nTrain + nTest;
  const set = cfg.features ?? 'fpn';
  const K = featureChannels(set);
  const dims = inputDims(cfg.anchors);
  const square = dims.height === PRETRAINED.inputSize && dims.width === PRETRAINED.inputSize;
  const positions = featurePositions(dims);
  const frameSize = positions * K;
  const src = augSource(dims);
  // Frames far from the input's shape are padded, not stretched (decodeFittedRgb). Projects whose frames
  // all have about the input's shape keep the key (and the cache) they had before padding existed.
  const padded = [...train, ...test].some((e) => frameFit(e.width, e.height, dims.width, dims.height).mode === 'pad');
  const augKey = {
    minScale: tuning.minScale,
    ...(tuning.maxScale !== 1 ? { maxScale: tuning.maxScale } : {}),
    jitter: tuning.jitter,
    ...(tuning.jitterStrength !== 1 ? { jitterStrength: tuning.jitterStrength } : {}),
    features: set,
    storage: 'f16+f32',
    ...(square ? {} : { input: `${dims.height}x${dims.width}` }),
    ...(padded ? { fit: 'pad' } : {}),
  };
  let metaFile = path.join(dir, 'features.json');
  let binFile = path.join(dir, 'features.bin');
  if (tuning.featureCacheDir) {
    const key = createHash('sha256').update(JSON.stringify({ f: cfg.fingerprint, copies: cfg.copies, seed: cfg.seed, augKey })).digest('hex').slice(0, 16);
    mkdirSync(tuning.featureCacheDir, { recursive: true });
    metaFile = path.join(tuning.featureCacheDir, `features-${key}.json`);
    binFile = path.join(tuning.featureCacheDir, `features-${key}.bin`);
  }
  const meta = readJson<{ fingerprint: string; nTrain: number; nTest: number; copies: number; seed: number; backend: string; trainBoxes: NormBox[][]; augKey?: typeof augKey }>(metaFile);
  if (meta && meta.fingerprint === cfg.fingerprint && meta.nTrain === nTrain && meta.nTest === nTest && JSON.stringify(meta.augKey) === JSON.stringify(augKey) && existsSync(binFile)) {
    ctx.progress(total, total, 'Features from the run cache');
    const train = new Uint16Array(nTrain * frameSize);
    const testPool = new Float32Array(nTest * frameSize);
    readLarge(binFile, [new Uint8Array(train.buffer), new Uint8Array(testPool.buffer)]);
    return { train, test: testPool, channels: K, dims, positions, trainBoxes: meta.trainBoxes, nTrain, nTest, backend: meta.backend };
  }
  const trainPool = new Uint16Array(nTrain * frameSize);
  const testPool = new Float32Array(nTest * frameSize);
  const scratch = new Float32Array(frameSize);
  const extractor = await createFeatureExtractor('auto', path.join(ctx.project.dir, 'runs', '.cache'), set, dims);
  const trainBoxes: NormBox[][] = new Array(nTrain);
  const rand = mulberry32(cfg.seed ^ 0x5eed);
  let done = 0;
  const t0 = Date.now();
  const report = () => ctx.progress(done, total, `Computing features (${extractor.backend}): ${done}/${total}`, { featuresPerSecond: done / Math.max(1e-3, (Date.now() - t0) / 1000) });
  // One backbone pass in flight while the next copy is augmented (see submit).
  let inflight: Promise<void> | undefined;
  try {
    const files = (ex: SplitExample[]) => ex.map((e) => ({ file: path.join(ctx.project.dir, e.file), width: e.width, height: e.height }));
    // One backbone pass in flight while the next copy is augmented: onnxruntime-node runs a session
    // off the JS thread, so cropping, resizing and jitter overlap inference when a second core is free.
    const submit = async (input: Float32Array, after: () => void) => {
      if (inflight) await inflight;
      inflight = extractor.run(input, scratch, 0).then(after);
    };
    await decodeFittedRgb(
      files(train),
      src.width,
      src.height,
      async (i, rgb, fit) => {
        const ex = train[i]!;
        const boxes = normBoxes(ex).map((b) => boxToInput(b, fit, src.width, src.height));
        for (let c = 0; c < cfg.copies; c++) {
          const aug = augmentFrame(rgb, src.width, src.height, boxes, dims, rand, {
            crop: c > 0,
            jitter: c > 0 && tuning.jitter,
            minScale: tuning.minScale,
            maxScale: tuning.maxScale,
            jitterStrength: tuning.jitterStrength,
          });
          const slot = i * cfg.copies + c;
          trainBoxes[slot] = aug.boxes;
          await submit(toModelInput(aug.rgb), () => {
            encodeHalf(scratch, trainPool, slot * frameSize);
            done++;
          });
        }
        report();
      },
      ctx.signal,
    );
    if (inflight) await inflight;
    inflight = undefined;
    await decodeFittedRgb(
      files(test),
      dims.width,
      dims.height,
      async (i, rgb) => {
        await submit(toModelInput(rgb), () => {
          testPool.set(scratch, i * frameSize);
          done++;
        });
        report();
      },
      ctx.signal,
    );
    if (inflight) await inflight;
  } finally {
    // A pass still running when decoding failed or was cancelled: let it end before closing.
    await inflight?.catch(() => undefined);
    await extractor.close();
  }
  // Cached for resume: a resumed run starts training at once.
  writeLarge(binFile, [new Uint8Array(trainPool.buffer), new Uint8Array(testPool.buffer)]);
  writeJson(metaFile, { fingerprint: cfg.fingerprint, nTrain, nTest, copies: cfg.copies, seed: cfg.seed, backend: extractor.backend, trainBoxes, augKey });
  return { train: trainPool, test: testPool, channels: K, dims, positions, trainBoxes, nTrain, nTest, backend: extractor.backend };
}

/**
 * The detector (stage one) over the test features: per frame, the word detections after class-wise NMS
 * and, for the second stage, the candidate hands (class-agnostic NMS over hand scores). With `fitted`
 * (each frame's fit into a width×height input, as decodeFittedRgb fitted it), the boxes of padded frames
 * are mapped back onto the frame (boxesToFrame) first; without it, frames were stretched.
 */
export function stageOne(
  tf: typeof import('@tensorflow/tfjs'),
  trainer: import('../detector/head/train-step').Trainer,
  cache: FeatureCache,
  frames: number,
  classes: number,
  context: Neighbourhood = NO_CONTEXT,
  levelShapes: readonly (readonly [number, number])[] = featureMapShapes(DEFAULT_ANCHORS),
  candidates: Partial<CandidateOptions> | null = null,
  fitted?: { fits: readonly FrameFit[]; width: number; height: number },
): { words: Detection[][]; hands: Detection[][] } {
  const words: Detection[][] = [];
  const hands: Detection[][] = [];
  const table = neighbourTable(context, levelShapes);
  // Context rows are neighbours × larger than the features: smaller batches keep memory flat.
  const B = context.radius === 0 ? 16 : 4;
  for (let s = 0; s < frames; s += B) {
    const n = Math.min(B, frames - s);
    const x = tf.tensor3d(contextRows(cache.test, s, n, context, table, cache.channels, cache.positions), [n, cache.positions, contextChannels(context, cache.channels)]);
    const preds = trainer.predict(x);
    x.dispose();
    for (const [k, p] of preds.entries()) {
      const fit = fitted?.fits[s + k];
      if (fit?.mode === 'pad') boxesToFrame(p.boxes, p.scores, classes, fit, fitted!.width, fitted!.height);
      words.push(nonMaxSuppression(p.boxes, p.scores, EVAL_NMS));
      if (candidates) hands.push(handCandidates(p.boxes, p.scores, classes, candidates));
    }
  }
  return { words, hands };
}

/**
 * Runs the head over the test features and scores the detections with the COCO evaluation. With `second`,
 * the two-stage model's metrics: the detector's candidate hands (EVAL_CANDIDATES) read by the second stage
 * (the two likeliest words each, scored hand × P(word), refined boxes), the detector's own in `detector`.
 */
export async function evaluate(
  tf: typeof import('@tensorflow/tfjs'),
  trainer: import('../detector/head/train-step').Trainer,
  cache: FeatureCache,
  test: SplitExample[],
  gt: ReturnType<typeof cocoForSplit>['coco'],
  labelMap: LabelMapEntry[],
  step: number,
  context: Neighbourhood = NO_CONTEXT,
  levelShapes: readonly (readonly [number, number])[] = featureMapShapes(DEFAULT_ANCHORS),
  second?: { stage: SecondStage; projectDir: string; signal?: AbortSignal },
): Promise<EvalResult> {
  const { width, height } = cache.dims;
  const fits = test.map((e) => frameFit(e.width, e.height, width, height));
  const { words, hands } = stageOne(tf, trainer, cache, test.length, labelMap.length, context, levelShapes, second ? EVAL_CANDIDATES : null, { fits, width, height });
  const detector = scoreDetections(words, test, gt, labelMap, step);
  if (!second) return detector;
  const net = await openCropNet(path.join(second.projectDir, 'runs', '.cache'), second.stage.meta);
  let read: Detection[][];
  try {
    read = await readWords(net, second.stage.weights, second.projectDir, test, hands, 2, second.signal, second.stage.meta);
  } finally {
    await net.close();
  }
  return { ...scoreDetections(read, test, gt, labelMap, step), detector: detector.stats };
}

/**
 * Scores per-frame detections (normalised boxes, class index) against the split's ground truth: COCO
 * metrics, per-word AP, confusion matrix, error breakdown and PR curves.
 */
export function scoreDetections(perFrame: readonly Detection[][], test: SplitExample[], gt: ReturnType<typeof cocoForSplit>['coco'], labelMap: LabelMapEntry[], step: number): EvalResult {
  const dets: CocoDt[] = [];
  const C = labelMap.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C + 1).fill(0));
  const errors = { correct: 0, wrongWord: 0, duplicate: 0, poorBox: 0, background: 0 };
  for (let k = 0; k < test.length; k++) {
    const ex = test[k]!;
    const found = perFrame[k]!;
    for (const d of found) {
      const [ymin, xmin, ymax, xmax] = d.box;
      const x0 = Math.max(0, xmin) * ex.width;
      const y0 = Math.max(0, ymin) * ex.height;
      const x1 = Math.min(1, xmax) * ex.width;
      const y1 = Math.min(1, ymax) * ex.height;
      dets.push({ image_id: ex.frameId, category_id: d.cls + 1, bbox: [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)], score: d.score });
    }
    const iouWith = (d: (typeof found)[number], b: (typeof ex.boxes)[number]) => {
      const [ymin, xmin, ymax, xmax] = d.box;
      const ix = Math.max(0, Math.min(xmax * ex.width, b.x + b.w) - Math.max(xmin * ex.width, b.x));
      const iy = Math.max(0, Math.min(ymax * ex.height, b.y + b.h) - Math.max(ymin * ex.height, b.y));
      const inter = ix * iy;
      const union = b.w * b.h + (xmax - xmin) * ex.width * (ymax - ymin) * ex.height - inter;
      return union > 0 ? inter / union : 0;
    };
    const hit = new Set<number>();
    for (const d of [...found].sort((p, q) => q.score - p.score)) {
      if (d.score < 0.5) continue;
      let bestIou = 0;
      let bestBox = -1;
      ex.boxes.forEach((b, j) => {
        const v = iouWith(d, b);
        if (v > bestIou) [bestIou, bestBox] = [v, j];
      });
      if (bestIou < 0.1) errors.background++;
      else if (bestIou < 0.5) errors.poorBox++;
      else if (hit.has(bestBox)) errors.duplicate++;
      else {
        hit.add(bestBox);
        if (ex.boxes[bestBox]!.classId - 1 === d.cls) errors.correct++;
        else errors.wrongWord++;
      }
    }
    // confusion: for each ground-truth box, the class of the best-scoring detection overlapping it
    for (const b of ex.boxes) {
      let best = -1;
      let bestScore = 0;
      for (const d of found) {
        const [ymin, xmin, ymax, xmax] = d.box;
        const ix = Math.max(0, Math.min(xmax * ex.width, b.x + b.w) - Math.max(xmin * ex.width, b.x));
        const iy = Math.max(0, Math.min(ymax * ex.height, b.y + b.h) - Math.max(ymin * ex.height, b.y));
        const inter = ix * iy;
        const union = b.w * b.h + (xmax - xmin) * ex.width * (ymax - ymin) * ex.height - inter;
        if (union > 0 && inter / union >= 0.5 && d.score > bestScore && d.score >= 0.3) {
          best = d.cls;
          bestScore = d.score;
        }
      }
      confusion[b.classId - 1]![best < 0 ? C : best]!++;
    }
  }
  const r = evaluateCoco(gt, dets);
  const byId = new Map(labelMap.map((l) => [l.id, l]));
  return {
    step,
    stats: { ...r.stats },
    perWord: r.perCategory.map((c) => ({ id: c.id, word: byId.get(c.id)?.text ?? c.name, label: byId.get(c.id)?.label ?? null, AP: c.AP, AP50: c.AP50, gt: c.gt, dt: c.dt })),
    confusion,
    errors,
    pr50: r.perCategory.map((c) => ({ id: c.id, precision: Array.from(c.pr50 ?? []) })),
  };
}

/** A run's trained second stage. */
export interface SecondStage {
  weights: CropClassifierWeights;
  meta: CropClassifierMeta;
}

/**
 * The trained detector's candidate hands on the training frames as they are (each frame's first,
 * unaugmented copy in the feature cache), for mining the second stage's crops.
 */
function trainingCandidates(
  tf: typeof import('@tensorflow/tfjs'),
  trainer: import('../detector/head/train-step').Trainer,
  cache: FeatureCache,
  copies: number,
  train: readonly { width: number; height: number }[],
  classes: number,
  context: Neighbourhood,
  levelShapes: readonly (readonly [number, number])[],
): Detection[][] {
  const frames = train.length;
  // The unaugmented copy is the whole source picture (a padded frame's bars too) scaled to the input:
  // its boxes are normalised as in the source.
  const src = augSource(cache.dims);
  const fits = train.map((e) => frameFit(e.width, e.height, src.width, src.height));
  const chunk = 32;
  const frameSize = cache.positions * cache.channels;
  const buf = new Float32Array(Math.min(chunk, frames) * frameSize);
  const out: Detection[][] = [];
  for (let s = 0; s < frames; s += chunk) {
    const n = Math.min(chunk, frames - s);
    for (let k = 0; k < n; k++) {
      const base = (s + k) * copies * frameSize;
      for (let j = 0; j < frameSize; j++) buf[k * frameSize + j] = HALF_TO_FLOAT[cache.train[base + j]!]!;
    }
    out.push(...stageOne(tf, trainer, { ...cache, test: buf }, n, classes, context, levelShapes, MINING_CANDIDATES, { fits: fits.slice(s, s + n), ...src }).hands);
  }
  return out;
}

/**
 * The run's second stage: loaded when an earlier attempt of the run trained it, otherwise trained now on
 * close-ups of the training hands and of the detector's own candidates (`candidates`, per training
 * example): those on a hand as extra crops of it, confident ones on no hand as "no sign". Undefined (with a
 * progress message) where onnxruntime-node cannot run the crop backbone: the run then keeps the detector's
 * words.
 */
async function prepareSecondStage(
  ctx: JobContext,
  dir: string,
  tf: typeof import('@tensorflow/tfjs'),
  train: SplitExample[],
  classes: number,
  seed: number,
  tuning: HeadTuning,
  detectorSteps: number,
  candidates: () => Detection[][],
): Promise<(SecondStage & { crops: number; seconds: number }) | undefined> {
  const saved = loadCropClassifier(dir);
  if (saved) return { ...saved, crops: Number(saved.extra.crops ?? 0), seconds: Number(saved.extra.seconds ?? 0) };
  const t0 = Date.now();
  ctx.progress(0, 1, 'Second stage: the detector looks for hands in the training frames…');
  const mined = candidates();
  let net: Awaited<ReturnType<typeof openCropNet>>;
  try {
    net = await openCropNet(path.join(ctx.project.dir, 'runs', '.cache'));
  } catch (e) {
    ctx.progress(0, 1, `No second stage: the crop backbone does not run here (${(e as Error).message})`);
    return undefined;
  }
  let set: Awaited<ReturnType<typeof cropTrainingSet>>;
  try {
    set = await cropTrainingSet(net, ctx.project.dir, train, tuning.cropCopies, seed, (done, total) => ctx.progress(done, total, `Close-ups of the hands: ${done}/${total}`), ctx.signal, CROP_META, mined, classes);
  } finally {
    await net.close();
  }
  const steps = Math.min(tuning.cropSteps, Math.max(50, 2 * detectorSteps));
  // A "no sign" output only when the detector made confident mistakes to learn it from.
  const background = set.mined.noSign > 0;
  const weights = await trainCropClassifier(
    tf,
    set.x,
    set.labels,
    set.boxTargets,
    classes + (background ? 1 : 0),
    { ...DEFAULT_CROP_TRAINING, steps, seed, background },
    async (step, loss) => {
      if (ctx.signal.aborted) throw new KslError('CANCELLED', 'Cancelled while training the second stage; resume to start it again.');
      ctx.progress(step + 1, steps, `Second stage (word from the close-up): step ${step + 1}/${steps} loss ${loss.toFixed(4)}`);
      await new Promise((resolve) => setImmediate(resolve));
    },
    set.boxWeights,
  );
  const seconds = (Date.now() - t0) / 1000;
  saveCropClassifier(dir, weights, CROP_META, { crops: set.labels.length, minedHands: set.mined.hands, noSign: set.mined.noSign, copies: tuning.cropCopies, steps, seconds });
  return { weights, meta: CROP_META, crops: set.labels.length, seconds };
}

/** The train job with head settings other than the defaults (experiments). */
export function createTrainJob(overrides: Partial<HeadTuning> = {}): JobDefinition<TrainParams> {
  const tuning: HeadTuning = { ...DEFAULT_TUNING, ...overrides };
  return {
  kind: 'train',
  resumable: true,
  async run(ctx: JobContext, params: TrainParams): Promise<TrainResult> {
    if (params.preset === 'full') checkFullPreset(params);
    const t0 = Date.now();
    const project = ctx.project;
    // A job resumed by the job manager gets its original params: remember the run id it chose.
    const runId = params.runId ?? (readJson<{ runId: string }>(path.join(project.dir, 'runs', `.job-${ctx.jobId}.json`))?.runId ?? claimNewRun(project, params.level));
    const dir = runDir(project, runId);
    mkdirSync(dir, { recursive: true });
    writeJson(path.join(project.dir, 'runs', `.job-${ctx.jobId}.json`), { runId });
    const previous = readJson<RunConfig>(path.join(dir, 'run.json'));

    const split = splitForExport(project, { splitId: previous?.splitId ?? params.splitId, level: previous ? previous.level ?? null : params.level });
    assertNoLeaks(split.report, previous?.force ?? params.force);
    const labelMap = labelMapItems(project, split.level);
    if (labelMap.length === 0) throw new KslError('INVALID', `No words in ${split.level === null ? 'the project' : `level ${split.level}`} to train on.`);
    const train = splitExamples(project, split.id, 'train', labelMap).examples;
    const test = splitExamples(project, split.id, 'test', labelMap).examples;
    if (train.length === 0) throw new KslError('INVALID', `Split ${split.id} has no training frames with boxes.`);
    if (test.length === 0) throw new KslError('INVALID', `Split ${split.id} has no test frames: the metrics would mean nothing.`);
    const fingerprint = fingerprintOf(train, test);
    if (previous && previous.fingerprint !== fingerprint) {
      throw new KslError('CONFLICT', `Run ${runId}: the labelled data changed since it started (fingerprint ${previous.fingerprint} → ${fingerprint}); start a new run.`);
    }
    const { runId: _ignored, ...rest } = params;
    const cfg: RunConfig = previous ?? {
      ...rest,
      runId,
      splitId: split.id,
      level: split.level ?? undefined,
      anchors: {
        ...DEFAULT_ANCHORS,
        strides: [...DEFAULT_ANCHORS.strides],
        baseSizes: [...DEFAULT_ANCHORS.baseSizes],
        aspectRatios: [...DEFAULT_ANCHORS.aspectRatios],
        ...((dims) => (dims.height !== DEFAULT_ANCHORS.inputSize || dims.width !== DEFAULT_ANCHORS.inputSize ? { inputHeight: dims.height, inputWidth: dims.width } : {}))(
          chooseInput(params.input, train),
        ),
      },
      hidden: tuning.hidden,
      context: { ...tuning.context },
      features: tuning.features,
      tuning: { ...(({ featureCacheDir: _dir, ...t }) => t)(tuning) },
      classes: labelMap.map((l) => ({ id: l.id, name: l.name, text: l.text, label: l.label })),
      pretrained: { id: PRETRAINED.id, package: PRETRAINED.package, licence: PRETRAINED.licence, architecture: PRETRAINED.architecture, scaling: PRETRAINED.scaling },
      fingerprint,
      createdAt: new Date().toISOString(),
    };

    const backend = await selectBackend();
    const tf = await import('@tensorflow/tfjs');
    const { createHead } = await import('../detector/head/ssd-head');
    const { createTrainer } = await import('../detector/head/train-step');
    const { buildTargets, batchTargets } = await import('../detector/head/targets');
    writeJson(path.join(dir, 'run.json'), { ...cfg, backend });
    upsertRun(project, { id: runId, splitId: split.id, level: split.level, preset: cfg.preset, backend, config: cfg, fingerprint, status: 'running' });

    const cache = await computeFeatures(ctx, dir, cfg, tuning, train, test);
    const runTuning: HeadTuning = { ...DEFAULT_TUNING, ...cfg.tuning };
    let second: Awaited<ReturnType<typeof prepareSecondStage>>;
    const anchors = generateAnchors(cfg.anchors);
    const A = anchorsPerPosition(cfg.anchors);
    const targets = cache.trainBoxes.map((boxes) => buildTargets(boxes, anchors, { numClasses: labelMap.length }));
    const gt = cocoForSplit(project, { splitId: split.id, side: 'test' }).coco;

    const context = cfg.context ?? NO_CONTEXT;
    const Kin = contextChannels(context, cache.channels);
    const levelShapes = featureMapShapes(cfg.anchors);
    const table = neighbourTable(context, levelShapes);
    const head = createHead({ channels: Kin, hidden: cfg.hidden, anchorsPerPosition: A, numClasses: labelMap.length, seed: cfg.seed });
    const checkpoint = loadWeights(dir, 'checkpoint');
    const startStep = checkpoint ? checkpoint.header.step : 0;
    if (checkpoint) head.setWeights(checkpoint.weights);
    const trainer = createTrainer(head, { optimizer: 'adam', schedule: { base: cfg.lr, total: cfg.steps }, anchors, startStep, loss: cfg.tuning?.loss ?? {}, weightDecay: cfg.tuning?.weightDecay ?? 0 });
    if (checkpoint) {
      // Adam's moments at the checkpoint: the resumed run takes the steps the stopped one would have.
      // A checkpoint from before they were kept (or whose state is from another step) restarts them.
      const state = loadWeights(dir, OPTIMIZER_CHECKPOINT);
      let why: string | null = null;
      if (!state) why = 'the checkpoint has none';
      else if (state.header.step !== startStep) why = `the saved state is from step ${state.header.step}`;
      else if (state.weights.length > 0) {
        // (none when the run was stopped before its first step: fresh moments are then exactly right)
        try {
          await trainer.restoreOptimizer(state.weights);
        } catch (e) {
          why = (e as Error).message;
        }
      }
      if (why) ctx.progress(startStep, cfg.steps, `Resuming at step ${startStep} with fresh optimiser moments (${why})`);
    }
    let best = readJson<EvalResult & { step: number }>(path.join(dir, 'best-metrics.json'));
    const every = Math.max(1, Math.ceil(cfg.steps / cfg.checkpoints));
    const B = Math.min(cfg.batch, cache.nTrain);
    // Each step sees every position near a hand and a random subset of the others: the head is a
    // per-position MLP, so this is the same model at a third of the cost; easy background, which
    // focal loss weighs down anyway, is what gets subsampled.
    const P = Math.min(cache.positions, cfg.tuning?.positionsPerSample ?? DEFAULT_TUNING.positionsPerSample);
    const nearHands = targets.map((t) => positionsNearObjects(t, A));
    const batchBuf = new Float32Array(B * P * Kin);
    const allSamples = Array.from({ length: cache.nTrain }, (_, i) => i);
    let order: number[] = [];
    let orderEpoch = -1;
    let last = { loss: 0, cls: 0, box: 0, lr: 0 };
    const trainStart = Date.now();

    // The optimiser's state first: a checkpoint whose step it does not match restarts the moments, never
    // pairs weights with another step's moments.
    const saveCheckpoint = async (step: number) => {
      saveWeights(dir, OPTIMIZER_CHECKPOINT, step, await trainer.optimizerState());
      saveWeights(dir, 'checkpoint', step, head.getWeights());
    };
    // A second thread computes part of every step's gradients (same update, see Trainer.stepSplit).
    let helper: GradWorker | null = null;
    if ((tuning.gradWorkers ?? defaultGradWorkers()) > 0 && B >= 2) {
      helper = await startGradWorker(head.config, cfg.tuning?.loss ?? {}).catch((e: Error) => {
        ctx.progress(startStep, cfg.steps, `Training on one thread (${e.message})`);
        return null;
      });
    }
    const mainPart = Math.ceil(B / 2);
    try {
      for (let step = startStep; step < cfg.steps; step++) {
        // A step is synchronous tfjs work: yield so that cancel requests, other API calls and
        // progress delivery get their turn between steps.
        await new Promise((resolve) => setImmediate(resolve));
        if (ctx.signal.aborted) {
          await saveCheckpoint(step);
          throw new KslError('CANCELLED', `Cancelled at step ${step}; resume with: ksl train PROJECT --resume ${runId}`);
        }
        // A seeded permutation per epoch: the same steps see the same batches after a resume.
        const epoch = Math.floor((step * B) / cache.nTrain);
        if (epoch !== orderEpoch) {
          order = shuffled(allSamples, mulberry32(cfg.seed * 7919 + epoch));
          orderEpoch = epoch;
        }
        const idx: number[] = [];
        for (let k = 0; k < B; k++) idx.push(order[(step * B + k) % cache.nTrain]!);
        const posRand = mulberry32(cfg.seed * 104729 + step);
        const picked = idx.map((s, k) => gatherPositions(cache.train, cache.channels, s, targets[s]!, nearHands[s]!, A, P, posRand, table, neighbours(context), batchBuf, k * P * Kin));
        const drop = cfg.tuning?.inputDropout ?? 0;
        if (drop > 0) {
          // Inverted dropout, seeded per step (same masks after a resume).
          const keep = 1 / (1 - drop);
          const dr = mulberry32(cfg.seed * 15485863 + step);
          for (let j = 0; j < batchBuf.length; j++) batchBuf[j] = dr() < drop ? 0 : batchBuf[j]! * keep;
        }
        let r: StepResult | undefined;
        if (helper) {
          const mine = batchTargets(picked.slice(0, mainPart));
          const theirs = batchTargets(picked.slice(mainPart));
          const matchedTotal = mine.matched + theirs.matched;
          const other = helper.grads(head.getWeights(), batchBuf.slice(mainPart * P * Kin), [B - mainPart, P, Kin], theirs, matchedTotal);
          const x = tf.tensor3d(batchBuf.subarray(0, mainPart * P * Kin), [mainPart, P, Kin]);
          try {
            r = await trainer.stepSplit(x, mine, matchedTotal, [other]);
          } catch (e) {
            // A failed worker leaves the weights untouched: finish the run on this thread.
            if (!/gradient worker/.test((e as Error).message)) throw e;
            ctx.progress(step, cfg.steps, `Training on one thread from step ${step + 1} (${(e as Error).message})`);
            await helper.close().catch(() => undefined);
            helper = null;
          } finally {
            x.dispose();
          }
        }
        if (!r) {
          const x = tf.tensor3d(batchBuf, [B, P, Kin]);
          try {
            r = trainer.step(x, batchTargets(picked));
          } finally {
            x.dispose();
          }
        }
        last = r;
        const elapsed = (Date.now() - trainStart) / 1000;
        const sps = ((step + 1 - startStep) * B) / Math.max(1e-3, elapsed);
        ctx.progress(step + 1, cfg.steps, `step ${step + 1}/${cfg.steps} loss ${r.loss.toFixed(4)}`, {
          step: step + 1,
          loss: r.loss,
          clsLoss: r.cls,
          boxLoss: r.box,
          lr: r.lr,
          samplesPerSecond: sps,
          ...(best ? { bestAP: best.stats.AP!, bestAP50: best.stats.AP50! } : {}),
        });
        if ((step + 1) % every === 0 || step + 1 === cfg.steps) {
          await saveCheckpoint(step + 1);
          const ev = await evaluate(tf, trainer, cache, test, gt, labelMap, step + 1, context, levelShapes);
          appendMetrics(dir, { step: step + 1, loss: r.loss, cls: r.cls, box: r.box, lr: r.lr, ...ev.stats });
          // Checkpoints compete on the detector's own metrics (a finished two-stage result keeps them in `detector`).
          const bestDetector = best?.detector ?? best?.stats;
          if (!best || !bestDetector || ev.stats.AP! > bestDetector.AP! || (ev.stats.AP === bestDetector.AP && ev.stats.AP50! > bestDetector.AP50!)) {
            best = ev;
            saveWeights(dir, 'best', step + 1, head.getWeights(), { stats: ev.stats });
            writeJson(path.join(dir, 'best-metrics.json'), ev);
          }
          ctx.progress(step + 1, cfg.steps, `step ${step + 1}: test AP ${ev.stats.AP!.toFixed(3)}, AP50 ${ev.stats.AP50!.toFixed(3)}`, {
            step: step + 1,
            loss: r.loss,
            clsLoss: r.cls,
            boxLoss: r.box,
            lr: r.lr,
            samplesPerSecond: sps,
            AP: ev.stats.AP!,
            AP50: ev.stats.AP50!,
            bestAP: best.stats.AP!,
            bestAP50: best.stats.AP50!,
          });
          ctx.changed(['runs']);
        }
      }
      // Runs recorded before the second stage existed finish without one.
      if (cfg.tuning?.secondStage === true && best) {
        // The best checkpoint mines the second stage's crops, and with it makes the model that gets exported.
        const saved = loadWeights(dir, 'best');
        if (saved) head.setWeights(saved.weights);
        second = await prepareSecondStage(ctx, dir, tf, train, labelMap.length, cfg.seed, runTuning, cfg.steps, () =>
          trainingCandidates(tf, trainer, cache, cfg.copies, train, labelMap.length, context, levelShapes),
        );
      }
      if (second && best) {
        ctx.progress(cfg.steps, cfg.steps, 'Second stage: reading the words of the test hands from close-ups…');
        best = await evaluate(tf, trainer, cache, test, gt, labelMap, best.step, context, levelShapes, { stage: second, projectDir: project.dir, signal: ctx.signal });
        writeJson(path.join(dir, 'best-metrics.json'), best);
        ctx.progress(cfg.steps, cfg.steps, `With the second stage: test AP ${best.stats.AP!.toFixed(3)}, AP50 ${best.stats.AP50!.toFixed(3)} (detector alone ${best.detector!.AP!.toFixed(3)}, ${best.detector!.AP50!.toFixed(3)})`, {
          step: cfg.steps,
          loss: last.loss,
          clsLoss: last.cls,
          boxLoss: last.box,
          lr: last.lr,
          samplesPerSecond: ((cfg.steps - startStep) * B) / Math.max(1e-3, (Date.now() - trainStart) / 1000),
          AP: best.stats.AP!,
          AP50: best.stats.AP50!,
          bestAP: best.stats.AP!,
          bestAP50: best.stats.AP50!,
        });
      }
    } catch (e) {
      upsertRun(project, { id: runId, splitId: split.id, level: split.level, preset: cfg.preset, backend, config: cfg, fingerprint, status: ctx.signal.aborted ? 'cancelled' : 'failed', metrics: best?.stats });
      throw e;
    } finally {
      await helper?.close().catch(() => undefined);
      trainer.dispose();
      head.dispose();
    }
    const seconds = (Date.now() - t0) / 1000;
    const result: TrainResult = {
      run: runId,
      preset: cfg.preset,
      backend: `tfjs-${backend}`,
      featureBackend: cache.backend,
      seconds,
      steps: cfg.steps,
      samplesPerSecond: ((cfg.steps - startStep) * B) / Math.max(1e-3, (Date.now() - trainStart) / 1000),
      metrics: best!.stats,
      perWord: best!.perWord,
      bestStep: best!.step,
      splitId: split.id,
      runDir: path.relative(project.dir, dir),
      input: inputDims(cfg.anchors),
      ...(second && best!.detector ? { secondStage: { crops: second.crops, seconds: second.seconds, detector: best!.detector } } : {}),
    };
    writeJson(path.join(dir, 'result.json'), { ...result, lastLoss: last });
    upsertRun(project, { id: runId, splitId: split.id, level: split.level, preset: cfg.preset, backend: result.backend, config: cfg, fingerprint, status: 'ok', metrics: { ...best!.stats, bestStep: best!.step, seconds }, finished: true });
    // The job's note of its run id is for resuming; a finished job is not resumed.
    rmSync(path.join(project.dir, 'runs', `.job-${ctx.jobId}.json`), { force: true });
    ctx.changed(['runs']);
    return result;
  },
};
}

export const trainJob: JobDefinition<TrainParams> = createTrainJob();
