import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { attr, encodeModel, GraphBuilder, TensorDataType } from '../../../../src-main/services/detector/onnx/onnx-proto';

// Round-trips hand-built graphs through onnxruntime-node: if any field number, wire type or
// packing were wrong, ORT would refuse the model or compute something else.

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-onnx-proto-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Deterministic pseudo-random floats (no Math.random: failures must be reproducible). */
function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

async function runBytes(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, fromFile = false) {
  const session = fromFile
    ? await ort.InferenceSession.create((() => {
        const f = path.join(tmp, `m${Date.now()}.onnx`);
        writeFileSync(f, bytes);
        return f;
      })())
    : await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('onnx-proto', () => {
  it('Conv + Clip + Add built by hand matches a JS reference in onnxruntime', async () => {
    // x [1,2,6,7] NCHW; Conv 3×3 stride 2, asymmetric pads (top 0, left 1, bottom 1, right 0),
    // dilation 1; then Clip(0,6) (opset 13: min/max as inputs), then Add of a per-channel constant.
    const [N, C, H, W, O, K, S] = [1, 2, 6, 7, 3, 3, 2];
    const pads = [0, 1, 1, 0]; // top, left, bottom, right
    const x = rand(N * C * H * W, 1, -3, 3);
    const w = rand(O * C * K * K, 2);
    const bias = Float32Array.from([0.5, -0.25, 4]);
    const addC = Float32Array.from([1, -2, 0.125]);

    const b = new GraphBuilder('tiny');
    b.addInput('x', ['batch', C, H, W]);
    const wName = b.addInitializer('w', w, [O, C, K, K]);
    const bName = b.addInitializer('b', bias, [O]);
    const conv = b.op('Conv', ['x', wName, bName], {
      kernel_shape: attr.ints([K, K]),
      strides: attr.ints([S, S]),
      pads: attr.ints(pads),
      dilations: attr.ints([1, 1]),
      group: attr.int(1),
    });
    const clip = b.op('Clip', [conv, b.addFloat('lo', [0], []), b.addFloat('hi', [6], [])]);
    b.addNode('Add', [clip, b.addInitializer('c', addC, [1, O, 1, 1])], ['y']);
    b.addOutput('y', ['batch', O, 'oh', 'ow']);
    const bytes = b.toBytes();
    expect(bytes[0]).toBe(0x08); // field 1 (ir_version), varint
    expect(bytes[1]).toBe(8);

    const OH = Math.floor((H + pads[0] + pads[2] - K) / S) + 1;
    const OW = Math.floor((W + pads[1] + pads[3] - K) / S) + 1;
    const ref = new Float32Array(N * O * OH * OW);
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = bias[o];
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < K; ky++)
              for (let kx = 0; kx < K; kx++) {
                const iy = oy * S + ky - pads[0];
                const ix = ox * S + kx - pads[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += x[(c * H + iy) * W + ix] * w[((o * C + c) * K + ky) * K + kx];
              }
          ref[(o * OH + oy) * OW + ox] = Math.min(Math.max(acc, 0), 6) + addC[o];
        }

    for (const fromFile of [false, true]) {
      const out = await runBytes(bytes, { x: new ort.Tensor('float32', x, [N, C, H, W]) }, fromFile);
      expect(out.y.dims).toEqual([N, O, OH, OW]);
      const y = out.y.data as Float32Array;
      let maxAbs = 0;
      for (let i = 0; i < ref.length; i++) maxAbs = Math.max(maxAbs, Math.abs(y[i] - ref[i]));
      expect(maxAbs).toBeLessThan(1e-5);
    }
  });

  it('encodes negative ints, INT64/INT32 initializers, float/string/tensor attributes and dim_params', async () => {
    const b = new GraphBuilder('attrs');
    b.addInput('x', ['n', 2, 3]);
    // Reshape to [-1, 6] (negative int64 in raw_data), then Concat on axis -1 (negative int attr).
    const flat = b.op('Reshape', ['x', b.addInt64('shape', [-1, 6])]);
    const cat = b.op('Concat', [flat, flat], { axis: attr.int(-1) });
    // Gather columns with INT32 indices.
    const g = b.op('Gather', [cat, b.addInitializer('idx', Int32Array.from([11, 0, 6]), [3])], { axis: attr.int(1) });
    // LeakyRelu: FLOAT attribute.
    const lr = b.op('LeakyRelu', [g], { alpha: attr.float(0.1) });
    // Constant with FLOATS and TENSOR attributes; Pad with a STRING attribute.
    const cf = b.op('Constant', [], { value_floats: attr.floats([0.5, -1.5, 2.25]) });
    const ct = b.op('Constant', [], {
      value: attr.tensor({ name: 'k', dims: [1, 3], dataType: TensorDataType.FLOAT, rawData: new Uint8Array(Float32Array.from([10, 20, 30]).buffer) }),
    });
    const sum = b.op('Add', [b.op('Add', [lr, cf]), ct]);
    b.addNode('Pad', [sum, b.addInt64('pads', [0, 1, 0, 0])], ['y'], { mode: attr.string('edge') });
    b.addOutput('y', ['n', 4]);
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 5);
    const out = await runBytes(b.toBytes(), { x: new ort.Tensor('float32', x, [2, 2, 3]) });
    expect(out.y.dims).toEqual([2, 4]);
    const leaky = (v: number) => (v < 0 ? 0.1 * v : v);
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(x.slice(r * 6, r * 6 + 6));
      const catRow = [...row, ...row];
      const picked = [catRow[11], catRow[0], catRow[6]].map(leaky);
      const vals = picked.map((v, i) => v + [0.5, -1.5, 2.25][i] + [10, 20, 30][i]);
      expected.push(vals[0], ...vals); // edge pad of 1 at the start of the last axis
    }
    const got = Array.from(out.y.data as Float32Array);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it('large initializers (multi-byte lengths) survive encoding', async () => {
    const n = 300_000; // > 2^16 bytes: 3-byte length varints, chunked writer path
    const b = new GraphBuilder('big');
    b.addInput('x', [n]);
    const w = rand(n, 7);
    b.addNode('Mul', ['x', b.addInitializer('w', w, [n])], ['y']);
    b.addOutput('y', [n]);
    const x = rand(n, 8);
    const out = await runBytes(encodeModel(b.toModelProto()), { x: new ort.Tensor('float32', x, [n]) });
    const y = out.y.data as Float32Array;
    for (let i = 0; i < n; i += 997) expect(y[i]).toBe(Math.fround(x[i] * w[i]));
  });

  it('rejects duplicate value names and unknown outputs', () => {
    const b = new GraphBuilder();
    b.addInput('x', [1]);
    expect(() => b.addNode('Relu', ['x'], ['x'])).toThrow(/already defined/);
    expect(() => b.addOutput('nope')).toThrow(/not produced/);
    b.reserve('out');
    expect(b.uniqueName('out')).not.toBe('out');
    b.addNode('Relu', ['x'], ['out']);
    expect(() => b.addOutput('out')).not.toThrow();
  });
});
