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
 * Parity: the exported file is run in onnxruntime-node on a few real frames of the project, and the same
 * frames go through the app's own pipeline (backbone features from the ONNX feature extractor, the head in
 * TensorFlow.js, trainer.predict's decoding); the largest absolute differences are reported.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { anchorsPerPosition, featureMapShapes, generateAnchors, inputDims, numAnchors, numPositions } from '../../../src-shared/detector/anchors';
import { DEFAULT_BOX_CODER_SCALES, MAX_LOG_SIZE_RATIO } from '../../../src-shared/detector/box-coder';
import { writeLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { labelMapItems } from '../dataset/label-maps';
import { getSplit } from '../dataset/split';
import { splitExamples } from '../dataset/split-examples';
import { toModelInput } from '../training/augment';
import { decodeFramesRgb } from '../training/decode-frames';
import { FEATURE_CHANNELS, createFeatureExtractor, featureChannels, featurePositions } from '../training/features';
import { contextChannels, contextRows, neighbourTable, NO_CONTEXT } from '../training/neighbourhood';
import { loadWeights, readJson, runDir } from '../training/run-store';
import type { RunConfig } from '../training/train-job';
import type { NamedWeight } from './head/ssd-head';
import { GraphBuilder, attr } from './onnx/onnx-proto';
import { convertGraphModelInto } from './onnx/tfjs-to-onnx';
import { BACKBONE_INPUT, BACKBONE_OUTPUTS, CONVERTER_REVISION, PRETRAINED, SCORE_OUTPUTS, loadPretrainedGraph } from './pretrained';

/** What the exported graph's input is, for an input of width × height (default 320×320). */
export function exportInputDescription(width: number = PRETRAINED.inputSize, height: number = PRETRAINED.inputSize): string {
  return `float32 [1,${height},${width},3], NHWC, RGB in [-1,1] (pixel / 127.5 − 1), the frame stretched to ${width}×${height}`;
}

export const EXPORT_INPUT_DESCRIPTION = exportInputDescription();

export interface OnnxTensorInfo {
  name: string;
  type: 'float32';
  shape: number[];
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

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new KslError('INTERNAL', `parity: ${a.length} values against ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Runs `onnxFile` and the app's own pipeline on the same frames; max-abs differences of the outputs. */
async function checkParity(project: Project, cfg: RunConfig, weights: NamedWeight[], onnxFile: string, frames: number, signal?: AbortSignal): Promise<ExportOnnxResult['parity']> {
  if (frames <= 0) return { maxAbsBoxes: 0, maxAbsScores: 0, frames: 0 };
  const split = getSplit(project, cfg.splitId);
  const labelMap = labelMapItems(project, split.level);
  let examples = splitExamples(project, split.id, 'test', labelMap).examples;
  if (examples.length === 0) examples = splitExamples(project, split.id, 'all', labelMap).examples;
  examples = examples.slice(0, frames);
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

  const parity = await checkParity(project, cfg, best.weights, out, options.parityFrames ?? 3, options.signal);
  return { out, labelMap, run: runId, step: best.header.step, classes, inputs: model.inputs, outputs: model.outputs, parity, bytes: model.bytes.length };
}
