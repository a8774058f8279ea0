// The pretrained detector backbone we build on: the SSD MobileNetV2 FPNLite 320 graph shipped inside
// the handtrackjs npm package (trained on hands and faces — a good starting point for signers).
//
// The package is an ordinary dependency, so the weights come from node_modules and are NEVER
// fetched at run time (the app is offline). tfjs runs this graph at ~50–200 ms/frame on wasm; we
// convert the feature-extractor part to ONNX once, cache it on disk and run it with
// onnxruntime-node at native speed.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { convertGraphModel, type TfjsGraphModelJson } from './onnx/tfjs-to-onnx';

const FPN = 'StatefulPartitionedCall/ssd_mobile_net_v2fpn_keras_feature_extractor/FeatureMaps/top_down';
const TOWER = 'StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/PredictionTower/conv2d_3';
const CLASS_PREDICTOR = 'StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead/ClassPredictor';

export const PRETRAINED = {
  id: 'handtrack-ssd320fpnlite',
  package: 'handtrackjs@0.1.5',
  /** Folder inside the package holding model.json + weight shards. */
  file: 'models/webmodel/ssd320fpnlite/base',
  /** From node_modules/handtrackjs/package.json "license" (a test keeps this in sync). */
  licence: 'ISC',
  architecture: 'SSD MobileNetV2 FPNLite 320 (TF OD API), trained on hands and faces',
  /** Feeding this node skips the graph's own uint8 preprocessing while-loop. */
  inputNode: 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack',
  /** FPN levels, strides 8, 16, 32: [1,40,40,128], [1,20,20,128], [1,10,10,128] (NHWC). */
  featureNodes: [`${FPN}/smoothing_1/Relu6`, `${FPN}/smoothing_2/Relu6`, `${FPN}/projection_3/BiasAdd`],
  /**
   * The last layer of the box predictor's shared prediction tower at the same strides (4 more
   * separable 3×3 layers trained on hand poses). Tried as the head's input on the sample dataset:
   * test AP50 0.40 after 400 steps against 0.46 from the FPN maps, so the FPN maps stay the default.
   */
  towerNodes: [`${TOWER}/activation_0/Relu6`, `${TOWER}/activation_1/Relu6`, `${TOWER}/activation_2/Relu6`],
  /**
   * The pretrained detector's own class logits at strides 8, 16, 32 ([1,h,w,48]: 6 anchors × 8 classes —
   * background, open, closed, pinch, point, face, …): its opinion of the hand pose, after the 4-layer
   * prediction tower that a per-position head cannot reproduce. Optional extra input channels; tried raw
   * beside the FPN features on the sample dataset: AP50 0.09 after 100 steps against 0.36 without (the
   * logits' scale swamps the hidden layer), so they are off by default.
   */
  scoreNodes: [`${CLASS_PREDICTOR}/BiasAdd`, `${CLASS_PREDICTOR}/BiasAdd_1`, `${CLASS_PREDICTOR}/BiasAdd_2`],
  scoreChannels: 48,
  featureStrides: [8, 16, 32],
  featureShapes: [
    [1, 40, 40, 128],
    [1, 20, 20, 128],
    [1, 10, 10, 128],
  ] as readonly (readonly number[])[],
  inputSize: 320,
  scaling: 'RGB, NHWC, [-1,1]',
} as const;

/** ONNX names of the converted backbone's input and outputs. */
export const BACKBONE_INPUT = 'image';
export const BACKBONE_OUTPUTS = ['feature_s8', 'feature_s16', 'feature_s32'] as const;
/** ONNX names of the pretrained class logits when the backbone is converted with them. */
export const SCORE_OUTPUTS = ['pretrained_scores_s8', 'pretrained_scores_s16', 'pretrained_scores_s32'] as const;

/**
 * Bumped whenever the converter's output for the same weights changes, so stale cached ONNX files
 * are not reused (it is part of the cache file's hash).
 */
export const CONVERTER_REVISION = 'tfjs-to-onnx/1';

/** Absolute folder of the pretrained model inside node_modules. */
export function pretrainedModelDir(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require.resolve('handtrackjs/package.json');
  return path.join(path.dirname(pkg), PRETRAINED.file);
}

/** Reads model.json and concatenates its weight shards in manifest order (as tfjs does). */
export function loadPretrainedGraph(): { modelJson: TfjsGraphModelJson; weightData: ArrayBuffer } {
  const dir = pretrainedModelDir();
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as TfjsGraphModelJson;
  const shards = modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(path.join(dir, p)));
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightData };
}

export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), 'ksl-studio');
}

const inFlight = new Map<string, Promise<string>>();
/** cacheDir → converted file, so repeat calls in a process skip re-reading and hashing ~8 MB. */
const resolved = new Map<string, string>();

/**
 * Path of the backbone as ONNX (input `image` [1,320,320,3] NHWC in [-1,1]; outputs the three
 * NHWC feature maps), converting once and caching `backbone-<hash>.onnx` in `cacheDir`. The hash
 * covers the model files and the converter revision, so a cached file is always current.
 */
