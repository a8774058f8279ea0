import * as tf from '@tensorflow/tfjs';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  convertGraphModel,
  tfPadding,
  UnsupportedOpError,
  type TfjsGraphModelJson,
  type TfjsNode,
} from '../../../../src-main/services/detector/onnx/tfjs-to-onnx';
import { loadPretrainedGraph, PRETRAINED } from '../../../../src-main/services/detector/pretrained';

// Op-by-op parity: a small synthetic tfjs graph exercising every op (and attribute variant) the
// converter supports is executed by tfjs itself (cpu backend = the reference semantics) and by
// onnxruntime on the converted model.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const A = {
  i: (n: number) => ({ i: String(n) }),
  f: (x: number) => ({ f: x }),
  b: (x: boolean) => ({ b: x }),
  s: (x: string) => ({ s: b64(x) }),
  ints: (xs: number[]) => ({ list: { i: xs.map(String) } }),
  strs: (xs: string[]) => ({ list: { s: xs.map(b64) } }),
  T: { type: 'DT_FLOAT' },
};

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

/** Builds a tfjs graph-model JSON + weight buffer in the same format the TF.js converter writes. */
class TfGraphBuilder {
  nodes: TfjsNode[] = [];
  private specs: { name: string; shape: number[]; dtype: string }[] = [];
  private chunks: Buffer[] = [];
  private seed = 100;

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: A.T, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  const(name: string, shape: number[], values?: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float32' ? Float32Array.from(values ?? rand(n, this.seed++, -0.5, 0.5)) : Int32Array.from(values!);
    if (data.length !== n) throw new Error(`const ${name}: ${data.length} values for [${shape}]`);
    const dt = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: dt, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: { type: dt } } });
    this.specs.push({ name, shape, dtype });
    this.chunks.push(Buffer.from(data.buffer));
    return name;
  }

  op(name: string, op: string, input: string[], attr: TfjsNode['attr'] = {}): string {
    this.nodes.push({ name, op, input, attr: { T: A.T, ...attr } });
    return name;
  }

  build(): { modelJson: TfjsGraphModelJson; weightData: ArrayBuffer } {
    const all = Buffer.concat(this.chunks);
    return {
      modelJson: {
        format: 'graph-model',
        generatedBy: 'test',
        convertedBy: 'TfGraphBuilder',
        modelTopology: { node: this.nodes, library: {}, versions: { producer: 561 } },
        weightsManifest: [{ paths: ['w.bin'], weights: this.specs }],
      },
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
    };
  }
}

const conv = (padding: string, strides = [1, 1, 1, 1], dilations = [1, 1, 1, 1], extra: Record<string, unknown> = {}) => ({
  padding: A.s(padding),
  strides: A.ints(strides),
  dilations: A.ints(dilations),
  data_format: A.s('NHWC'),
  explicit_paddings: { list: {} },
  ...extra,
});

