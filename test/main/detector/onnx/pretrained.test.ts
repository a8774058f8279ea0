import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkInputDims,
  createOnnxFeatureExtractor,
  featureShapesFor,
  loadPretrainedGraph,
  PRETRAINED,
  pretrainedBackboneOnnx,
  pretrainedModelDir,
  type OnnxFeatureExtractor,
} from '../../../../src-main/services/detector/pretrained';

// End-to-end parity of the converted handtrack backbone (onnxruntime-node) against the original
// tfjs graph (wasm backend) on the same inputs, plus the on-disk cache behaviour.

const S = PRETRAINED.inputSize;
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'ksl-pretrained-'));
let onnxPath = '';
let firstConvertMs = 0;
let extractor: OnnxFeatureExtractor;
let model: GraphModel;

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 2 ** 23 - 1; // [-1, 1)
  }
  return out;
}

/** Smooth, image-like RGB content in [-1,1] (gradients + a soft blob), NHWC. */
function gradientImage(): Float32Array {
  const out = new Float32Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const i = (y * S + x) * 3;
      const blob = Math.exp(-((x - 180) ** 2 + (y - 140) ** 2) / (2 * 45 ** 2));
      out[i] = (x / (S - 1)) * 2 - 1;
      out[i + 1] = (y / (S - 1)) * 2 - 1;
      out[i + 2] = Math.min(1, Math.sin((x + y) / 40) * 0.5 + blob);
    }
  return out;
}

/**
 * The original graph; with `dims`, its two FPN upsampling reshape constants (hard-coded to 320×320 at
 * export) rewritten for that input size, so that tfjs can run it as a reference at another size.
 */
async function loadTfjsModel(dims?: { height: number; width: number }): Promise<GraphModel> {
  const { modelJson, weightData } = loadPretrainedGraph();
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  if (dims) {
    const bytes = new Uint8Array(weightData);
    let offset = 0;
    let patched = 0;
    for (const w of specs as { name: string; shape: number[]; dtype: string }[]) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (/nearest_neighbor_upsampling(_1)?\/Reshape\/shape$/.test(w.name)) {
        const v = new Int32Array(bytes.slice(offset, offset + 16).buffer);
        // [1, 20, 20, 128] at 320 → stride 16; [1, 40, 40, 128] → stride 8
        const stride = 320 / v[1]!;
        const fixed = new Int32Array([1, dims.height / stride, dims.width / stride, v[3]!]);
        bytes.set(new Uint8Array(fixed.buffer), offset);
        patched++;
      }
      offset += n * (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1);
    }
    expect(patched).toBe(2);
  }
  return loadGraphModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: specs as tf.io.WeightsManifestEntry[],
      weightData,
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy ?? undefined,
    }),
  });
}

function runTfjs(input: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [1, S, S, 3]);
    const outs = model.execute({ [PRETRAINED.inputNode]: x }, [...PRETRAINED.featureNodes]) as tf.Tensor[];
    return outs.map((t) => t.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  await tf.setBackend('wasm');
  const t0 = performance.now();
  onnxPath = await pretrainedBackboneOnnx(cacheDir);
  firstConvertMs = performance.now() - t0;
  extractor = await createOnnxFeatureExtractor(onnxPath);
  model = await loadTfjsModel();
}, 60_000);

