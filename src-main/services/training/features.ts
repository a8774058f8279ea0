/**
 * The frozen pretrained backbone + FPN as a feature extractor for the `fast` preset: one H×W image
 * in (320×320 or a non-square size such as 288×512), one [positions × 128] row block out (strides 8,
 * 16, 32 flattened NHWC and concatenated, the order the anchors use; 2100 positions at 320×320). Native speed through onnxruntime-node on the converted graph; where the
 * conversion is unavailable, TensorFlow.js's wasm backend runs the original graph (slower, same
 * numbers to ~1e-4).
 */
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { unpackedPath } from '../fs/unpacked-path';
import { BACKBONE_OUTPUTS, createOnnxFeatureExtractor, featureShapesFor, loadPretrainedGraph, pretrainedBackboneOnnx, PRETRAINED, SCORE_OUTPUTS, SQUARE_INPUT, type InputDims } from '../detector/pretrained';

/** Channels of the FPN maps. */
export const FEATURE_CHANNELS = 128;

/** Positions of each level (strides 8, 16, 32) for an input size. */
export const levelPositions = (dims: InputDims): number[] => featureShapesFor(dims).map(([h, w]) => h * w);

/** Positions over all levels for an input size (2100 at 320×320, 3024 at 288×512). */
export const featurePositions = (dims: InputDims): number => levelPositions(dims).reduce((a, b) => a + b, 0);

/** Positions at the square 320×320 input. */
export const FEATURE_POSITIONS = featurePositions(SQUARE_INPUT);

/**
 * What the head sees at each position: the FPN features alone, or followed by the pretrained
 * detector's own class logits (PRETRAINED.scoreNodes).
 */
export type FeatureSet = 'fpn' | 'fpn+scores';

/** Channels per position of a feature set. */
export const featureChannels = (set: FeatureSet = 'fpn'): number => (set === 'fpn' ? FEATURE_CHANNELS : FEATURE_CHANNELS + PRETRAINED.scoreChannels);

export interface FeatureExtractor {
  backend: 'onnxruntime-node' | 'tfjs-wasm';
  /** Channels per position written by run(). */
  channels: number;
  /** The input size in pixels. */
  dims: InputDims;
  /** Positions written per frame (featurePositions(dims)). */
  positions: number;
  /** input: 1×H×W×3 NHWC RGB in [-1, 1]; writes `positions` × channels floats into `out` at `offset`. */
  run(input: Float32Array, out: Float32Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes the maps position by position: level by level, each position's FPN channels followed by its
 * extra channels (when maps has 6 entries: 3 FPN maps, then 3 extra maps of the same levels).
 */
function concatInto(maps: Float32Array[], out: Float32Array, offset: number, LEVEL_POSITIONS: readonly number[]): void {
  if (maps.length === 3) {
    let o = offset;
    for (const m of maps) {
      out.set(m, o);
      o += m.length;
    }
    const expected = LEVEL_POSITIONS.reduce((a, b) => a + b, 0) * FEATURE_CHANNELS;
    if (o - offset !== expected) throw new KslError('INTERNAL', `feature maps have ${o - offset} values, expected ${expected}`);
    return;
  }
  const E = maps[3]!.length / LEVEL_POSITIONS[0]!;
  const K = FEATURE_CHANNELS + E;
  let o = offset;
  for (let l = 0; l < 3; l++) {
    const f = maps[l]!;
    const x = maps[l + 3]!;
    if (f.length !== LEVEL_POSITIONS[l]! * FEATURE_CHANNELS || x.length !== LEVEL_POSITIONS[l]! * E) throw new KslError('INTERNAL', `feature level ${l}: ${f.length} + ${x.length} values`);
    for (let p = 0; p < LEVEL_POSITIONS[l]!; p++, o += K) {
      out.set(f.subarray(p * FEATURE_CHANNELS, (p + 1) * FEATURE_CHANNELS), o);
      out.set(x.subarray(p * E, (p + 1) * E), o + FEATURE_CHANNELS);
    }
  }
}

export async function createFeatureExtractor(prefer: 'auto' | 'onnx' | 'wasm' = 'auto', cacheDir?: string, set: FeatureSet = 'fpn', dims: InputDims = SQUARE_INPUT): Promise<FeatureExtractor> {
  const levels = levelPositions(dims);
  const square = dims.height === PRETRAINED.inputSize && dims.width === PRETRAINED.inputSize;
  if (prefer !== 'wasm') {
    try {
      const withScores = set !== 'fpn';
      const onnx = await createOnnxFeatureExtractor(await pretrainedBackboneOnnx(cacheDir, withScores, dims), withScores ? [...BACKBONE_OUTPUTS, ...SCORE_OUTPUTS] : BACKBONE_OUTPUTS, dims);
      return {
        backend: 'onnxruntime-node',
        channels: featureChannels(set),
        dims,
        positions: featurePositions(dims),
        run: async (input, out, offset) => concatInto(await onnx.run(input), out, offset, levels),
        close: () => onnx.close(),
      };
    } catch (e) {
      if (prefer === 'onnx' || !square) {
        if (square) throw e;
        // The original TF graph hard-codes its FPN upsampling to 320×320: only the converted graph runs other sizes.
        throw new KslError('UNAVAILABLE', `The ${dims.height}×${dims.width} backbone needs onnxruntime-node, which failed to start (${(e as Error).message}). Reinstall with \`npm ci\`, or train at 320×320.`);
      }
      process.stderr.write(`note: onnxruntime backbone unavailable (${(e as Error).message}); using TensorFlow.js wasm\n`);
    }
  }
  if (!square) throw new KslError('UNAVAILABLE', `The TensorFlow.js backbone runs only at 320×320 (its FPN upsampling is fixed to that size); ${dims.height}×${dims.width} needs onnxruntime-node.`);
  return createWasmExtractor(set, levels);
}

async function createWasmExtractor(set: FeatureSet, levels: number[]): Promise<FeatureExtractor> {
  // A separate tfjs engine state is not available, so the wasm backend is selected globally;
  // the head trains on whichever backend is active (wasm covers every op the head uses).
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const converter = await import('@tensorflow/tfjs-converter');
  // In a packaged app the .wasm files are unpacked from app.asar (electron-builder.yml asarUnpack).
  wasm.setWasmPaths(unpackedPath(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))) + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new KslError('UNAVAILABLE', 'TensorFlow.js wasm backend failed to start.');
  const { modelJson, weightData } = loadPretrainedGraph();
  const model = await converter.loadGraphModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights) as never,
      weightData,
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
    }),
  });
  const nodes = set === 'fpn' ? [...PRETRAINED.featureNodes] : [...PRETRAINED.featureNodes, ...PRETRAINED.scoreNodes];
  return {
    backend: 'tfjs-wasm',
    channels: featureChannels(set),
    dims: SQUARE_INPUT,
    positions: FEATURE_POSITIONS,
    async run(input, out, offset) {
      const x = tf.tensor4d(input, [1, PRETRAINED.inputSize, PRETRAINED.inputSize, 3]);
      const maps = model.execute({ [PRETRAINED.inputNode]: x }, nodes) as import('@tensorflow/tfjs').Tensor[];
      const data = await Promise.all(maps.map((m) => m.data() as Promise<Float32Array>));
      x.dispose();
      for (const m of maps) m.dispose();
      concatInto(data, out, offset, levels);
    },
    close: async () => model.dispose(),
  };
}