export async function pretrainedBackboneOnnx(cacheDir: string = defaultCacheDir(), withScores = false, dims: InputDims = SQUARE_INPUT): Promise<string> {
  checkInputDims(dims);
  const square = dims.height === PRETRAINED.inputSize && dims.width === PRETRAINED.inputSize;
  const key = `${cacheDir}|${withScores}|${dims.height}x${dims.width}`;
  const known = resolved.get(key);
  if (known && existsSync(known)) return known;
  const { modelJson, weightData } = loadPretrainedGraph();
  const hash = createHash('sha256')
    .update(CONVERTER_REVISION)
    .update(JSON.stringify(withScores ? [...PRETRAINED.featureNodes, ...PRETRAINED.scoreNodes] : PRETRAINED.featureNodes))
    // 320×320 keeps its old hash (no size in it), so existing caches stay valid.
    .update(square ? '' : `input ${dims.height}x${dims.width}`)
    .update(JSON.stringify(modelJson))
    .update(new Uint8Array(weightData))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(cacheDir, `backbone-${hash}.onnx`);
  if (existsSync(file)) {
    resolved.set(key, file);
    return file;
  }
  // Concurrent callers in this process share one conversion.
  let p = inFlight.get(file);
  if (!p) {
    p = (async () => {
      const { bytes } = convertGraphModel(modelJson, weightData, {
        input: { node: PRETRAINED.inputNode, shape: [1, dims.height, dims.width, 3], name: BACKBONE_INPUT },
        outputs: withScores ? [...PRETRAINED.featureNodes, ...PRETRAINED.scoreNodes] : [...PRETRAINED.featureNodes],
        outputNames: withScores ? [...BACKBONE_OUTPUTS, ...SCORE_OUTPUTS] : [...BACKBONE_OUTPUTS],
        graphName: PRETRAINED.id,
        docString: `${PRETRAINED.architecture}; from ${PRETRAINED.package} (${PRETRAINED.licence}) ${PRETRAINED.file}; ${CONVERTER_REVISION}`,
      });
      mkdirSync(cacheDir, { recursive: true });
      // Write-then-rename so another process never sees a half-written model.
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
      resolved.set(key, file);
      return file;
    })().finally(() => inFlight.delete(file));
    inFlight.set(file, p);
  }
  return p;
}

/** A network input size in pixels (height × width). */
export interface InputDims {
  height: number;
  width: number;
}

export const SQUARE_INPUT: Readonly<InputDims> = Object.freeze({ height: PRETRAINED.inputSize, width: PRETRAINED.inputSize });

/**
 * The backbone is fully convolutional; its FPN upsampling (a hard-coded reshape in the TF graph) is
 * converted to a size-free Resize, so any size that is a multiple of the coarsest stride (32) works.
 */
export function checkInputDims(dims: InputDims): void {
  const s = PRETRAINED.featureStrides[PRETRAINED.featureStrides.length - 1]!;
  for (const k of ['height', 'width'] as const) {
    const v = dims[k];
    if (!Number.isInteger(v) || v < s || v % s !== 0 || v > 2048) throw new Error(`backbone input ${k} must be a multiple of ${s} between ${s} and 2048 (got ${v})`);
  }
}

/** [height, width] of the three feature maps (strides 8/16/32) of an input. */
export function featureShapesFor(dims: InputDims): [number, number][] {
  return PRETRAINED.featureStrides.map((s) => [dims.height / s, dims.width / s]);
}

export interface OnnxFeatureExtractor {
  /** `input`: 1×H×W×3 NHWC RGB in [-1,1]. Resolves to the 3 NHWC feature maps (strides 8/16/32). */
  run(input: Float32Array): Promise<Float32Array[]>;
  readonly shapes: readonly (readonly number[])[];
  close(): Promise<void>;
}

/** Opens the converted backbone with onnxruntime-node (CPU; one thread by default: predictable latency). */
export async function createOnnxFeatureExtractor(onnxPath: string, outputs: readonly string[] = BACKBONE_OUTPUTS, dims: InputDims = SQUARE_INPUT, threads = 1): Promise<OnnxFeatureExtractor> {
  // Loaded lazily: the native addon is only needed when a detector actually runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session: InferenceSession = await ort.InferenceSession.create(onnxPath, {
    intraOpNumThreads: threads,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const { height: H, width: W } = dims;
  const expected = H * W * 3;
  let closed = false;
  return {
    shapes: featureShapesFor(dims).map(([h, w]) => [1, h, w, 128]),
    async run(input: Float32Array): Promise<Float32Array[]> {
      if (closed) throw new Error('feature extractor is closed');
      if (input.length !== expected) throw new Error(`feature extractor: expected ${expected} floats (1×${H}×${W}×3), got ${input.length}`);
      const feeds = { [BACKBONE_INPUT]: new ort.Tensor('float32', input, [1, H, W, 3]) };
      const out = await session.run(feeds);
      return outputs.map((name) => out[name].data as Float32Array);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
