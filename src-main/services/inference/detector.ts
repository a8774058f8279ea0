/**
 * One detector in the current thread: an onnxruntime-node session, its layout (model-layout.ts), its
 * label map, and `detect(rgb)` = preprocessing identical to training → inference → threshold + class-wise
 * NMS + max. The inference worker (inference-worker.ts) holds these for the app; `ksl detect` and the
 * benchmark use one directly (they have no UI thread to keep free).
 *
 * Two stages: when `<model stem>.crop.onnx` (export-onnx.ts) lies beside one of our models, the detector's
 * boxes only propose hands (class-agnostic NMS over 1 − Π(1 − p_k)); each candidate is cropped from the
 * frame as given (its own resolution, not the model input), the crop model reads the word and refines the
 * box, and the detection scores hand × P(word | crop). Without that file the detector's own class scores
 * decide, as before.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { LIVE_DEFAULTS, type LiveDetection, type LiveModelFormat, type LiveSettings } from '../../../src-shared/api-live';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import { nonMaxSuppression } from '../../../src-shared/detector/nms';
import { readModelMetadata } from '../detector/onnx/onnx-proto';
import { CANDIDATE_IOU, CROP_META, cropReads, cropRgb, cropWindow, decodeCropBox, handCandidates, twoStageScore, type CropClassifierMeta, type CropWindow } from '../training/crop-classifier';
import type { FramePart } from '../training/augment';
import { toModelInputInto } from './model-input';
import { detectLayout, type ModelLayout, type TensorMeta } from './model-layout';
import * as post from './postprocess';
import { resizeRgb, type ResizeScratch } from './resize-rgb';
import { boxesToFrame, frameFit, padRgbInto, type FrameFit } from '../../../src-shared/frame-fit';

const STRETCH: FrameFit = { mode: 'stretch' };

export interface DetectorOptions {
  /** label_map.pbtxt; default: the one beside the model, if any. */
  labelMap?: string;
  /** onnxruntime intra-op threads (default 1: the UI, the camera and ffmpeg need the other core). */
  intraOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * With a second stage: run the detector on every Nth frame of a stream and, on the frames between,
   * follow the hands found so far with the second stage alone (each hand's refined box is the next
   * frame's crop). 1 (the default here; streams are given FOLLOW_REDETECT) runs the detector on every
   * frame. Applies only to `detect` calls with `{ track: true }` (a video, a camera), never to unrelated
   * images.
   */
  redetectEvery?: number;
}

export interface DetectorInfo {
  file: string;
  format: LiveModelFormat;
  input: { name: string; width: number; height: number; dtype: 'float32' | 'uint8'; layout: 'NHWC'; scaling: string; dynamic: boolean };
  classes: { id: number; name: string }[];
  labelMap: string | null;
  threads: number;
  graphOptimizationLevel: string;
  /** The second stage (`<model stem>.crop.onnx` beside the model), or null when the detector decides alone. */
  secondStage: { file: string; cropSize: number; pad: number; pool: number } | null;
}

export interface DetectTiming {
  preprocessMs: number;
  inferenceMs: number;
  nmsMs: number;
  /** The second stage: candidates, crops, crop model runs and the final NMS (0 without one). */
  cropMs: number;
  /** Hands the second stage read (close-ups through the crop model); absent without one. */
  crops?: number;
  /** The detector was skipped: the hands of the previous frame were followed by the second stage alone. */
  tracked?: boolean;
}

/** Per-call options of Detector.detect. */
export interface DetectCall {
  /** Frames of one stream in order (see DetectorOptions.redetectEvery). */
  track?: boolean;
  /** Which stream (one per camera client): hands are followed within a stream only. Default: one stream. */
  stream?: string;
  /**
   * `rgb` holds only this rectangle of the width × height frame: the `next` region of the stream's
   * previous answer, on a frame whose hands are followed. If the stream needs more than that after all
   * (the detector's turn, or the hands are not where the region was cut for), the answer is `incomplete`
   * and the next frame should be sent whole.
   */
  region?: FramePart;
}

