/**
 * `ksl export onnx`: a trained run as ONE self-contained ONNX detector (opset 13) that any
 * onnxruntime can run without this app:
 *
 *   image [1,H,W,3] float32, NHWC, RGB in [-1,1] (pixel / 127.5 − 1, frame stretched to W×H; 320×320, or
 *   the run's non-square input such as 288×512)
 *     ──▶ the pretrained backbone (converted from tfjs) ──▶ the 3 FPN maps [1,H/8,W/8,128], [1,H/16,W/16,128], [1,H/32,W/32,128]
 *     ──▶ each flattened NHWC to [h·w,128], concatenated ──▶ [P,128] (P = 2100 at 320×320)
 *     ──▶ the head as MatMul+Add, Clip(0,6) (ReLU6), then MatMul+Add twice (exactly ssd-head.ts)
 *     ──▶ class logits ──Sigmoid──▶ scores [1, N, C]   (N = 2100·A anchors; class c ↔ label map id c+1)
 *     ──▶ box offsets ──decode against the anchors (box coder 10/10/5/5), clip to [0,1]──▶ boxes [1, N, 4]
 *         as [ymin, xmin, ymax, xmax], normalised to the input.
 *
 * No NMS in the graph: the consumer thresholds the scores and runs its own NMS. A `label_map.pbtxt`
 * (TF OD API format) is written beside the model.
 *
 * When the run has a second stage (training/crop-classifier.ts: crop-classifier.json + .bin in the run
 * folder), a second graph is written beside OUT as `<OUT stem>.crop.onnx` (model.onnx → model.crop.onnx):
 *
 *   crop [1,S,S,3] float32, NHWC, RGB in [-1,1] (S = cropSize, 128): the square cropWindow around one
 *   candidate hand, cut from the frame at the frame's own resolution and scaled to S×S
 *     ──▶ the same pretrained backbone converted at S×S ──▶ 3 maps (strides 8/16/32), each AveragePool'ed to
 *         pool×pool cells and flattened cell row, cell column, channel; concatenated map by map
 *     ──▶ (x − mean) · invStd ──▶ MatMul+Add, Relu ──▶ MatMul+Add ──Softmax──▶ word_probs [1,C]
 *                                                   ──▶ MatMul+Add ──▶ box_offsets [1,4] (relative to the
 *                                                       crop window; decodeCropBox turns them into a box)
 *
 * cropSize, pad and pool are in the model's metadata_props (crop_size, crop_pad, crop_pool). A consumer
 * without it still has a complete word detector in OUT, only a less accurate one. Exporting a run without
 * a second stage removes a stale `<OUT stem>.crop.onnx` left at OUT by an earlier export.
 *
 * Parity: the exported file is run in onnxruntime-node on a few real frames of the project, and the same
 * frames go through the app's own pipeline (backbone features from the ONNX feature extractor, the head in
 * TensorFlow.js, trainer.predict's decoding); the largest absolute differences are reported. The crop
 * model's parity: crops around the ground-truth boxes of the same frames, through the ONNX backbone at S×S,
 * poolCropFeatures and classifyCrop, against the exported file.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { anchorsPerPosition, featureMapShapes, generateAnchors, inputDims, numAnchors, numPositions } from '../../../src-shared/detector/anchors';
import { DEFAULT_BOX_CODER_SCALES, MAX_LOG_SIZE_RATIO } from '../../../src-shared/detector/box-coder';
import { writeLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { labelMapItems } from '../dataset/label-maps';
import { getSplit } from '../dataset/split';
import { splitExamples, type SplitExample } from '../dataset/split-examples';
import { toModelInput } from '../training/augment';
import { CROP_BOX_SCALES, classifyCrop, cropFeatureLength, cropRgb, cropWindow, loadCropClassifier, poolCropFeatures, wordCount, type CropClassifierMeta, type CropClassifierWeights } from '../training/crop-classifier';
import { decodeFramesRgb } from '../training/decode-frames';
import { FEATURE_CHANNELS, createFeatureExtractor, featureChannels, featurePositions } from '../training/features';
import { contextChannels, contextRows, neighbourTable, NO_CONTEXT } from '../training/neighbourhood';
import { loadWeights, readJson, runDir } from '../training/run-store';
import type { RunConfig } from '../training/train-job';
import type { NamedWeight } from './head/ssd-head';
import { CROP_BATCH_DIM, CROP_INPUT, CROP_METADATA_KEYS, CROP_OUTPUTS, cropModelFile } from '../inference/detector';
import { GraphBuilder, attr } from './onnx/onnx-proto';
import { convertGraphModelInto } from './onnx/tfjs-to-onnx';
import { BACKBONE_INPUT, BACKBONE_OUTPUTS, CONVERTER_REVISION, PRETRAINED, SCORE_OUTPUTS, checkInputDims, createOnnxFeatureExtractor, loadPretrainedGraph, pretrainedBackboneOnnx } from './pretrained';

/** What the exported graph's input is, for an input of width × height (default 320×320). */
export function exportInputDescription(width: number = PRETRAINED.inputSize, height: number = PRETRAINED.inputSize): string {
  return `float32 [1,${height},${width},3], NHWC, RGB in [-1,1] (pixel / 127.5 − 1), the frame stretched to ${width}×${height}`;
}