afterAll(async () => {
  await extractor?.close();
  model?.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('pretrained handtrack backbone', () => {
  it('records the package licence and resolves the model from node_modules', () => {
    const pkgPath = require.resolve('handtrackjs/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { license: string; version: string };
    expect(PRETRAINED.licence).toBe(pkg.license);
    expect(PRETRAINED.package).toBe(`handtrackjs@${pkg.version}`);
    expect(readdirSync(pretrainedModelDir()).sort()).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin', 'model.json']);
  });

  it('caches the converted ONNX: the second call returns the same file without rewriting it', async () => {
    expect(path.basename(onnxPath)).toMatch(/^backbone-[0-9a-f]{16}\.onnx$/);
    const mtime = statSync(onnxPath).mtimeMs;
    const t0 = performance.now();
    const again = await pretrainedBackboneOnnx(cacheDir);
    const cachedMs = performance.now() - t0;
    expect(again).toBe(onnxPath);
    expect(statSync(again).mtimeMs).toBe(mtime);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp files left behind
    console.log(
      `backbone ONNX: ${(statSync(onnxPath).size / 1e6).toFixed(2)} MB; first call (convert+write) ${firstConvertMs.toFixed(0)} ms, cached call ${cachedMs.toFixed(0)} ms`,
    );
    expect(cachedMs).toBeLessThan(firstConvertMs);
  });

  it('converts once for concurrent callers and reuses a file cached by an earlier process', async () => {
    const dir = path.join(cacheDir, 'concurrent');
    const [a, b] = await Promise.all([pretrainedBackboneOnnx(dir), pretrainedBackboneOnnx(dir)]);
    expect(a).toBe(b);
    expect(readdirSync(dir)).toEqual([path.basename(onnxPath)]); // same content hash as the first dir
    expect(readFileSync(a).equals(readFileSync(onnxPath))).toBe(true); // conversion is deterministic
  });

  it('matches tfjs (wasm) within 1e-4 on random and image-like inputs, and is faster', async () => {
    const inputs: [string, Float32Array][] = [
      ['random #1', rand(S * S * 3, 1)],
      ['random #2', rand(S * S * 3, 2)],
      ['gradient image', gradientImage()],
    ];
    // Warm-up both runtimes (first runs include kernel selection / memory planning).
    runTfjs(inputs[0][1]);
    await extractor.run(inputs[0][1]);

    const tTf: number[] = [];
    const tOrt: number[] = [];
    for (const [label, input] of inputs) {
      let t0 = performance.now();
      const ref = runTfjs(input);
      tTf.push(performance.now() - t0);
      t0 = performance.now();
      const got = await extractor.run(input);
      tOrt.push(performance.now() - t0);

      expect(got).toHaveLength(3);
      const diffs = got.map((g, k) => {
        expect(g.length).toBe(ref[k].length);
        expect(g.length).toBe(PRETRAINED.featureShapes[k].reduce((a, b) => a * b, 1));
        let maxAbs = 0;
        let maxRef = 0;
        for (let i = 0; i < g.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(g[i] - ref[k][i]));
          maxRef = Math.max(maxRef, Math.abs(ref[k][i]));
        }
        return { maxAbs, maxRef };
      });
      console.log(
        `${label}: max|onnx-tfjs| per level ${diffs.map((d) => `${d.maxAbs.toExponential(2)} (|ref|≤${d.maxRef.toFixed(2)})`).join(', ')}; ` +
          `tfjs-wasm ${tTf.at(-1)!.toFixed(1)} ms, onnxruntime ${tOrt.at(-1)!.toFixed(1)} ms`,
      );
      for (const d of diffs) {
        expect(d.maxRef).toBeGreaterThan(0.1); // features are not trivially zero
        expect(d.maxAbs).toBeLessThan(1e-4);
      }
    }

    // Steady-state timing over a few more runs.
    const reps = 5;
    let t0 = performance.now();
    for (let i = 0; i < reps; i++) await extractor.run(inputs[i % 3][1]);
    const ortMs = (performance.now() - t0) / reps;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) runTfjs(inputs[i % 3][1]);
    const tfMs = (performance.now() - t0) / reps;
    console.log(`per image (1 thread ORT, avg of ${reps}): onnxruntime ${ortMs.toFixed(1)} ms vs tfjs-wasm ${tfMs.toFixed(1)} ms (${(tfMs / ortMs).toFixed(1)}×)`);
    expect(ortMs).toBeLessThan(tfMs);
  });

  it('runs at a non-square input (288×512 for 16:9 video) and matches the original graph resized to it', async () => {
    const dims = { height: 288, width: 512 };
    const wideOnnx = await pretrainedBackboneOnnx(cacheDir, false, dims);
    expect(wideOnnx).not.toBe(onnxPath); // its own cache file
    expect(await pretrainedBackboneOnnx(cacheDir, false, { height: S, width: S })).toBe(onnxPath); // 320×320 keeps its file
    const wide = await createOnnxFeatureExtractor(wideOnnx, undefined, dims);
    const ref = await loadTfjsModel(dims);
    try {
      expect(featureShapesFor(dims)).toEqual([
        [36, 64],
        [18, 32],
        [9, 16],
      ]);
      const input = rand(288 * 512 * 3, 7);
      const got = await wide.run(input);
      const want = tf.tidy(() => {
        const outs = ref.execute({ [PRETRAINED.inputNode]: tf.tensor4d(input, [1, 288, 512, 3]) }, [...PRETRAINED.featureNodes]) as tf.Tensor[];
        return outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
      });
      for (let k = 0; k < 3; k++) {
        expect(want[k]!.shape).toEqual([1, ...featureShapesFor(dims)[k]!, 128]);
        expect(got[k]!.length).toBe(want[k]!.data.length);
        let maxAbs = 0;
        let maxRef = 0;
        for (let i = 0; i < got[k]!.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(got[k]![i]! - want[k]!.data[i]!));
          maxRef = Math.max(maxRef, Math.abs(want[k]!.data[i]!));
        }
        expect(maxRef).toBeGreaterThan(0.1);
        expect(maxAbs).toBeLessThan(1e-4);
      }
      await expect(wide.run(rand(S * S * 3, 1))).rejects.toThrow(/expected 442368 floats \(1×288×512×3\)/);
    } finally {
      await wide.close();
      ref.dispose();
    }
    expect(() => checkInputDims({ height: 300, width: 512 })).toThrow(/multiple of 32/);
  }, 60_000);

  it('rejects wrongly sized input', async () => {
    await expect(extractor.run(new Float32Array(10))).rejects.toThrow(/expected 307200 floats/);
  });
});