/** The synthetic graph: input x [1,10,9,4] (H even → asymmetric SAME pads, W odd → symmetric). */
function syntheticGraph() {
  const g = new TfGraphBuilder();
  const x = g.placeholder('x', [1, 10, 9, 4]);
  const c1 = g.op('c1', '_FusedConv2D', [x, g.const('w1', [3, 3, 4, 6]), g.const('b1', [6])], {
    ...conv('SAME', [1, 2, 2, 1]),
    fused_ops: A.strs(['BiasAdd', 'Relu6']),
    num_args: A.i(1),
    epsilon: A.f(0),
  }); // [1,5,5,6]
  const dw = g.op('dw', 'FusedDepthwiseConv2dNative', [c1, g.const('dww', [3, 3, 6, 2]), g.const('dwb', [12])], {
    ...conv('SAME', [1, 1, 1, 1], [1, 2, 2, 1]),
    fused_ops: A.strs(['BiasAdd', 'Relu']),
    num_args: A.i(1),
  }); // [1,5,5,12], multiplier 2, dilation 2
  const dws = g.op('dws', 'DepthwiseConv2dNative', [c1, g.const('dwsw', [3, 3, 6, 1])], conv('VALID', [1, 2, 2, 1])); // [1,2,2,6]
  const pad = g.op('pad', 'Pad', [c1, g.const('pads', [4, 2], [0, 0, 1, 2, 0, 1, 0, 0], 'int32')]); // [1,8,6,6]
  const c2 = g.op('c2', 'Conv2D', [pad, g.const('w2', [2, 2, 6, 12])], conv('VALID', [1, 1, 1, 1], [1, 2, 1, 1])); // [1,6,5,12]
  const ce = g.op('ce', 'Conv2D', [c1, g.const('w3', [3, 3, 6, 4])], {
    ...conv('EXPLICIT', [1, 2, 1, 1]),
    explicit_paddings: A.ints([0, 0, 2, 0, 1, 1, 0, 0]),
  }); // [1,3,5,4]
  const mul = g.op('mul', 'Mul', [c2, g.const('chan', [12])]);
  const add = g.op('add', 'AddV2', [mul, g.const('b4d', [1, 1, 1, 12])]);
  // TF OD API nearest_neighbor_upsampling: stack ×2 on axis 3, then on axis 2, then reshape.
  const st = g.op('up/stack', 'Pack', [dw, dw], { axis: A.i(3), N: A.i(2) });
  const st1 = g.op('up/stack_1', 'Pack', [st, st], { axis: A.i(2), N: A.i(2) });
  const up = g.op('up', 'Reshape', [st1, g.const('up/shape', [4], [1, 10, 10, 12], 'int32')]);
  const rn = g.op('rn', 'ResizeNearestNeighbor', [dw, g.const('rn/size', [2], [10, 10], 'int32')], { align_corners: A.b(false), half_pixel_centers: A.b(false) });
  const cat = g.op('cat', 'ConcatV2', [up, rn, g.const('cat/axis', [], [-1], 'int32')], { N: A.i(2) }); // [1,10,10,24]
  const mp = g.op('mp', 'MaxPool', [cat], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  const ap = g.op('ap', 'AvgPool', [cat], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  const sub = g.op('sub', 'Sub', [ap, g.const('sub/y', [], [0.3])]);
  const r6 = g.op('r6', 'Relu6', [sub]);
  const rb = g.op('rb', 'ResizeBilinear', [dw, g.const('rb/size', [2], [7, 8], 'int32')], { align_corners: A.b(false), half_pixel_centers: A.b(true) });
  const rna = g.op('rna', 'ResizeNearestNeighbor', [dw, g.const('rna/size', [2], [8, 7], 'int32')], { align_corners: A.b(true), half_pixel_centers: A.b(false) });
  const rs = g.op('rs', 'Reshape', [mp, g.const('rs/shape', [2], [1, -1], 'int32')]); // [1,600]
  const pk = g.op('pk', 'Pack', [mp, ap], { axis: A.i(1), N: A.i(2) }); // generic Pack: [1,2,5,5,24]
  const mpad = g.op('mpad', 'MirrorPad', [c1, g.const('mpads', [4, 2], [0, 0, 1, 1, 2, 2, 0, 0], 'int32')], { mode: A.s('REFLECT') });
  const lr = g.op('lr', 'LeakyRelu', [mpad], { alpha: A.f(0.1) });
  const c3 = g.op('c3', '_FusedConv2D', [c1, g.const('w4', [1, 1, 6, 5]), g.const('b4', [5]), g.const('alpha4', [5])], {
    ...conv('VALID'),
    fused_ops: A.strs(['BiasAdd', 'Prelu']),
    num_args: A.i(2),
    epsilon: A.f(0),
  });
  const pv2 = g.op('pv2', 'PadV2', [dws, g.const('pv2/p', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32'), g.const('pv2/c', [], [0.75])]);
  const idn = g.op('idn', 'Identity', [pv2]);
  const bias = g.op('bias', 'BiasAdd', [idn, g.const('bias/b', [6])], { data_format: A.s('NHWC') });
  const outputs = [add, r6, rs, dws, rb, rna, ce, pk, lr, c3, bias, dw];
  return { ...g.build(), outputs, input: { node: x, shape: [1, 10, 9, 4] } };
}

async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('tfPadding', () => {
  it('reproduces TF SAME arithmetic (smaller half before)', () => {
    expect(tfPadding(320, 3, 2, 1, 'SAME')).toEqual({ before: 0, after: 1, out: 160 });
    expect(tfPadding(321, 3, 2, 1, 'SAME')).toEqual({ before: 1, after: 1, out: 161 });
    expect(tfPadding(40, 3, 1, 1, 'SAME')).toEqual({ before: 1, after: 1, out: 40 });
    expect(tfPadding(5, 3, 1, 2, 'SAME')).toEqual({ before: 2, after: 2, out: 5 });
    expect(tfPadding(10, 3, 2, 1, 'VALID')).toEqual({ before: 0, after: 0, out: 4 });
    expect(tfPadding(5, 3, 2, 1, 'EXPLICIT', [2, 0])).toEqual({ before: 2, after: 0, out: 3 });
  });
});

describe('convertGraphModel (synthetic graph vs tfjs cpu)', () => {
  it('every supported op matches tfjs within 1e-5', async () => {
    const { modelJson, weightData, outputs, input } = syntheticGraph();
    const r = convertGraphModel(modelJson, weightData, { input, outputs });
    expect(r.outputNames).toEqual(outputs);
    // The upsampling pattern becomes a single Resize, not Unsqueeze/Concat/Reshape.
    expect(r.onnxOps.Resize).toBe(4); // up + rn + rb + rna

    const model = await loadGraphModel({
      load: async () => ({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    });
    for (const seed of [1, 2]) {
      const xData = rand(10 * 9 * 4, seed, -2, 2);
      const refs = tf.tidy(() => (model.execute({ x: tf.tensor4d(xData, [1, 10, 9, 4]) }, outputs) as tf.Tensor[]).map((t) => ({ shape: t.shape, data: t.dataSync() })));
      const got = await runOrt(r.bytes, { input: new ort.Tensor('float32', xData, [1, 10, 9, 4]) });
      const report: string[] = [];
      outputs.forEach((name, k) => {
        const o = got[name];
        expect(o.dims, name).toEqual(refs[k].shape);
        expect(r.outputShapes[k], name).toEqual(refs[k].shape);
        const d = maxAbs(o.data as Float32Array, refs[k].data);
        const scale = maxAbs(refs[k].data, new Float32Array(refs[k].data.length));
        expect(scale, `${name} is trivially zero`).toBeGreaterThan(0.01);
        expect(d, `${name} max-abs ${d}`).toBeLessThan(1e-5);
        report.push(`${name} ${d.toExponential(1)}`);
      });
      console.log(`synthetic seed ${seed}: max|onnx-tfjs| ${report.join(', ')}`);
    }
    model.dispose();
  });

  it('can emit NCHW outputs (for an ONNX head appended later)', async () => {
    const { modelJson, weightData, input } = syntheticGraph();
    const nhwc = convertGraphModel(modelJson, weightData, { input, outputs: ['dw'], outputNames: ['f'] });
    const nchw = convertGraphModel(modelJson, weightData, { input, outputs: ['dw'], outputNames: ['f'], outputLayout: 'nchw' });
    expect(nchw.outputShapes).toEqual([[1, 12, 5, 5]]);
    expect(nchw.onnxOps.Transpose).toBe(1); // only the input transpose
    const xData = rand(360, 3);
    const feeds = { input: new ort.Tensor('float32', xData, [1, 10, 9, 4]) };
    const a = (await runOrt(nhwc.bytes, feeds)).f.data as Float32Array;
    const b = (await runOrt(nchw.bytes, feeds)).f.data as Float32Array;
    for (let c = 0; c < 12; c++) for (let h = 0; h < 5; h++) for (let w = 0; w < 5; w++) expect(b[(c * 5 + h) * 5 + w]).toBe(a[(h * 5 + w) * 12 + c]);
  });
});

describe('conversion errors', () => {
  it('names the unsupported op and node', () => {
    const g = new TfGraphBuilder();
    const x = g.placeholder('x', [1, 4, 4, 2]);
    g.op('block/softplus', 'Softplus', [x]);
    g.op('out', 'Relu', ['block/softplus']);
    const { modelJson, weightData } = g.build();
    const run = () => convertGraphModel(modelJson, weightData, { input: { node: x, shape: [1, 4, 4, 2] }, outputs: ['out'] });
    expect(run).toThrow(UnsupportedOpError);
    expect(run).toThrow('unsupported op "Softplus" at node "block/softplus"');
  });

  it('rejects non-constant filters and unexpected graph inputs', () => {
    const g = new TfGraphBuilder();
    const x = g.placeholder('x', [1, 4, 4, 2]);
    const other = g.placeholder('other', [3, 3, 2, 2]);
    g.op('c', 'Conv2D', [x, other], conv('SAME'));
    g.op('wr', 'Relu', [g.const('w', [3, 3, 2, 2])]);
    g.op('c2', 'Conv2D', [x, 'wr'], conv('SAME'));
    const { modelJson, weightData } = g.build();
    const opts = { input: { node: x, shape: [1, 4, 4, 2] } };
    expect(() => convertGraphModel(modelJson, weightData, { ...opts, outputs: ['c'] })).toThrow(/reached graph input "other"/);
    expect(() => convertGraphModel(modelJson, weightData, { ...opts, outputs: ['c2'] })).toThrow('unsupported op "Conv2D" at node "c2": filter must be a constant');
    g.nodes[1] = { name: 'other', op: 'Softsign', input: [x] };
    expect(() => convertGraphModel(modelJson, weightData, { ...opts, outputs: ['c'] })).toThrow(/unsupported op "Softsign"/);
    expect(() => convertGraphModel(modelJson, weightData, { ...opts, outputs: ['missing'] })).toThrow(/node "missing" not found/);
  });

  it('on the real model, stops at the preprocessing loop when the wrong input is chosen', () => {
    const { modelJson, weightData } = loadPretrainedGraph();
    expect(() =>
      convertGraphModel(modelJson, weightData, { input: { node: 'input_tensor', shape: [1, 320, 320, 3] }, outputs: [...PRETRAINED.featureNodes] }),
    ).toThrow(`unsupported op "TensorListStack" at node "${PRETRAINED.inputNode}"`);
  });
});