export const EXPORT_INPUT_DESCRIPTION = exportInputDescription();

/** Crops per run in the crop model's parity check (a frame rarely has more hands to read). */
const PARITY_CROP_BATCH = 4;

export interface OnnxTensorInfo {
  name: string;
  type: 'float32';
  /** Sizes; a name for a dimension of any size (the crop model's batch). */
  shape: (number | string)[];
  description: string;
}

export interface ExportOnnxResult {
  /** The written .onnx file. */
  out: string;
  /** The label_map.pbtxt written beside it. */
  labelMap: string;
  run: string;
  step: number;
  classes: { id: number; name: string }[];
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** Max |ONNX − app pipeline| over `frames` real frames (boxes clipped to [0,1] on both sides). */
  parity: { maxAbsBoxes: number; maxAbsScores: number; frames: number };
  bytes: number;
  /** The second stage written beside `out` (`<stem>.crop.onnx`), or null when the run has none. */
  crop: ExportCropResult | null;
}

export interface ExportCropResult {
  /** The written .crop.onnx file. */
  out: string;
  meta: CropClassifierMeta;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** Max |ONNX − app pipeline| over `crops` crops around ground-truth boxes of the parity frames. */
  parity: { maxAbsProbs: number; maxAbsBox: number; crops: number };
  bytes: number;
}

export interface ExportOnnxOptions {
  /** Frames of the project used for the parity check (default 3; 0 skips it). */
  parityFrames?: number;
  signal?: AbortSignal;
}