/** What Detector.detect answers. */
export interface DetectResult {
  detections: LiveDetection[];
  timing: DetectTiming;
  /**
   * On a followed stream, when the next frame's hands will be followed too: the part of the next frame
   * the second stage will read (every pixel of its close-ups, even-aligned for I420). A client may send
   * only that part (DetectCall.region).
   */
  next?: FramePart;
  /** The frame came as a region, but this frame needs the whole picture: nothing was detected; send the next one whole. */
  incomplete?: true;
}

/**
 * A region is offered only when it is at most this fraction of the frame: a hand or two near the camera
 * can fill most of the picture, and then the whole frame is as good.
 */
const MAX_REGION_FRACTION = 0.8;

/** A region of the frame that reads every pixel the crops of `wins` read, even-aligned (I420 chroma), or null when none is worth it. */
export function regionFor(wins: readonly CropWindow[], width: number, height: number): FramePart | null {
  if (wins.length === 0 || width % 2 !== 0 || height % 2 !== 0) return null;
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (const w of wins) {
    const r = cropReads(w, width, height);
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  x0 &= ~1;
  y0 &= ~1;
  x1 = Math.min(width, x1 + (x1 & 1));
  y1 = Math.min(height, y1 + (y1 & 1));
  const part = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  return part.width * part.height <= MAX_REGION_FRACTION * width * height ? part : null;
}

/** Whether `part` holds every pixel the crops of `wins` read. */
export function regionHolds(part: FramePart, wins: readonly CropWindow[], width: number, height: number): boolean {
  return wins.every((w) => {
    const r = cropReads(w, width, height);
    return r.x >= part.x && r.y >= part.y && r.x + r.width <= part.x + part.width && r.y + r.height <= part.y + part.height;
  });
}

/** Streams whose followed hands a detector keeps at once (the least recently seen goes first). */
const MAX_STREAMS = 8;

/**
 * How often a followed stream runs the detector unless told otherwise (`ksl detect --redetect`, the Live
 * screen and the kiosk's `KSL_LIVE_REDETECT`): every 30th frame, about once a second. Between, it runs
 * only when no hand is followed (none yet, or all put down) and on the frame after a followed hand read
 * as another word. Following is the better reader, not only the cheaper one: each close-up is centred on
 * the last frame's refined box, framed better than the detector's own. The `ksl demo` model on its 18
 * held-out videos (1620 frames of 640×360; `ksl detect --redetect N`) named the signed word first on
 * 84.8% of frames with the detector on every frame, 93.1% on every 5th, 94.1% on every 15th and 94.5% on
 * every 30th (another word first: 36, 8, 7 and 4 frames), at 43, 55, 80 and 82 fps. The cost: a second
 * hand that comes into view while one is followed is found up to a second late.
 */
export const FOLLOW_REDETECT = 30;

/** The second stage's graph input and outputs (export-onnx.ts writes them, the detector reads them). */
export const CROP_INPUT = 'crop';
/** The crop model's first dimension: any number of crops in one run (exports before it took exactly 1). */
export const CROP_BATCH_DIM = 'crops';
export const CROP_OUTPUTS = { probs: 'word_probs', box: 'box_offsets' } as const;
/** metadata_props keys of the crop model (values are decimal strings). */
export const CROP_METADATA_KEYS = { cropSize: 'crop_size', pad: 'crop_pad', pool: 'crop_pool' } as const;

/** The second stage's file beside a model: model.onnx → model.crop.onnx. */
export function cropModelFile(modelFile: string): string {
  return `${modelFile.replace(/\.onnx$/i, '')}.crop.onnx`;
}

/** cropSize / pad / pool from a crop model's metadata_props; CROP_META for any that is missing. */
export function readCropMeta(bytes: Uint8Array): CropClassifierMeta {
  const props = readModelMetadata(bytes);
  const num = (key: string, fallback: number) => {
    const v = props[key] !== undefined ? Number(props[key]) : NaN;
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const k = CROP_METADATA_KEYS;
  return { cropSize: num(k.cropSize, CROP_META.cropSize), pad: num(k.pad, CROP_META.pad), pool: num(k.pool, CROP_META.pool) };
}

export interface Detector {
  info: DetectorInfo;
  /**
   * A frame of any size (RGB, 3 bytes per pixel) → detections; boxes normalised to the frame. `scaled`: the
   * same frame already fitted to the model's fixed input as frameFit says (stretched, or scaled and padded;
   * e.g. by ffmpeg's bilinear scale, training's decode), which then replaces the resize here; `rgb` stays
   * the frame the second stage crops from.
   */
  detect(rgb: Uint8Array, width: number, height: number, settings?: Partial<LiveSettings>, scaled?: Uint8Array, call?: DetectCall): Promise<DetectResult>;
  close(): Promise<void>;
}

const now = () => performance.now();

function loadOrt(): typeof import('onnxruntime-node') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('onnxruntime-node') as typeof import('onnxruntime-node');
}

/** label_map.pbtxt → display names (display_name, the Korean word, when present). */
export function readClassNames(file: string): { id: number; name: string }[] {
  const items = parseLabelMap(readFileSync(file, 'utf8'), file);
  return items.map((i) => ({ id: i.id, name: (i.displayName ?? i.name).normalize('NFC') }));
}

export function settingsOf(s: Partial<LiveSettings> | undefined): LiveSettings {
  return {
    threshold: s?.threshold ?? LIVE_DEFAULTS.threshold,
    iou: s?.iou ?? LIVE_DEFAULTS.iou,
    maxDetections: s?.maxDetections ?? LIVE_DEFAULTS.maxDetections,
  };
}

function meta(list: readonly InferenceSession.ValueMetadata[] | undefined, names: readonly string[]): TensorMeta[] {
  if (!list || list.length !== names.length) return names.map((name) => ({ name }));
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name }));
}

