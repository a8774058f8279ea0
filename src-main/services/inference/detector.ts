/**
 * One detector in the current thread: an onnxruntime-node session, its layout (model-layout.ts), its
 * label map, and `detect(rgb)` = preprocessing identical to training → inference → threshold + class-wise
 * NMS + max. The inference worker (inference-worker.ts) holds these for the app; `ksl detect` and the
 * benchmark use one directly (they have no UI thread to keep free).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { LIVE_DEFAULTS, type LiveDetection, type LiveModelFormat, type LiveSettings } from '../../../src-shared/api-live';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import { toModelInputInto } from './model-input';
import { detectLayout, type ModelLayout, type TensorMeta } from './model-layout';
import * as post from './postprocess';
import { resizeRgb, type ResizeScratch } from './resize-rgb';

export interface DetectorOptions {
  /** label_map.pbtxt; default: the one beside the model, if any. */
  labelMap?: string;
  /** onnxruntime intra-op threads (default 1: the UI, the camera and ffmpeg need the other core). */
  intraOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface DetectorInfo {
  file: string;
  format: LiveModelFormat;
  input: { name: string; width: number; height: number; dtype: 'float32' | 'uint8'; layout: 'NHWC'; scaling: string; dynamic: boolean };
  classes: { id: number; name: string }[];
  labelMap: string | null;
  threads: number;
  graphOptimizationLevel: string;
}

export interface DetectTiming {
  preprocessMs: number;
  inferenceMs: number;
  nmsMs: number;
}

export interface Detector {
  info: DetectorInfo;
  /** A frame of any size (RGB, 3 bytes per pixel) → detections; boxes normalised to the frame. */
  detect(rgb: Uint8Array, width: number, height: number, settings?: Partial<LiveSettings>): Promise<{ detections: LiveDetection[]; timing: DetectTiming }>;
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
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: level,
      // Idle pool threads sleep instead of spinning: on a 2-core machine shared with ffmpeg, the camera and
      // the UI, a spinning thread steals the core the work needs (measured: 2 spinning threads ran at half
      // the speed of 1 under load). https://onnxruntime.ai/docs/performance/tune-performance/threading.html
      ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: process.env.KSL_ORT_SPIN ?? '0' } } } } : {}),
    });
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
  };

  const run = async (feed: Tensor) => session.run({ [layout.input.name]: feed });
  // One float input buffer reused frame after frame (a 320×320 frame is 1.2 MB: allocating it 30 times a
  // second feeds the garbage collector, whose pauses show in p95); a second concurrent call gets its own.
  let spare: Float32Array | null = null;
  const resizeScratch: ResizeScratch = {};
  const tensorFor = (rgb: Uint8Array, w: number, h: number): { tensor: Tensor; buffer: Float32Array | null } => {
    if (layout.input.dtype === 'uint8') return { tensor: new ort.Tensor('uint8', rgb, [1, h, w, 3]), buffer: null };
    let buffer = spare && spare.length === rgb.length ? spare : new Float32Array(rgb.length);
    if (buffer === spare) spare = null;
    if (layout.format === 'ksl') toModelInputInto(rgb, buffer);
    else buffer.set(rgb);
    return { tensor: new ort.Tensor('float32', buffer, [1, h, w, 3]), buffer };
  };

  const detect: Detector['detect'] = async (rgb, width, height, s) => {
    if (rgb.length !== width * height * 3) {
      throw new KslError('INVALID', `The frame has ${rgb.length} bytes, but ${width}×${height} RGB needs ${width * height * 3} (3 per pixel, no padding).`);
    }
    const settings = settingsOf(s);
    const t0 = now();
    let w = width;
    let h = height;
    let pixels = rgb;
    if (fixed && (width !== layout.input.width || height !== layout.input.height)) {
      w = layout.input.width!;
      h = layout.input.height!;
      // A float model copies the resized bytes into its input buffer before anything awaits, so the
      // resize's buffers can be reused frame after frame; a uint8 model's tensor holds them while it runs.
      pixels = resizeRgb(rgb, width, height, w, h, layout.input.dtype === 'float32' ? resizeScratch : undefined);
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
      detections = post.ksl(get(layout.outputs.boxes), scores, names, settings);
    } else {
      const count = layout.outputs.count ? Math.round(Number(get(layout.outputs.count)[0])) : undefined;
      detections = post.tf2onnx(get(layout.outputs.boxes), get(layout.outputs.scores), get(layout.outputs.classes!), count, names, settings);
    }
    for (const o of Object.values(out)) (o as Tensor & { dispose?: () => void }).dispose?.();
    const t3 = now();
    return { detections, timing: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, nmsMs: t3 - t2 } };
  };

  return {
    info,
    detect,
    close: () => session.release(),
  };
}