interface BuiltModel {
  bytes: Uint8Array;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

function weightOf(weights: readonly NamedWeight[], name: string, shape: number[]): NamedWeight {
  const w = weights.find((x) => x.name === name);
  if (!w) throw new KslError('INVALID', `The checkpoint has no weight ${name}.`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new KslError('INVALID', `Checkpoint weight ${name} has shape [${w.shape}], expected [${shape}].`);
  }
  return w;
}

/** The whole detector graph: converted backbone + head + box decoding. */
export function buildDetectorOnnx(cfg: RunConfig, weights: readonly NamedWeight[], docString: string): BuiltModel {
  const A = anchorsPerPosition(cfg.anchors);
  const C = cfg.classes.length;
  const H = cfg.hidden;
  const withScores = (cfg.features ?? 'fpn') !== 'fpn';
  const K = featureChannels(cfg.features);
  const context = cfg.context ?? NO_CONTEXT;
  const Kin = contextChannels(context, K);
  const P = numPositions(cfg.anchors);
  const N = numAnchors(cfg.anchors);
  const dims = inputDims(cfg.anchors);
  if (P !== featurePositions(dims) || cfg.anchors.strides.join() !== PRETRAINED.featureStrides.join()) {
    throw new KslError('INVALID', `The run's anchors give ${P} positions at ${dims.height}×${dims.width} px (strides ${cfg.anchors.strides.join('/')}); the backbone gives ${featurePositions(dims)} (strides ${PRETRAINED.featureStrides.join('/')}).`);
  }
  const { height: IH, width: IW } = dims;
  const b = new GraphBuilder('ksl_detector');
  const { modelJson, weightData } = loadPretrainedGraph();
  const conv = convertGraphModelInto(b, modelJson, weightData, {
    input: { node: PRETRAINED.inputNode, shape: [1, IH, IW, 3], name: BACKBONE_INPUT },
    outputs: withScores ? [...PRETRAINED.featureNodes, ...PRETRAINED.scoreNodes] : [...PRETRAINED.featureNodes],
    outputNames: withScores ? [...BACKBONE_OUTPUTS, ...SCORE_OUTPUTS] : [...BACKBONE_OUTPUTS],
    outputLayout: 'nhwc',
  });
  // The feature maps are intermediate values here, not graph outputs.
  b.outputs.length = 0;
  // Per level: the FPN map, followed on channels by the pretrained class logits when the run used them
  // (features.ts writes each position's channels in that order).
  const levels = [0, 1, 2].map((i) => {
    const name = conv.outputNames[i]!;
    const shape = conv.outputShapes[i]!;
    if (shape[3] !== FEATURE_CHANNELS) throw new KslError('INTERNAL', `feature map ${name} has ${shape[3]} channels, expected ${FEATURE_CHANNELS}`);
    if (!withScores) return { name, shape };
    const extra = conv.outputNames[i + 3]!;
    return { name: b.op('Concat', [name, extra], { axis: attr.int(3) }, `level_${i}_channels`), shape: [shape[0]!, shape[1]!, shape[2]!, K] };
  });

  // NHWC maps → [H·W, Kin] each, concatenated in level order (= generateAnchors' position order). With
  // spatial context (neighbourhood.ts), each map is zero-padded by r·d and the (2r+1)² shifted windows
  // are concatenated on channels, neighbour q = (dy + r)·(2r+1) + (dx + r): the rows the head trained on.
  const { radius: r, dilation: d } = context;
  const flat = levels.map(({ name, shape }) => {
    const [, hh, ww, k] = shape;
    if (k !== K) throw new KslError('INTERNAL', `feature map ${name} has ${k} channels, expected ${K}`);
    let map = name;
    if (r > 0) {
      const m = r * d;
      const padded = b.op('Pad', [name, b.addInt64(`${name}_pads`, [0, m, m, 0, 0, m, m, 0])], { mode: attr.string('constant') }, `${name}_padded`);
      const windows: string[] = [];
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const y0 = m + dy * d;
          const x0 = m + dx * d;
          const tag = `${name}_win_${dy + r}_${dx + r}`;
          windows.push(b.op('Slice', [padded, b.addInt64(`${tag}_starts`, [y0, x0]), b.addInt64(`${tag}_ends`, [y0 + hh!, x0 + ww!]), b.addInt64(`${tag}_axes`, [1, 2])], undefined, tag));
        }
      }
      map = b.op('Concat', windows, { axis: attr.int(3) }, `${name}_context`);
    }
    return b.op('Reshape', [map, b.addInt64(`${name}_flat_shape`, [hh! * ww!, Kin])], undefined, `${name}_flat`);
  });
  const features = b.op('Concat', flat, { axis: attr.int(0) }, 'features');

  const dense = (x: string, prefix: 'hidden' | 'class' | 'box', inDim: number, outDim: number): string => {
    const kern = weightOf(weights, `${prefix}/kernel`, [inDim, outDim]);
    const bias = weightOf(weights, `${prefix}/bias`, [outDim]);
    const kName = b.addInitializer(`head_${prefix}_kernel`, kern.data, [inDim, outDim]);
    const bName = b.addInitializer(`head_${prefix}_bias`, bias.data, [outDim]);
    const mm = b.op('MatMul', [x, kName], undefined, `head_${prefix}_matmul`);
    return b.op('Add', [mm, bName], undefined, `head_${prefix}_linear`);
  };
  // ReLU6 as Clip(0, 6) (opset 13: min/max are inputs).
  const hidden = b.op('Clip', [dense(features, 'hidden', Kin, H), b.addFloat('relu6_min', [0], []), b.addFloat('relu6_max', [6], [])], undefined, 'head_hidden');
  // [P, A·C] → [1, P·A, C]: column a·C + c is anchor a, class c (see ssd-head.ts).
  const logits = b.op('Reshape', [dense(hidden, 'class', H, A * C), b.addInt64('logits_shape', [1, N, C])], undefined, 'logits');
  b.reserve('scores');
  b.reserve('boxes');
  b.addNode('Sigmoid', [logits], ['scores']);
  const rel = b.op('Reshape', [dense(hidden, 'box', H, A * 4), b.addInt64('rel_shape', [N, 4])], undefined, 'box_offsets');

  // Faster R-CNN box coder decode (box-coder.ts decodeInto), two columns at a time:
  //   [cy,cx] = t[:, 0:2] / [sy,sx] · [ha,wa] + [cya,cxa];  [h,w] = exp(min(t[:, 2:4] / [sh,sw], maxLog)) · [ha,wa]
  //   [ymin,xmin] = [cy,cx] − [h,w]/2;  [ymax,xmax] = [cy,cx] + [h,w]/2
  const anchors = generateAnchors(cfg.anchors);
  const centres = new Float32Array(N * 2);
  const sizes = new Float32Array(N * 2);
  for (let i = 0; i < N; i++) {
    centres[2 * i] = anchors[4 * i]!;
    centres[2 * i + 1] = anchors[4 * i + 1]!;
    sizes[2 * i] = anchors[4 * i + 2]!;
    sizes[2 * i + 1] = anchors[4 * i + 3]!;
  }
  const aCentre = b.addInitializer('anchor_centres_yx', centres, [N, 2]);
  const aSize = b.addInitializer('anchor_sizes_hw', sizes, [N, 2]);
  const tc = b.uniqueName('offsets_centre');
  const ts = b.uniqueName('offsets_size');
  b.nodes.push({ opType: 'Split', inputs: [rel, b.addInt64('split_2_2', [2, 2])], outputs: [tc, ts], attributes: { axis: attr.int(1) }, name: 'split_offsets' });
  const sc = DEFAULT_BOX_CODER_SCALES;
  const centre = b.op('Add', [b.op('Mul', [b.op('Div', [tc, b.addFloat('coder_scale_yx', [sc.y, sc.x], [2])]), aSize]), aCentre], undefined, 'centre_yx');
  const logRatio = b.op('Min', [b.op('Div', [ts, b.addFloat('coder_scale_hw', [sc.h, sc.w], [2])]), b.addFloat('max_log_size_ratio', [MAX_LOG_SIZE_RATIO], [])], undefined, 'log_size_ratio');
  const size = b.op('Mul', [b.op('Exp', [logRatio]), aSize], undefined, 'size_hw');
  const half = b.op('Div', [size, b.addFloat('two', [2], [])], undefined, 'half_size_hw');
  const lo = b.op('Sub', [centre, half], undefined, 'min_yx');
  const hi = b.op('Add', [centre, half], undefined, 'max_yx');
  const corners = b.op('Concat', [lo, hi], { axis: attr.int(1) }, 'corners');
  const clipped = b.op('Clip', [corners, b.addFloat('clip_min', [0], []), b.addFloat('clip_max', [1], [])], undefined, 'corners_clipped');
  b.addNode('Reshape', [clipped, b.addInt64('boxes_shape', [1, N, 4])], ['boxes']);

  const scoresShape = [1, N, C];
  const boxesShape = [1, N, 4];
  b.addOutput('scores', scoresShape);
  b.addOutput('boxes', boxesShape);
  return {
    bytes: b.toBytes({ docString }),
    inputs: [{ name: BACKBONE_INPUT, type: 'float32', shape: [1, IH, IW, 3], description: exportInputDescription(IW, IH) }],
    outputs: [
      { name: 'scores', type: 'float32', shape: scoresShape, description: `per-class sigmoid probability per anchor; class index c is label map id c+1 (${N} anchors: levels stride 8/16/32, row-major y→x, ${A} per position)` },
      { name: 'boxes', type: 'float32', shape: boxesShape, description: '[ymin, xmin, ymax, xmax] per anchor, normalised to the input and clipped to [0,1]; no NMS applied' },
    ],
  };
}