/** Opens `file` (an .onnx) and works out what it is. Errors name the file and what to do. */
export async function openDetector(file: string, options: DetectorOptions = {}): Promise<Detector> {
  if (!existsSync(file)) throw new KslError('NOT_FOUND', `No model at ${file}.`);
  const ort = loadOrt();
  const threads = Math.max(1, options.intraOpThreads ?? 1);
  const level = options.graphOptimizationLevel ?? 'all';
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: level,
    // Idle pool threads sleep instead of spinning: on a 2-core machine shared with ffmpeg, the camera and
    // the UI, a spinning thread steals the core the work needs (measured: 2 spinning threads ran at half
    // the speed of 1 under load). https://onnxruntime.ai/docs/performance/tune-performance/threading.html
    ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: process.env.KSL_ORT_SPIN ?? '0' } } } } : {}),
  };
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, sessionOptions);
  } catch (e) {
    throw new KslError('INVALID', `${file} is not an ONNX model onnxruntime can load: ${(e as Error).message}`);
  }
  let layout: ModelLayout;
  try {
    layout = detectLayout(meta(session.inputMetadata, session.inputNames), meta(session.outputMetadata, session.outputNames), path.basename(file));
  } catch (e) {
    await session.release();
    throw e;
  }

  // The second stage reads our detector's outputs; a tf2onnx model's boxes are already final.
  let second: SecondStage | null = null;
  if (layout.format === 'ksl') {
    try {
      second = await openSecondStage(ort, cropModelFile(file), sessionOptions);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  const beside = path.join(path.dirname(file), 'label_map.pbtxt');
  const labelMap = options.labelMap ?? (existsSync(beside) ? beside : null);
  const classes = labelMap ? readClassNames(labelMap) : [];
  const names = new Map(classes.map((c) => [c.id, c.name]));

  // A dynamic input (tf2onnx models often are) gets the frame at its own size: the graph resizes it.
  const fixed = layout.input.width !== null && layout.input.height !== null;
  const info: DetectorInfo = {
    file,
    format: layout.format,
    input: {
      name: layout.input.name,
      width: layout.input.width ?? 0,
      height: layout.input.height ?? 0,
      dtype: layout.input.dtype,
      layout: 'NHWC',
      scaling: layout.input.scaling,
      dynamic: !fixed,
    },
    classes,
    labelMap,
    threads,
    graphOptimizationLevel: level,
    secondStage: second ? { file: second.file, ...second.meta } : null,
  };

  const run = async (feed: Tensor) => session.run({ [layout.input.name]: feed });
  // One float input buffer reused frame after frame (a 320×320 frame is 1.2 MB: allocating it 30 times a
  // second feeds the garbage collector, whose pauses show in p95); a second concurrent call gets its own.
  let spare: Float32Array | null = null;
  const resizeScratch: ResizeScratch = {};
  // A frame of another shape than the input is scaled to fit and padded (frame-fit.ts): its own scratch
  // (the inner size differs from the input's) and the padded picture.
  const fitScratch: ResizeScratch = {};
  let padded = new Uint8Array(0);
  const tensorFor = (rgb: Uint8Array, w: number, h: number): { tensor: Tensor; buffer: Float32Array | null } => {
    if (layout.input.dtype === 'uint8') return { tensor: new ort.Tensor('uint8', rgb, [1, h, w, 3]), buffer: null };
    let buffer = spare && spare.length === rgb.length ? spare : new Float32Array(rgb.length);
    if (buffer === spare) spare = null;
    if (layout.format === 'ksl') toModelInputInto(rgb, buffer);
    else buffer.set(rgb);
    return { tensor: new ort.Tensor('float32', buffer, [1, h, w, 3]), buffer };
  };

  // Hands followed from frame to frame (DetectorOptions.redetectEvery), per stream: the last frame's
  // refined boxes, frames since the detector ran, and the detector's class count.
  const redetectEvery = Math.max(1, Math.floor(options.redetectEvery ?? 1));
  const streams = new Map<string, { hands: Hand[]; sinceDetector: number; classes: number }>();
  const streamOf = (key: string) => {
    let st = streams.get(key);
    if (st) streams.delete(key); // re-inserted below: Map order is recency
    else st = { hands: [], sinceDetector: 0, classes: 0 };
    streams.set(key, st);
    while (streams.size > MAX_STREAMS) streams.delete(streams.keys().next().value!);
    return st;
  };

  // The part of the next frame a followed stream will read, when its next frame is followed too.
  const nextOf = (st: { hands: Hand[]; sinceDetector: number }, width: number, height: number): { next?: FramePart } => {
    if (st.hands.length === 0 || st.sinceDetector >= redetectEvery - 1) return {};
    const part = regionFor(second!.windows(st.hands, width, height), width, height);
    return part ? { next: part } : {};
  };

  const detect: Detector['detect'] = async (rgb, width, height, s, scaled, call) => {
    const region = call?.region;
    if (region && !(region.x >= 0 && region.y >= 0 && region.width > 0 && region.height > 0 && region.x + region.width <= width && region.y + region.height <= height)) {
      throw new KslError('INVALID', `The region ${region.width}×${region.height} at (${region.x}, ${region.y}) is not inside the ${width}×${height} frame.`);
    }
    const area = region ? region.width * region.height : width * height;
    if (rgb.length !== area * 3) {
      const what = region ? `the ${region.width}×${region.height} region` : `${width}×${height}`;
      throw new KslError('INVALID', `The frame has ${rgb.length} bytes, but ${what} RGB needs ${area * 3} (3 per pixel, no padding).`);
    }
    const settings = settingsOf(s);
    const follow = call?.track === true && second !== null && redetectEvery > 1;
    const st = follow ? streamOf(call?.stream ?? '') : null;
    const incomplete = (): DetectResult => ({ detections: [], timing: { preprocessMs: 0, inferenceMs: 0, nmsMs: 0, cropMs: 0 }, incomplete: true });
    if (st && st.hands.length > 0 && st.sinceDetector < redetectEvery - 1) {
      // No detector, no resize: each hand's crop is cut where the last frame's close-up put it. A hand
      // that stops reading as a word (moved away, put down) drops out, and with none left the next frame
      // runs the detector. A hand that reads as another word than it did is not shown, and the next frame
      // runs the detector: a close-up left where the hand was (the signer gone, the picture cut) reads as
      // whichever word the empty crop looks most like, at the old hand's score, and a live camera then
      // said a word nobody signed (a looped clip read "119" on the empty wall for 3 frames after each
      // 안녕하세요). A real change of word is read afresh one frame later.
      if (region && !regionHolds(region, second!.windows(st.hands, width, height), width, height)) return incomplete();
      st.sinceDetector++;
      const t0 = now();
      const r = await second!.read(rgb, width, height, st.hands, st.classes, names, settings, region);
      st.hands = r.hands;
      if (r.changed > 0) st.sinceDetector = redetectEvery - 1;
      return { detections: r.detections, timing: { preprocessMs: 0, inferenceMs: 0, nmsMs: 0, cropMs: now() - t0, crops: r.crops, tracked: true }, ...nextOf(st, width, height) };
    }
    // The detector reads the whole frame.
    if (region) return incomplete();
    const t0 = now();
    let w = width;
    let h = height;
    let pixels = rgb;
    let fit: FrameFit = STRETCH;
    if (fixed && (width !== layout.input.width || height !== layout.input.height)) {
      w = layout.input.width!;
      h = layout.input.height!;
      // Our models only: a tf2onnx model's boxes are its own business (and its input is usually square).
      if (layout.format === 'ksl') fit = frameFit(width, height, w, h);
      // A float model copies the resized bytes into its input buffer before anything awaits, so the
      // resize's buffers can be reused frame after frame; a uint8 model's tensor holds them while it runs.
      const reuse = layout.input.dtype === 'float32';
      if (scaled && scaled.length === w * h * 3) pixels = scaled;
      else if (fit.mode === 'pad') {
        if (!reuse || padded.length !== w * h * 3) padded = new Uint8Array(w * h * 3);
        pixels = padRgbInto(resizeRgb(rgb, width, height, fit.width, fit.height, reuse ? fitScratch : undefined), fit, w, h, padded);
      } else pixels = resizeRgb(rgb, width, height, w, h, reuse ? resizeScratch : undefined);
    }
    const feed = tensorFor(pixels, w, h);
    const t1 = now();
    let out: InferenceSession.OnnxValueMapType;
    try {
      out = await run(feed.tensor);
    } finally {
      if (feed.buffer) spare = feed.buffer;
    }
    const t2 = now();
    const get = (name: string): Float32Array => {
      const d = out[name]!.data;
      // Some converters emit int64 classes or counts; the NMS wants floats.
      return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number | bigint>, Number);
    };
    let detections: LiveDetection[];
    if (layout.format === 'ksl') {
      const scores = get(layout.outputs.scores);
      const C = out[layout.outputs.scores]!.dims[2] ?? 1;
      if (classes.length > 0 && C > classes.length) {
        throw new KslError('INVALID', `${path.basename(file)} scores ${C} classes but its label map ${labelMap} names only ${classes.length}; use the label_map.pbtxt exported with the model.`);
      }
      // Boxes on a padded input → boxes on the frame (in place: the output is ours until disposed).
      if (fit.mode === 'pad') boxesToFrame(get(layout.outputs.boxes), scores, C, fit, w, h);
      if (second) {
        // The crops come from `rgb` as given (the frame's own resolution), not from the resized input.
        const t3 = now();
        const r = await second.read(rgb, width, height, second.candidates(get(layout.outputs.boxes), scores, C, settings), C, names, settings);
        for (const o of Object.values(out)) (o as Tensor & { dispose?: () => void }).dispose?.();
        if (st) {
          st.hands = r.hands;
          st.sinceDetector = 0;
          st.classes = C;
        }
        return { detections: r.detections, timing: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, nmsMs: 0, cropMs: now() - t3, crops: r.crops }, ...(st ? nextOf(st, width, height) : {}) };
      }
      detections = post.ksl(get(layout.outputs.boxes), scores, names, settings);
    } else {
      const count = layout.outputs.count ? Math.round(Number(get(layout.outputs.count)[0])) : undefined;
      detections = post.tf2onnx(get(layout.outputs.boxes), get(layout.outputs.scores), get(layout.outputs.classes!), count, names, settings);
    }
    for (const o of Object.values(out)) (o as Tensor & { dispose?: () => void }).dispose?.();
    const t3 = now();
    return { detections, timing: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, nmsMs: t3 - t2, cropMs: 0 } };
  };

  return {
    info,
    detect,
    close: async () => {
      await session.release();
      await second?.close();
    },
  };
}

