/**
 * The frozen pretrained backbone + FPN as a feature extractor for the `fast` preset: one 320×320
 * image in, one [2100 × 128] row block out (strides 8, 16, 32 flattened NHWC and concatenated, the
 * order the anchors use). Native speed through onnxruntime-node on the converted graph; where the
 * conversion is unavailable, TensorFlow.js's wasm backend runs the original graph (slower, same
 * numbers to ~1e-4).
 */
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { unpackedPath } from '../fs/unpacked-path';
import { BACKBONE_OUTPUTS, createOnnxFeatureExtractor, loadPretrainedGraph, pretrainedBackboneOnnx, PRETRAINED, SCORE_OUTPUTS } from '../detector/pretrained';

/** Channels of the FPN maps. */
export const FEATURE_CHANNELS = 128;
export const FEATURE_POSITIONS = 40 * 40 + 20 * 20 + 10 * 10;
/** Floats per frame of the plain FPN feature set. */
export const FEATURE_SIZE = FEATURE_POSITIONS * FEATURE_CHANNELS;
const LEVEL_POSITIONS = [1600, 400, 100];

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
  /** input: 1×320×320×3 NHWC RGB in [-1, 1]; writes FEATURE_POSITIONS × channels floats into `out` at `offset`. */
  run(input: Float32Array, out: Float32Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes the maps position by position: level by level, each position's FPN channels followed by its
 * extra channels (when maps has 6 entries: 3 FPN maps, then 3 extra maps of the same levels).
 */
function concatInto(maps: Float32Array[], out: Float32Array, offset: number): void {
  if (maps.length === 3) {
    let o = offset;
    for (const m of maps) {
      out.set(m, o);
      o += m.length;
    }
    if (o - offset !== FEATURE_SIZE) throw new KslError('INTERNAL', `feature maps have ${o - offset} values, expected ${FEATURE_SIZE}`);
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

export async function createFeatureExtractor(prefer: 'auto' | 'onnx' | 'wasm' = 'auto', cacheDir?: string, set: FeatureSet = 'fpn'): Promise<FeatureExtractor> {
  if (prefer !== 'wasm') {
    try {
      const withScores = set !== 'fpn';
      const onnx = await createOnnxFeatureExtractor(await pretrainedBackboneOnnx(cacheDir, withScores), withScores ? [...BACKBONE_OUTPUTS, ...SCORE_OUTPUTS] : BACKBONE_OUTPUTS);
      return {
        backend: 'onnxruntime-node',
        channels: featureChannels(set),
        run: async (input, out, offset) => concatInto(await onnx.run(input), out, offset),
        close: () => onnx.close(),
      };
    } catch (e) {
      if (prefer === 'onnx') throw e;
      process.stderr.write(`note: onnxruntime backbone unavailable (${(e as Error).message}); using TensorFlow.js wasm\n`);
    }
  }
  return createWasmExtractor(set);
}

async function createWasmExtractor(set: FeatureSet): Promise<FeatureExtractor> {
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
    async run(input, out, offset) {
      const x = tf.tensor4d(input, [1, PRETRAINED.inputSize, PRETRAINED.inputSize, 3]);
      const maps = model.execute({ [PRETRAINED.inputNode]: x }, nodes) as import('@tensorflow/tfjs').Tensor[];
      const data = await Promise.all(maps.map((m) => m.data() as Promise<Float32Array>));
      x.dispose();
      for (const m of maps) m.dispose();
      concatInto(data, out, offset);
    },
    close: async () => model.dispose(),
  };
}
