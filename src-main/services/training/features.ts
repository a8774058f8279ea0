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
import { createOnnxFeatureExtractor, loadPretrainedGraph, pretrainedBackboneOnnx, PRETRAINED } from '../detector/pretrained';

export const FEATURE_CHANNELS = 128;
export const FEATURE_POSITIONS = 40 * 40 + 20 * 20 + 10 * 10;
export const FEATURE_SIZE = FEATURE_POSITIONS * FEATURE_CHANNELS;

export interface FeatureExtractor {
  backend: 'onnxruntime-node' | 'tfjs-wasm';
  /** input: 1×320×320×3 NHWC RGB in [-1, 1]; writes FEATURE_SIZE floats into `out` at `offset`. */
  run(input: Float32Array, out: Float32Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

function concatInto(maps: Float32Array[], out: Float32Array, offset: number): void {
  let o = offset;
  for (const m of maps) {
    out.set(m, o);
    o += m.length;
  }
  if (o - offset !== FEATURE_SIZE) throw new KslError('INTERNAL', `feature maps have ${o - offset} values, expected ${FEATURE_SIZE}`);
}

export async function createFeatureExtractor(prefer: 'auto' | 'onnx' | 'wasm' = 'auto', cacheDir?: string): Promise<FeatureExtractor> {
  if (prefer !== 'wasm') {
    try {
      const onnx = await createOnnxFeatureExtractor(await pretrainedBackboneOnnx(cacheDir));
      return {
        backend: 'onnxruntime-node',
        run: async (input, out, offset) => concatInto(await onnx.run(input), out, offset),
        close: () => onnx.close(),
      };
    } catch (e) {
      if (prefer === 'onnx') throw e;
      process.stderr.write(`note: onnxruntime backbone unavailable (${(e as Error).message}); using TensorFlow.js wasm\n`);
    }
  }
  return createWasmExtractor();
}

async function createWasmExtractor(): Promise<FeatureExtractor> {
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
  return {
    backend: 'tfjs-wasm',
    async run(input, out, offset) {
      const x = tf.tensor4d(input, [1, PRETRAINED.inputSize, PRETRAINED.inputSize, 3]);
      const maps = model.execute({ [PRETRAINED.inputNode]: x }, [...PRETRAINED.featureNodes]) as import('@tensorflow/tfjs').Tensor[];
      const data = await Promise.all(maps.map((m) => m.data() as Promise<Float32Array>));
      x.dispose();
      for (const m of maps) m.dispose();
      concatInto(data, out, offset);
    },
    close: async () => model.dispose(),
  };
}