/**
 * A hand to read: its box ([ymin, xmin, ymax, xmax] normalised to the frame), the detector's hand score,
 * and, once read, the word (class id) it read as: a followed hand is expected to go on reading as it.
 */
interface Hand {
  box: number[];
  score: number;
  word?: number;
}

/** How far a followed hand's box may change in one frame: its sides by this factor either way, its centre by half a side. */
const FOLLOW_MAX_SCALE = 1.25;

/** `to` ([ymin, xmin, ymax, xmax]) kept within FOLLOW_MAX_SCALE of `from`'s size and half its size from its centre. */
export function steadyBox(from: readonly number[], to: readonly number[]): number[] {
  const fh = from[2]! - from[0]!;
  const fw = from[3]! - from[1]!;
  const clampTo = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const h = clampTo(to[2]! - to[0]!, fh / FOLLOW_MAX_SCALE, fh * FOLLOW_MAX_SCALE);
  const w = clampTo(to[3]! - to[1]!, fw / FOLLOW_MAX_SCALE, fw * FOLLOW_MAX_SCALE);
  const cy = clampTo((to[0]! + to[2]!) / 2, (from[0]! + from[2]!) / 2 - fh / 2, (from[0]! + from[2]!) / 2 + fh / 2);
  const cx = clampTo((to[1]! + to[3]!) / 2, (from[1]! + from[3]!) / 2 - fw / 2, (from[1]! + from[3]!) / 2 + fw / 2);
  return [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2];
}