/**
 * The second stage as one graph: backbone at cropSize², average pooling per map in poolCropFeatures'
 * order, standardisation and the MLP of classifyCrop.
 */
export function buildCropClassifierOnnx(w: CropClassifierWeights, meta: CropClassifierMeta, docString: string, options: { oneCropPerRun?: boolean } = {}): BuiltModel {
  const S = meta.cropSize;
  const pool = meta.pool;
  checkInputDims({ height: S, width: S });
  const D = cropFeatureLength(pool, FEATURE_CHANNELS);
  if (w.inputs !== D) throw new KslError('INVALID', `The crop classifier takes ${w.inputs} features, but ${S}×${S} crops pooled to ${pool}×${pool} give ${D}; retrain the run.`);
  const C = wordCount(w);
  const Hd = w.hidden;
  const b = new GraphBuilder('ksl_crop_classifier');
  const { modelJson, weightData } = loadPretrainedGraph();
  // NCHW maps: AveragePool works on NCHW, and the converter emits that layout without an extra Transpose.
  const conv = convertGraphModelInto(b, modelJson, weightData, {
    input: { node: PRETRAINED.inputNode, shape: [1, S, S, 3], name: CROP_INPUT },
    outputs: [...PRETRAINED.featureNodes],
    outputNames: [...BACKBONE_OUTPUTS],
    outputLayout: 'nchw',
  });
  b.outputs.length = 0;
  // Any number of crops in one run (the first dimension is symbolic): every op below the input is
  // per-image (convolutions, Resize by scales, pooling; the reshapes keep the batch with -1), and one
  // run of two crops costs about three quarters of two runs (a frame with both hands up).
  // (`oneCropPerRun` builds the graph as exports before it did, so that the path for them stays tested.)
  const N = options.oneCropPerRun ? 1 : CROP_BATCH_DIM;
  b.inputs[0] = { ...b.inputs[0]!, shape: [N, S, S, 3] };
  const pooled = [0, 1, 2].map((i) => {
    const name = conv.outputNames[i]!;
    const [, ch, hh, ww] = conv.outputShapes[i]!;
    if (ch !== FEATURE_CHANNELS || hh !== ww || hh! % pool !== 0) throw new KslError('INTERNAL', `crop feature map ${name} is [${conv.outputShapes[i]}], expected [1,${FEATURE_CHANNELS},n,n] with n a multiple of ${pool}`);
    const cell = hh! / pool;
    const avg = b.op('AveragePool', [name], { kernel_shape: attr.ints([cell, cell]), strides: attr.ints([cell, cell]) }, `${name}_pooled`);
    // [n,128,pool,pool] → [n,pool,pool,128] → [n, pool²·128]: cell row, cell column, channel.
    const nhwc = b.op('Transpose', [avg], { perm: attr.ints([0, 2, 3, 1]) }, `${name}_pooled_nhwc`);
    return b.op('Reshape', [nhwc, b.addInt64(`${name}_pooled_shape`, [-1, pool * pool * FEATURE_CHANNELS])], undefined, `${name}_pooled_flat`);
  });
  const features = b.op('Concat', pooled, { axis: attr.int(1) }, 'crop_features');
  const z = b.op('Mul', [b.op('Sub', [features, b.addInitializer('feature_mean', w.mean, [1, D])], undefined, 'centred'), b.addInitializer('feature_inv_std', w.invStd, [1, D])], undefined, 'standardised');
  const dense = (x: string, prefix: string, kern: Float32Array, bias: Float32Array, inDim: number, outDim: number): string => {
    const mm = b.op('MatMul', [x, b.addInitializer(`${prefix}_kernel`, kern, [inDim, outDim])], undefined, `${prefix}_matmul`);
    return b.op('Add', [mm, b.addInitializer(`${prefix}_bias`, bias, [outDim])], undefined, `${prefix}_linear`);
  };
  const hidden = b.op('Relu', [dense(z, 'crop_hidden', w.w1, w.b1, D, Hd)], undefined, 'crop_hidden');
  b.reserve(CROP_OUTPUTS.probs);
  b.reserve(CROP_OUTPUTS.box);
  const logits = dense(hidden, 'crop_words', w.w2, w.b2, Hd, w.classes);
  if (w.background) {
    // The last output is "no sign": softmax over all, then only the words' probabilities go out.
    const all = b.op('Softmax', [logits], { axis: attr.int(1) }, 'crop_all_probs');
    b.addNode('Slice', [all, b.addInt64('crop_words_start', [0]), b.addInt64('crop_words_end', [C]), b.addInt64('crop_words_axis', [1])], [CROP_OUTPUTS.probs]);
  } else {
    b.addNode('Softmax', [logits], [CROP_OUTPUTS.probs], { axis: attr.int(1) });
  }
  b.addNode('Identity', [dense(hidden, 'crop_box', w.wBox, w.bBox, Hd, 4)], [CROP_OUTPUTS.box]);
  b.addOutput(CROP_OUTPUTS.probs, [N, C]);
  b.addOutput(CROP_OUTPUTS.box, [N, 4]);
  const metadataProps = { [CROP_METADATA_KEYS.cropSize]: String(S), [CROP_METADATA_KEYS.pad]: String(meta.pad), [CROP_METADATA_KEYS.pool]: String(pool) };
  return {
    bytes: b.toBytes({ docString, metadataProps }),
    inputs: [{ name: CROP_INPUT, type: 'float32', shape: [N, S, S, 3], description: `float32 [n,${S},${S},3], NHWC, RGB in [-1,1] (pixel / 127.5 − 1), n crops at once: each a square of ${meta.pad} × the candidate box's longer side, centred on it, cut from the frame at its own resolution and scaled to ${S}×${S}` }],
    outputs: [
      { name: CROP_OUTPUTS.probs, type: 'float32', shape: [N, C], description: `softmax word probabilities; index c is label map id c+1; detection score = hand score × probability${w.background ? '; the classifier\'s "no sign" output is left out, so they sum to 1 − P(no sign)' : ''}` },
      { name: CROP_OUTPUTS.box, type: 'float32', shape: [N, 4], description: `refined box relative to the crop window: centre offsets (x, y) in crop sides × ${CROP_BOX_SCALES[0]}, ${CROP_BOX_SCALES[1]} and log width and height ratios to the side × ${CROP_BOX_SCALES[2]}, ${CROP_BOX_SCALES[3]} (crop-classifier.ts decodeCropBox)` },
    ],
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new KslError('INTERNAL', `parity: ${a.length} values against ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The parity frames: the first `frames` test frames of the run's split (any frames if it has no test side). */
function parityExamples(project: Project, cfg: RunConfig, frames: number): SplitExample[] {
  if (frames <= 0) return [];
  const split = getSplit(project, cfg.splitId);
  const labelMap = labelMapItems(project, split.level);
  let examples = splitExamples(project, split.id, 'test', labelMap).examples;
  if (examples.length === 0) examples = splitExamples(project, split.id, 'all', labelMap).examples;
  return examples.slice(0, frames);
}

/** Runs `onnxFile` and the app's own pipeline on the same frames; max-abs differences of the outputs. */
async function checkParity(project: Project, cfg: RunConfig, weights: NamedWeight[], onnxFile: string, frames: number, signal?: AbortSignal): Promise<ExportOnnxResult['parity']> {
  const examples = parityExamples(project, cfg, frames);
  if (examples.length === 0) return { maxAbsBoxes: 0, maxAbsScores: 0, frames: 0 };

  const dims = inputDims(cfg.anchors);
  const { height: IH, width: IW } = dims;
  const P = featurePositions(dims);
  const inputs: Float32Array[] = [];
  await decodeFramesRgb(examples.map((e) => path.join(project.dir, e.file)), IW, IH, (_i, rgb) => void inputs.push(toModelInput(rgb)), signal);

  // The app's pipeline: backbone features, then the head in TensorFlow.js and trainer.predict's decoding.
  const K = featureChannels(cfg.features);
  const pool = new Float32Array(inputs.length * P * K);
  const extractor = await createFeatureExtractor('onnx', path.join(project.dir, 'runs', '.cache'), cfg.features, dims);
  try {
    for (const [i, x] of inputs.entries()) await extractor.run(x, pool, i * P * K);
  } finally {
    await extractor.close();
  }
  const { selectBackend } = await import('../training/train-job');
  await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('./head/ssd-head');
  const { createTrainer } = await import('./head/train-step');
  const anchors = generateAnchors(cfg.anchors);
  const context = cfg.context ?? NO_CONTEXT;
  const head = createHead({ channels: contextChannels(context, K), hidden: cfg.hidden, anchorsPerPosition: anchorsPerPosition(cfg.anchors), numClasses: cfg.classes.length, seed: cfg.seed });
  const trainer = createTrainer(head, { schedule: { base: 1e-3, total: 1 }, anchors });
  let preds: import('./head/train-step').Prediction[];
  try {
    head.setWeights(weights);
    const table = context.radius > 0 ? neighbourTable(context, featureMapShapes(cfg.anchors)) : undefined;
    const x = tf.tensor3d(contextRows(pool, 0, inputs.length, context, table, K, P), [inputs.length, P, contextChannels(context, K)]);
    try {
      preds = trainer.predict(x);
    } finally {
      x.dispose();
    }
  } finally {
    trainer.dispose();
    head.dispose();
  }

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: 1, executionMode: 'sequential' });
  let maxAbsBoxes = 0;
  let maxAbsScores = 0;
  try {
    for (const [i, x] of inputs.entries()) {
      const out = await session.run({ [BACKBONE_INPUT]: new ort.Tensor('float32', x, [1, IH, IW, 3]) });
      const boxes = out.boxes!.data as Float32Array;
      const scores = out.scores!.data as Float32Array;
      const ref = preds[i]!;
      const refBoxes = ref.boxes.map((v) => Math.min(1, Math.max(0, v)));
      maxAbsBoxes = Math.max(maxAbsBoxes, maxAbsDiff(boxes, refBoxes));
      maxAbsScores = Math.max(maxAbsScores, maxAbsDiff(scores, ref.scores));
    }
  } finally {
    await session.release();
  }
  return { maxAbsBoxes, maxAbsScores, frames: inputs.length };
}

/**
 * The crop model against the app's second stage (ONNX backbone at S×S → poolCropFeatures → classifyCrop)
 * on crops around the ground-truth boxes of the parity frames, each frame decoded at its own size.
 */
async function checkCropParity(project: Project, cfg: RunConfig, w: CropClassifierWeights, meta: CropClassifierMeta, onnxFile: string, frames: number, signal?: AbortSignal): Promise<ExportCropResult['parity']> {
  const examples = parityExamples(project, cfg, frames);
  const none = { maxAbsProbs: 0, maxAbsBox: 0, crops: 0 };
  if (examples.length === 0) return none;
  const S = meta.cropSize;
  const dims = { height: S, width: S };
  const crops: Float32Array[] = [];
  const bySize = new Map<string, SplitExample[]>();
  for (const e of examples) bySize.set(`${e.width}x${e.height}`, [...(bySize.get(`${e.width}x${e.height}`) ?? []), e]);
  for (const group of bySize.values()) {
    const { width: W, height: H } = group[0]!;
    await decodeFramesRgb(
      group.map((e) => path.join(project.dir, e.file)),
      W,
      H,
      (i, rgb) => {
        for (const box of group[i]!.boxes) crops.push(toModelInput(cropRgb(rgb, W, H, cropWindow(box, meta.pad), S)));
      },
      signal,
    );
  }
  if (crops.length === 0) return none;
  const extractor = await createOnnxFeatureExtractor(await pretrainedBackboneOnnx(path.join(project.dir, 'runs', '.cache'), false, dims), BACKBONE_OUTPUTS, dims);
  const refs: ReturnType<typeof classifyCrop>[] = [];
  try {
    for (const x of crops) refs.push(classifyCrop(w, poolCropFeatures(await extractor.run(x), S, meta.pool, FEATURE_CHANNELS)));
  } finally {
    await extractor.close();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnxFile, { intraOpNumThreads: 1, executionMode: 'sequential' });
  let maxAbsProbs = 0;
  let maxAbsBox = 0;
  try {
    // Several crops per run, as the live service reads a frame's hands: the batch must not change a crop's answer.
    for (let at = 0; at < crops.length; at += PARITY_CROP_BATCH) {
      const batch = crops.slice(at, at + PARITY_CROP_BATCH);
      const x = new Float32Array(batch.length * S * S * 3);
      batch.forEach((c, j) => x.set(c, j * S * S * 3));
      const out = await session.run({ [CROP_INPUT]: new ort.Tensor('float32', x, [batch.length, S, S, 3]) });
      const probs = out[CROP_OUTPUTS.probs]!.data as Float32Array;
      const box = out[CROP_OUTPUTS.box]!.data as Float32Array;
      const C = probs.length / batch.length;
      batch.forEach((_, j) => {
        maxAbsProbs = Math.max(maxAbsProbs, maxAbsDiff(probs.subarray(j * C, (j + 1) * C), refs[at + j]!.probs));
        maxAbsBox = Math.max(maxAbsBox, maxAbsDiff(box.subarray(j * 4, (j + 1) * 4), refs[at + j]!.box));
      });
    }
  } finally {
    await session.release();
  }
  return { maxAbsProbs, maxAbsBox, crops: crops.length };
}

/** Exports run `runId`'s best checkpoint as one ONNX detector at `outFile`, with label_map.pbtxt beside it. */
export async function exportRunOnnx(project: Project, runId: string, outFile: string, options: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  const dir = runDir(project, runId);
  const cfg = readJson<RunConfig>(path.join(dir, 'run.json'));
  if (!cfg) throw new KslError('NOT_FOUND', `No training run ${runId} in ${path.join(project.dir, 'runs')}.`);
  const best = loadWeights(dir, 'best');
  if (!best) throw new KslError('NOT_FOUND', `Run ${runId} has no evaluated checkpoint yet.`);
  if (cfg.classes.length === 0) throw new KslError('INVALID', `Run ${runId} has no classes.`);

  const out = path.resolve(outFile);
  const classes = cfg.classes.map((c) => ({ id: c.id, name: c.name }));
  const docString = [
    `KSL Studio sign detector, run ${runId} (best checkpoint, step ${best.header.step}).`,
    `Input "image": ${exportInputDescription(inputDims(cfg.anchors).width, inputDims(cfg.anchors).height)}.`,
    `Outputs: "scores" [1,N,${classes.length}] sigmoid class probabilities (index c = label map id c+1: ${classes.map((c) => `${c.id}=${c.name}`).join(', ')});`,
    `"boxes" [1,N,4] [ymin,xmin,ymax,xmax] normalised to [0,1]; N = ${numAnchors(cfg.anchors)} anchors; no NMS.`,
    `Backbone: ${PRETRAINED.architecture}, from ${PRETRAINED.package} (${PRETRAINED.licence}); ${CONVERTER_REVISION}.`,
  ].join(' ');
  const model = buildDetectorOnnx(cfg, best.weights, docString);

  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, model.bytes);
  renameSync(tmp, out);
  const labelMap = path.join(path.dirname(out), 'label_map.pbtxt');
  writeFileSync(labelMap, writeLabelMap(cfg.classes.map((c) => (c.name !== c.text ? { id: c.id, name: c.name, displayName: c.text } : { id: c.id, name: c.name }))));

  const frames = options.parityFrames ?? 3;
  const parity = await checkParity(project, cfg, best.weights, out, frames, options.signal);
  const crop = await exportCropOnnx(project, cfg, runId, dir, out, classes, frames, options.signal);
  return { out, labelMap, run: runId, step: best.header.step, classes, inputs: model.inputs, outputs: model.outputs, parity, bytes: model.bytes.length, crop };
}

/** The run's second stage as `<out stem>.crop.onnx`, or null (and no such file left at out) without one. */
async function exportCropOnnx(project: Project, cfg: RunConfig, runId: string, dir: string, out: string, classes: ExportOnnxResult['classes'], frames: number, signal?: AbortSignal): Promise<ExportCropResult | null> {
  const file = cropModelFile(out);
  const saved = loadCropClassifier(dir);
  if (!saved) {
    // An earlier export of another run to the same place must not pair its crop model with this detector.
    if (existsSync(file)) rmSync(file, { force: true });
    return null;
  }
  const { weights, meta } = saved;
  if (wordCount(weights) !== classes.length) throw new KslError('INVALID', `Run ${runId}'s crop classifier (${path.join(dir, 'crop-classifier.json')}) has ${wordCount(weights)} words, the detector ${classes.length}; retrain the run.`);
  const docString = [
    `KSL Studio second stage (crop classifier), run ${runId}: the word and a refined box of each candidate hand.`,
    `Input "${CROP_INPUT}": float32 [n,${meta.cropSize},${meta.cropSize},3] (n crops at once), NHWC, RGB in [-1,1] (pixel / 127.5 − 1), a square of ${meta.pad} × the candidate box's longer side centred on it, cut from the frame at its own resolution, scaled to ${meta.cropSize}×${meta.cropSize}.`,
    `Outputs: "${CROP_OUTPUTS.probs}" [n,${classes.length}] softmax (index c = label map id c+1: ${classes.map((c) => `${c.id}=${c.name}`).join(', ')}); "${CROP_OUTPUTS.box}" [n,4] the refined box relative to the crop window: [dx·${CROP_BOX_SCALES[0]}, dy·${CROP_BOX_SCALES[1]}, log(w/side)·${CROP_BOX_SCALES[2]}, log(h/side)·${CROP_BOX_SCALES[3]}], dx, dy the centre's offset from the window's centre in window sides.`,
    `Backbone: ${PRETRAINED.architecture}, from ${PRETRAINED.package} (${PRETRAINED.licence}); ${CONVERTER_REVISION}.`,
  ].join(' ');
  const model = buildCropClassifierOnnx(weights, meta, docString);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, model.bytes);
  renameSync(tmp, file);
  const parity = await checkCropParity(project, cfg, weights, meta, file, frames, signal);
  return { out: file, meta: { cropSize: meta.cropSize, pad: meta.pad, pool: meta.pool }, inputs: model.inputs, outputs: model.outputs, parity, bytes: model.bytes.length };
}