interface SecondStage {
  file: string;
  meta: CropClassifierMeta;
  /** Stage-1 outputs (boxes N×4 normalised, scores N×C) → candidate hands, best first. */
  candidates(boxes: Float32Array, scores: Float32Array, classes: number, settings: LiveSettings): Hand[];
  /**
   * Reads each hand from its close-up in `rgb` (width × height; or only `part` of it, which holds every
   * close-up: regionHolds) → the final detections, and the hands that read as a word at the threshold, at
   * their refined boxes (the next frame's hands when tracking). A followed hand (one with a `word`) that
   * reads as another word is left out of both and counted in `changed`: see detect's follow branch.
   */
  read(rgb: Uint8Array, width: number, height: number, hands: readonly Hand[], classes: number, names: ReadonlyMap<number, string>, settings: LiveSettings, part?: FramePart): Promise<{ detections: LiveDetection[]; hands: Hand[]; crops: number; changed: number }>;
  /** The close-up windows (frame pixels) of the hands `read` would read. */
  windows(hands: readonly Hand[], width: number, height: number): CropWindow[];
  close(): Promise<void>;
}

/** The crop model beside a KSL detector, or null when there is none. */
async function openSecondStage(ort: typeof import('onnxruntime-node'), file: string, options: InferenceSession.SessionOptions): Promise<SecondStage | null> {
  if (!existsSync(file)) return null;
  let cropMeta: CropClassifierMeta;
  let session: InferenceSession;
  try {
    cropMeta = readCropMeta(readFileSync(file));
    session = await ort.InferenceSession.create(file, options);
  } catch (e) {
    throw new KslError('INVALID', `${file} (the second stage beside the model) is not an ONNX model onnxruntime can load: ${(e as Error).message}. Export the run again, or remove the file to use the detector alone.`);
  }
  const missing = [CROP_INPUT].filter((n) => !session.inputNames.includes(n)).concat([CROP_OUTPUTS.probs, CROP_OUTPUTS.box].filter((n) => !session.outputNames.includes(n)));
  if (missing.length > 0) {
    await session.release();
    throw new KslError('INVALID', `${file} (the second stage beside the model) lacks ${missing.join(', ')}; it has inputs ${session.inputNames.join(', ')} and outputs ${session.outputNames.join(', ')}. Export the run again, or remove the file to use the detector alone.`);
  }
  const S = cropMeta.cropSize;
  const shape = meta(session.inputMetadata, session.inputNames).find((m) => m.name === CROP_INPUT)?.shape;
  if (shape && shape.length === 4 && typeof shape[1] === 'number' && (shape[1] !== S || shape[2] !== S)) {
    await session.release();
    throw new KslError('INVALID', `${file} (the second stage beside the model) takes [${shape.join(',')}] crops, but its metadata says ${S}×${S}; export the run again.`);
  }
  // Exports since CROP_BATCH_DIM read all of a frame's hands in one run; older ones take one crop per run.
  const batched = shape !== undefined && shape.length === 4 && typeof shape[0] !== 'number';
  const cropLength = S * S * 3;
  // Float inputs for the crops, reused from frame to frame (a 128² crop is 196 KB): when batched, one
  // buffer of at least `maxDetections` crops per call in flight, else one per crop.
  const spares: Float32Array[] = [];
  const batchSpares: Float32Array[] = [];
  // Candidates as in evaluation (CANDIDATE_IOU: two boxes on one hand are one crop pass, not two); the
  // user's IoU applies to the final, refined detections.
  const candidates: SecondStage['candidates'] = (boxes, scores, C, settings) =>
    handCandidates(boxes, scores, C, { iouThreshold: Math.min(CANDIDATE_IOU, settings.iou), scoreThreshold: settings.threshold, maxDetections: settings.maxDetections }).map((c) => ({ box: c.box, score: c.score }));
  // As evaluation does (second-stage.ts readWords): a box under a pixel is no hand to read.
  const readableHands = (hands: readonly Hand[], width: number, height: number) =>
    hands.filter((c) => {
      const [ymin, xmin, ymax, xmax] = c.box;
      return (xmax! - xmin!) * width >= 1 && (ymax! - ymin!) * height >= 1;
    });
  const windowOf = (c: Hand, width: number, height: number): CropWindow => {
    const [ymin, xmin, ymax, xmax] = c.box;
    return cropWindow({ x: xmin! * width, y: ymin! * height, w: (xmax! - xmin!) * width, h: (ymax! - ymin!) * height }, cropMeta.pad);
  };
  const windows: SecondStage['windows'] = (hands, width, height) => readableHands(hands, width, height).map((c) => windowOf(c, width, height));
  const read: SecondStage['read'] = async (rgb, width, height, hands, C, names, settings, part) => {
    const readable = readableHands(hands, width, height);
    let batchInput = batched ? (batchSpares.pop() ?? new Float32Array(0)) : new Float32Array(0);
    if (batchInput.length < readable.length * cropLength) batchInput = new Float32Array(Math.max(readable.length, settings.maxDetections) * cropLength);
    const crops = readable.map((c, i) => {
      const win = windowOf(c, width, height);
      const input = batched ? batchInput.subarray(i * cropLength, (i + 1) * cropLength) : (spares.pop() ?? new Float32Array(cropLength));
      toModelInputInto(cropRgb(rgb, width, height, win, S, part), input);
      return { score: c.score, win, input, from: c.box, was: c.word };
    });
    const kept: { box: number[]; score: number; word: number; hand: number; from: readonly number[] }[] = [];
    let changed = 0;
    const keep = (i: number, probs: Float32Array, offsets: Float32Array) => {
      if (probs.length !== C) throw new KslError('INVALID', `${path.basename(file)} gives ${probs.length} word probabilities, but the detector scores ${C} classes; export both from the same run.`);
      let word = 0;
      for (let k = 1; k < C; k++) if (probs[k]! > probs[word]!) word = k;
      if (crops[i]!.was !== undefined && word !== crops[i]!.was) {
        changed++;
        return;
      }
      const score = twoStageScore(crops[i]!.score, probs, word);
      if (score >= settings.threshold) {
        const b = decodeCropBox(offsets, crops[i]!.win);
        const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
        kept.push({ box: [clip(b.y / height), clip(b.x / width), clip((b.y + b.h) / height), clip((b.x + b.w) / width)], score, word, hand: crops[i]!.score, from: crops[i]!.from });
      }
    };
    const release = (out: InferenceSession.OnnxValueMapType) => {
      for (const o of Object.values(out)) (o as Tensor & { dispose?: () => void }).dispose?.();
    };
    try {
      if (batched && crops.length > 0) {
        // All hands in one run: two crops cost about three quarters of two runs.
        const n = crops.length;
        const out = await session.run({ [CROP_INPUT]: new ort.Tensor('float32', batchInput.subarray(0, n * cropLength), [n, S, S, 3]) });
        const probs = out[CROP_OUTPUTS.probs]!.data as Float32Array;
        const offsets = out[CROP_OUTPUTS.box]!.data as Float32Array;
        if (offsets.length !== 4 * n) throw new KslError('INVALID', `${path.basename(file)} gave ${offsets.length / 4} boxes for ${n} crops; export the run again.`);
        for (let i = 0; i < n; i++) keep(i, probs.subarray((i * probs.length) / n, ((i + 1) * probs.length) / n), offsets.subarray(4 * i, 4 * i + 4));
        release(out);
      } else {
        // One after another: onnxruntime-node's run holds the thread that calls it, so starting them all at
        // once gained nothing (measured), and intra-op threads already spread each crop over the cores.
        for (const [i, c] of crops.entries()) {
          const out = await session.run({ [CROP_INPUT]: new ort.Tensor('float32', c.input, [1, S, S, 3]) });
          keep(i, out[CROP_OUTPUTS.probs]!.data as Float32Array, out[CROP_OUTPUTS.box]!.data as Float32Array);
          release(out);
        }
      }
    } finally {
      if (batched) batchSpares.push(batchInput);
      else for (const c of crops) spares.push(c.input);
    }
    if (kept.length === 0) return { detections: [], hands: [], crops: crops.length, changed };
    // One row per kept crop, its score in its word's column only: post.ksl's class-wise NMS and max apply.
    const rows = new Float32Array(kept.length * 4);
    const matrix = new Float32Array(kept.length * C).fill(-1);
    kept.forEach((k, i) => {
      rows.set(k.box, 4 * i);
      matrix[i * C + k.word] = k.score;
    });
    // Two refined boxes on one hand are one hand to follow (by hand score, as candidates are chosen).
    // The next frame's boxes move at most so far from this frame's: a hand is the same size from one frame
    // to the next, and a refinement that feeds on itself must not run away (a weak model's boxes grew
    // frame after frame until each crop was most of the picture).
    const steady = new Float32Array(kept.length * 4);
    kept.forEach((k, i) => steady.set(steadyBox(k.from, k.box), 4 * i));
    const next = nonMaxSuppression(steady, Float32Array.from(kept, (k) => k.hand), { iouThreshold: CANDIDATE_IOU, scoreThreshold: 0, maxDetections: settings.maxDetections });
    return { detections: post.ksl(rows, matrix, names, settings), hands: next.map((d) => ({ box: d.box, score: d.score, word: kept[d.index]!.word })), crops: crops.length, changed };
  };
  return { file, meta: cropMeta, candidates, read, windows, close: () => session.release() };
}
