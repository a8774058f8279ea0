// Converts a sub-graph of a TensorFlow.js graph model (model.json + weights) into an ONNX graph so
// that onnxruntime-node can run it natively (tfjs on Node runs it 5–20× slower on wasm/cpu).
//
// Scope: convolutional backbones as emitted by the TF.js converter (Conv/Depthwise with fused bias
// and activation, element-wise ops, pads, concat, pooling, resizes, and the Pack/Pack/Reshape
// nearest-neighbour upsampling used by the TF Object Detection API FPN). We walk BACKWARDS from the
// requested outputs to a chosen input node, so everything outside that cone (the preprocessing
// while-loop, the box predictor, NMS…) is never looked at.
//
// Layout: TF tensors are NHWC, ONNX Conv is NCHW. Rather than wrapping every op in transposes, each
// converted value carries a layout tag: 'nchw' (the ONNX tensor is the TF tensor permuted
// [0,3,1,2]) or 'tf' (same as TF). Spatial ops produce 'nchw'; shape-manipulating ops that we do
// not understand spatially fall back to 'tf'; transposes are inserted (and memoised) only where the
// layouts of a producer and consumer differ. For a pure conv backbone that means exactly one
// transpose at the input and one per output.

import { attr, GraphBuilder, type AttributeValue } from './onnx-proto';

// ---------------------------------------------------------------------------------------------
// tfjs graph-model JSON shapes (only what we read)

export interface TfjsAttrValue {
  i?: string | number;
  f?: number;
  s?: string;
  b?: boolean;
  type?: string;
  list?: { i?: (string | number)[]; f?: number[]; s?: string[]; type?: string[] };
  tensor?: unknown;
  shape?: unknown;
}

export interface TfjsNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfjsAttrValue>;
  device?: string;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}

export interface TfjsGraphModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: { node: TfjsNode[]; [k: string]: unknown };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  [k: string]: unknown;
}

export interface ConvertOptions {
  /** The node fed as graph input (its own inputs are never visited) and its TF (NHWC) shape. */
  input: { node: string; shape: number[]; name?: string };
  /** TF node names (optionally `name:0`) to expose as graph outputs. */
  outputs: string[];
  /** ONNX names for the outputs; defaults to the TF node names. */
  outputNames?: string[];
  /** Layout of 4-D outputs: 'nhwc' (TF's, default) or 'nchw' (saves a transpose when a later ONNX
   * head consumes them). */
  outputLayout?: 'nhwc' | 'nchw';
  graphName?: string;
  /** Free text stored in ModelProto.doc_string (provenance). */
  docString?: string;
}

export interface ConvertIntoResult {
  inputName: string;
  outputNames: string[];
  /** Output shapes in the layout they were emitted in. */
  outputShapes: number[][];
  /** How many TF nodes of each op were converted (Const/Identity included). */
  tfOps: Record<string, number>;
}

export interface ConvertResult extends ConvertIntoResult {
  bytes: Uint8Array;
  /** How many ONNX nodes of each op type were emitted. */
  onnxOps: Record<string, number>;
}

/** Thrown for a TF op (or op variant) the converter does not handle; names the op and node. */
export class UnsupportedOpError extends Error {
  constructor(
    readonly op: string,
    readonly node: string,
    detail?: string,
  ) {
    super(`tfjs-to-onnx: unsupported op "${op}" at node "${node}"${detail ? `: ${detail}` : ''}`);
    this.name = 'UnsupportedOpError';
  }
}

// ---------------------------------------------------------------------------------------------
// Weights

type DType = 'float32' | 'int32';

export interface ConstTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Splits the concatenated weight buffer per the manifest (order = manifest order), dequantising. */
export function decodeWeights(manifest: TfjsGraphModelJson['weightsManifest'], weightData: ArrayBuffer): Map<string, ConstTensor> {
  const out = new Map<string, ConstTensor>();
  let off = 0;
  const dv = new DataView(weightData);
  for (const spec of manifest.flatMap((g) => g.weights)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'string') {
      // Variable length: per element a uint32 byte count then bytes. Skipped (never a conv input).
      for (let k = 0; k < n; k++) off += 4 + dv.getUint32(off, true);
      continue;
    }
    const q = spec.quantization;
    const stored = q ? q.dtype : spec.dtype;
    const size = BYTES[stored];
    if (!size) throw new Error(`tfjs-to-onnx: weight "${spec.name}" has unsupported dtype ${stored}`);
    const bytes = n * size;
    if (off + bytes > weightData.byteLength) throw new Error(`tfjs-to-onnx: weight data too short for "${spec.name}"`);
    const dtype: DType = spec.dtype === 'float32' ? 'float32' : 'int32';
    let data: Float32Array | Int32Array;
    if (q) {
      const vals = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        if (q.dtype === 'float16') vals[k] = halfToFloat(dv.getUint16(off + 2 * k, true));
        else {
          const raw = q.dtype === 'uint8' ? dv.getUint8(off + k) : dv.getUint16(off + 2 * k, true);
          vals[k] = raw * (q.scale ?? 1) + (q.min ?? 0);
        }
      }
      data = dtype === 'float32' ? vals : Int32Array.from(vals, (v) => Math.round(v));
    } else if (spec.dtype === 'float32') {
      data = new Float32Array(weightData.slice(off, off + bytes));
    } else if (spec.dtype === 'int32') {
      data = new Int32Array(weightData.slice(off, off + bytes));
    } else {
      // bool: keep as 0/1 ints (only ever shape/flag constants).
      data = Int32Array.from(new Uint8Array(weightData, off, n));
    }
    out.set(spec.name, { dtype, shape: [...spec.shape], data });
    off += bytes;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small tensor helpers

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Generic N-d transpose of a constant (row-major). */
function transposeData<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): { data: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => inStrides[p]);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * permStrides[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

function broadcastShapes(a: readonly number[], b: readonly number[], node: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`tfjs-to-onnx: cannot broadcast [${a}] with [${b}] at node "${node}"`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * TF's padding arithmetic for one spatial dim. SAME: pad_total = max((ceil(in/s)-1)*s + (k-1)*d + 1
 * - in, 0) with the smaller half BEFORE (so stride-2 3×3 on an even size pads only bottom/right,
 * unlike ONNX's SAME_UPPER/LOWER auto_pad rules we avoid by always writing explicit pads).
 */
export function tfPadding(inSize: number, k: number, s: number, d: number, padding: string, explicit?: [number, number]): { before: number; after: number; out: number } {
  const eff = (k - 1) * d + 1;
  let before = 0;
  let after = 0;
  if (padding === 'SAME') {
    const total = Math.max((Math.ceil(inSize / s) - 1) * s + eff - inSize, 0);
    before = Math.floor(total / 2);
    after = total - before;
  } else if (padding === 'EXPLICIT') {
    [before, after] = explicit ?? [0, 0];
  } else if (padding !== 'VALID') {
    throw new Error(`tfjs-to-onnx: unknown padding ${padding}`);
  }
  const out = Math.floor((inSize + before + after - eff) / s) + 1;
  return { before, after, out };
}

// NHWC axis → NCHW axis.
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

// ---------------------------------------------------------------------------------------------
// Converter

type Layout = 'nchw' | 'tf';

interface Val {
  tfName: string;
  shape: number[];
  dtype: DType;
  /** ONNX value name (null for constants until materialised) and its layout. */
  onnx: string | null;
  layout: Layout;
  konst?: ConstTensor;
}

const textDecoder = new TextDecoder();

function parseRef(ref: string): { name: string; index: number } | null {
  if (ref.startsWith('^')) return null; // control dependency: irrelevant for dataflow
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { name: m[1], index: Number(m[2]) } : { name: ref, index: 0 };
}

class Converter {
  private nodes = new Map<string, TfjsNode>();
  private weights: Map<string, ConstTensor>;
  private vals = new Map<string, Val>();
  private visiting = new Set<string>();
  /** `${onnxName}|${targetLayout}` → transposed value, and const materialisations. */
  private layoutCache = new Map<string, string>();
  private scalarCache = new Map<string, string>();
  readonly tfOps: Record<string, number> = {};

  constructor(
    private b: GraphBuilder,
    model: TfjsGraphModelJson,
    weightData: ArrayBuffer,
    private inputNode: string,
    private inputVal: Val,
  ) {
    for (const n of model.modelTopology.node) this.nodes.set(n.name, n);
    this.weights = decodeWeights(model.weightsManifest, weightData);
  }

  // --- attribute access ----------------------------------------------------------------------

  private attrOf(n: TfjsNode, k: string): TfjsAttrValue | undefined {
    return n.attr?.[k];
  }
  private ints(n: TfjsNode, k: string, dflt: number[]): number[] {
    const l = this.attrOf(n, k)?.list?.i;
    return l && l.length ? l.map(Number) : dflt;
  }
  private int(n: TfjsNode, k: string, dflt: number): number {
    const v = this.attrOf(n, k)?.i;
    return v === undefined ? dflt : Number(v);
  }
  private float(n: TfjsNode, k: string, dflt: number): number {
    const v = this.attrOf(n, k)?.f;
    return v === undefined ? dflt : Number(v);
  }
  private bool(n: TfjsNode, k: string): boolean {
    return this.attrOf(n, k)?.b === true;
  }
  private str(n: TfjsNode, k: string, dflt: string): string {
    const v = this.attrOf(n, k)?.s;
    return v === undefined ? dflt : textDecoder.decode(Buffer.from(v, 'base64'));
  }
  private strs(n: TfjsNode, k: string): string[] {
    return (this.attrOf(n, k)?.list?.s ?? []).map((v) => textDecoder.decode(Buffer.from(v, 'base64')));
  }

  // --- value resolution ----------------------------------------------------------------------

  private dataInputs(n: TfjsNode): string[] {
    return (n.input ?? []).filter((r) => !r.startsWith('^'));
  }

  get(ref: string): Val {
    const p = parseRef(ref)!;
    if (p.name === this.inputNode) return this.inputVal;
    const key = `${p.name}:${p.index}`;
    const hit = this.vals.get(key);
    if (hit) return hit;
    const node = this.nodes.get(p.name);
    if (!node) throw new Error(`tfjs-to-onnx: node "${p.name}" not found in the model`);
    if (p.index !== 0) throw new UnsupportedOpError(node.op, node.name, `output #${p.index} of a multi-output op`);
    if (this.visiting.has(p.name)) throw new Error(`tfjs-to-onnx: cycle through node "${p.name}" (control flow is not supported)`);
    this.visiting.add(p.name);
    const v = this.convert(node);
    this.visiting.delete(p.name);
    this.tfOps[node.op] = (this.tfOps[node.op] ?? 0) + 1;
    this.vals.set(key, v);
    return v;
  }

  /** The constant feeding `ref` (looking through Identity), or a clear error. */
  private constOf(ref: string, user: TfjsNode, what: string): ConstTensor {
    const v = this.get(ref);
    if (!v.konst) throw new UnsupportedOpError(user.op, user.name, `${what} must be a constant`);
    return v.konst;
  }

  /** The ONNX name of `v` in the requested layout (rank ≠ 4 values only exist in 'tf'). */
  as(v: Val, want: Layout): string {
    if (v.shape.length !== 4) want = 'tf';
    if (v.konst) {
      const key = `const:${v.tfName}|${want}`;
      let name = this.layoutCache.get(key);
      if (!name) {
        const t = want === 'nchw' ? transposeData(v.konst.data, v.konst.shape, TO_NCHW) : { data: v.konst.data, shape: v.konst.shape };
        name = this.b.addInitializer(v.tfName, t.data, t.shape);
        this.layoutCache.set(key, name);
      }
      return name;
    }
    if (v.layout === want) return v.onnx!;
    const key = `${v.onnx}|${want}`;
    let name = this.layoutCache.get(key);
    if (!name) {
      name = this.b.op('Transpose', [v.onnx!], { perm: attr.ints(want === 'nchw' ? TO_NCHW : TO_NHWC) }, `${v.tfName}/to_${want}`);
      this.layoutCache.set(key, name);
    }
    return name;
  }

  /** Registers an explicitly named transpose (used to emit outputs without an extra Identity). */
  emitAs(v: Val, want: Layout, outName: string): void {
    if (v.shape.length !== 4) want = 'tf';
    const key = `${v.onnx}|${want}`;
    if (!v.konst && v.layout !== want && !this.layoutCache.has(key)) {
      this.b.addNode('Transpose', [v.onnx!], [outName], { perm: attr.ints(want === 'nchw' ? TO_NCHW : TO_NHWC) });
      this.layoutCache.set(key, outName);
      return;
    }
    this.b.addNode('Identity', [this.as(v, want)], [outName]);
  }

  /** A constant broadcast against an NCHW rank-4 value: right-align to rank 4 then permute. */
  private constForNchw(v: Val): string {
    const key = `const:${v.tfName}|bcast_nchw`;
    let name = this.layoutCache.get(key);
    if (!name) {
      const shape4 = [...new Array(4 - v.shape.length).fill(1), ...v.shape];
      const t = transposeData(v.konst!.data, shape4, TO_NCHW);
      name = this.b.addInitializer(v.tfName, t.data, t.shape);
      this.layoutCache.set(key, name);
    }
    return name;
  }

  private scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.b.addFloat(`const_${value}`, [value], []);
      this.scalarCache.set(key, name);
    }
    return name;
  }

  private int64s(values: number[], hint: string): string {
    return this.b.addInt64(hint, values);
  }

  // --- op dispatch ---------------------------------------------------------------------------

  private convert(n: TfjsNode): Val {
    switch (n.op) {
      case 'Const': {
        const t = this.weights.get(n.name);
        if (!t) throw new UnsupportedOpError('Const', n.name, 'value not found in the weights manifest');
        return { tfName: n.name, shape: t.shape, dtype: t.dtype, onnx: null, layout: 'tf', konst: t };
      }
      case 'Identity':
      case 'StopGradient':
      case 'Snapshot':
        return this.get(this.dataInputs(n)[0]);
      case 'Placeholder':
        throw new Error(`tfjs-to-onnx: reached graph input "${n.name}", which is not the chosen input "${this.inputNode}"`);
      case 'Conv2D':
      case '_FusedConv2D':
        return this.conv(n, false);
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(n, true);
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Maximum':
      case 'Minimum':
        return this.binary(n);
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'LeakyRelu':
      case 'Exp':
      case 'Neg':
        return this.unary(n);
      case 'Pad':
      case 'PadV2':
      case 'MirrorPad':
        return this.pad(n);
      case 'ConcatV2':
        return this.concat(n);
      case 'Reshape':
        return this.upsamplePattern(n) ?? this.reshape(n);
      case 'Pack':
        return this.pack(n);
      case 'ResizeNearestNeighbor':
      case 'ResizeBilinear':
        return this.resize(n);
      case 'MaxPool':
      case 'AvgPool':
        return this.pool(n);
      default:
        throw new UnsupportedOpError(n.op, n.name);
    }
  }

  private checkNhwc(n: TfjsNode): void {
    const f = this.str(n, 'data_format', 'NHWC');
    if (f !== 'NHWC') throw new UnsupportedOpError(n.op, n.name, `data_format ${f}`);
  }

  private spatialPads(n: TfjsNode, x: number[], kh: number, kw: number, sh: number, sw: number, dh: number, dw: number) {
    const padding = this.str(n, 'padding', 'VALID');
    const ex = this.ints(n, 'explicit_paddings', []);
    const ph = tfPadding(x[1], kh, sh, dh, padding, ex.length === 8 ? [ex[2], ex[3]] : undefined);
    const pw = tfPadding(x[2], kw, sw, dw, padding, ex.length === 8 ? [ex[4], ex[5]] : undefined);
    return { pads: [ph.before, pw.before, ph.after, pw.after], oh: ph.out, ow: pw.out };
  }

  private conv(n: TfjsNode, depthwise: boolean): Val {
    this.checkNhwc(n);
    const ins = this.dataInputs(n);
    const x = this.get(ins[0]);
    if (x.shape.length !== 4) throw new UnsupportedOpError(n.op, n.name, `input rank ${x.shape.length}`);
    const w = this.constOf(ins[1], n, 'filter');
    const [kh, kw, wi, wo] = w.shape;
    const C = x.shape[3];
    const [, sh, sw] = this.ints(n, 'strides', [1, 1, 1, 1]);
    const [, dh, dw] = this.ints(n, 'dilations', [1, 1, 1, 1]);
    const { pads, oh, ow } = this.spatialPads(n, x.shape, kh, kw, sh, sw, dh, dw);

    // Weights: Conv2D HWIO → OIHW; depthwise HW·C·M → [C·M, 1, H, W] where TF's output channel
    // c·M + m is ONNX's (group c, filter m), so group = C reproduces it exactly.
    const src = w.data as Float32Array;
    let outC: number;
    let group: number;
    let wData: Float32Array;
    let wDims: number[];
    if (depthwise) {
      if (wi !== C) throw new UnsupportedOpError(n.op, n.name, `filter channels ${wi} ≠ input channels ${C}`);
      outC = C * wo;
      group = C;
      wData = new Float32Array(src.length);
      for (let h = 0; h < kh; h++)
        for (let ww = 0; ww < kw; ww++)
          for (let c = 0; c < C; c++) for (let m = 0; m < wo; m++) wData[((c * wo + m) * kh + h) * kw + ww] = src[((h * kw + ww) * C + c) * wo + m];
      wDims = [outC, 1, kh, kw];
    } else {
      if (C % wi !== 0) throw new UnsupportedOpError(n.op, n.name, `input channels ${C} not a multiple of filter channels ${wi}`);
      outC = wo;
      group = C / wi; // TF grouped conv uses the same [O, C/g, H, W] weight split as ONNX
      wData = transposeData(src, w.shape, [3, 2, 0, 1]).data;
      wDims = [wo, wi, kh, kw];
    }
    const inputs = [this.as(x, 'nchw'), this.b.addInitializer(`${n.name}/weights`, wData, wDims)];

    // Fused ops (TF grappler/tfjs): ['BiasAdd'] then optionally one activation.
    const fused = n.op.startsWith('_Fused') || n.op.startsWith('Fused') ? this.strs(n, 'fused_ops') : [];
    let argIdx = 2;
    let activation: string | undefined;
    for (const [i, f] of fused.entries()) {
      if (f === 'BiasAdd' && i === 0) {
        const bias = this.constOf(ins[argIdx++], n, 'bias');
        if (bias.shape.length !== 1 || bias.shape[0] !== outC) throw new UnsupportedOpError(n.op, n.name, `bias shape [${bias.shape}]`);
        inputs.push(this.b.addInitializer(`${n.name}/bias`, bias.data as Float32Array, [outC]));
      } else if (i === fused.length - 1 && ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Prelu'].includes(f)) {
        activation = f;
      } else {
        throw new UnsupportedOpError(n.op, n.name, `fused_ops [${fused.join(', ')}]`);
      }
    }
    const convAttrs: Record<string, AttributeValue> = {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([sh, sw]),
      dilations: attr.ints([dh, dw]),
      pads: attr.ints(pads),
      group: attr.int(group),
    };
    let y = this.b.op('Conv', inputs, convAttrs, activation ? `${n.name}/conv` : n.name);
    if (activation) {
      const alphaArg = activation === 'Prelu' ? this.get(ins[argIdx]) : undefined;
      y = this.activation(activation, y, n, alphaArg, this.float(n, 'leakyrelu_alpha', 0.2));
    }
    return { tfName: n.name, shape: [x.shape[0], oh, ow, outC], dtype: 'float32', onnx: y, layout: 'nchw' };
  }

  /** Emits an activation on an NCHW/TF value name; Relu6 is Clip(0, 6) (opset ≥ 11 takes inputs). */
  private activation(kind: string, x: string, n: TfjsNode, preluAlpha?: Val, leakyAlpha = 0.2): string {
    const hint = n.name;
    switch (kind) {
      case 'Relu':
        return this.b.op('Relu', [x], undefined, hint);
      case 'Relu6':
        return this.b.op('Clip', [x, this.scalar(0), this.scalar(6)], undefined, hint);
      case 'Elu':
        return this.b.op('Elu', [x], { alpha: attr.float(1) }, hint);
      case 'Sigmoid':
        return this.b.op('Sigmoid', [x], undefined, hint);
      case 'Tanh':
        return this.b.op('Tanh', [x], undefined, hint);
      case 'LeakyRelu':
        return this.b.op('LeakyRelu', [x], { alpha: attr.float(leakyAlpha) }, hint);
      case 'Prelu': {
        if (!preluAlpha?.konst) throw new UnsupportedOpError(n.op, n.name, 'Prelu alpha must be a constant');
        return this.b.op('PRelu', [x, this.constForNchw(preluAlpha)], undefined, hint);
      }
      default:
        throw new UnsupportedOpError(n.op, n.name, `activation ${kind}`);
    }
  }

  private binary(n: TfjsNode): Val {
    if (n.op === 'BiasAdd') this.checkNhwc(n);
    const [ra, rb] = this.dataInputs(n);
    const a = this.get(ra);
    const bb = this.get(rb);
    const shape = broadcastShapes(a.shape, bb.shape, n.name);
    const onnxOp = { Add: 'Add', AddV2: 'Add', BiasAdd: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min' }[n.op]!;
    const operands = [a, bb];
    // Stay in NCHW when an NCHW activation is involved and the other side is 4-D or a constant
    // (constants are re-laid out at conversion time, so per-channel biases cost nothing).
    const nchw = shape.length === 4 && operands.some((v) => !v.konst && v.layout === 'nchw') && operands.every((v) => v.konst || v.shape.length === 4);
    const names = operands.map((v) => (nchw ? (v.konst ? this.constForNchw(v) : this.as(v, 'nchw')) : this.as(v, 'tf')));
    const y = this.b.op(onnxOp, names, undefined, n.name);
    return { tfName: n.name, shape, dtype: a.dtype, onnx: y, layout: nchw ? 'nchw' : 'tf' };
  }

  private unary(n: TfjsNode): Val {
    const x = this.get(this.dataInputs(n)[0]);
    const layout: Layout = x.konst || x.shape.length !== 4 ? 'tf' : x.layout;
    const xin = this.as(x, layout);
    let y: string;
    if (n.op === 'Exp' || n.op === 'Neg') y = this.b.op(n.op, [xin], undefined, n.name);
    else y = this.activation(n.op, xin, n, undefined, this.float(n, 'alpha', 0.2));
    return { tfName: n.name, shape: x.shape, dtype: x.dtype, onnx: y, layout };
  }

  private pad(n: TfjsNode): Val {
    const ins = this.dataInputs(n);
    const x = this.get(ins[0]);
    const p = this.constOf(ins[1], n, 'paddings');
    const rank = x.shape.length;
    let mode = 'constant';
    if (n.op === 'MirrorPad') {
      const m = this.str(n, 'mode', 'REFLECT');
      if (m !== 'REFLECT') throw new UnsupportedOpError(n.op, n.name, `mode ${m} (ONNX has no SYMMETRIC)`);
      mode = 'reflect';
    }
    const layout: Layout = rank === 4 && !x.konst ? x.layout : 'tf';
    const order = layout === 'nchw' ? TO_NCHW : [...Array(rank).keys()];
    const begins = order.map((d) => p.data[2 * d]);
    const ends = order.map((d) => p.data[2 * d + 1]);
    const inputs = [this.as(x, layout), this.int64s([...begins, ...ends], `${n.name}/pads`)];
    if (n.op === 'PadV2') {
      const cv = this.constOf(ins[2], n, 'constant_values');
      inputs.push(this.scalar(cv.data[0]));
    }
    const y = this.b.op('Pad', inputs, { mode: attr.string(mode) }, n.name);
    const shape = x.shape.map((s, d) => s + p.data[2 * d] + p.data[2 * d + 1]);
    return { tfName: n.name, shape, dtype: x.dtype, onnx: y, layout };
  }

  private concat(n: TfjsNode): Val {
    const ins = this.dataInputs(n);
    const N = this.int(n, 'N', ins.length - 1);
    const vals = ins.slice(0, N).map((r) => this.get(r));
    const rank = vals[0].shape.length;
    let axis = Number(this.constOf(ins[N], n, 'axis').data[0]);
    if (axis < 0) axis += rank;
    const nchw = rank === 4 && vals.some((v) => !v.konst && v.layout === 'nchw');
    const names = vals.map((v) => this.as(v, nchw ? 'nchw' : 'tf'));
    const y = this.b.op('Concat', names, { axis: attr.int(nchw ? NHWC_TO_NCHW_AXIS[axis] : axis) }, n.name);
    const shape = [...vals[0].shape];
    shape[axis] = vals.reduce((s, v) => s + v.shape[axis], 0);
    return { tfName: n.name, shape, dtype: vals[0].dtype, onnx: y, layout: nchw ? 'nchw' : 'tf' };
  }

  /** Resolves a TF reshape target (one -1 allowed) against an element count. */
  private resolveShape(target: number[], count: number, n: TfjsNode): number[] {
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = target.map((d) => (d === -1 ? count / known : d));
    if (target.includes(0)) throw new UnsupportedOpError(n.op, n.name, 'zero-sized reshape (ONNX Reshape reads 0 as "copy")');
    if (size(out) !== count || out.some((d) => !Number.isInteger(d))) throw new Error(`tfjs-to-onnx: cannot reshape ${count} values to [${target}] at "${n.name}"`);
    return out;
  }

  private reshape(n: TfjsNode): Val {
    const ins = this.dataInputs(n);
    const x = this.get(ins[0]);
    const target = Array.from(this.constOf(ins[1], n, 'shape').data);
    const shape = this.resolveShape(target, size(x.shape), n);
    // Reshape is defined on TF's memory order, so the input must be in TF layout.
    const y = this.b.op('Reshape', [this.as(x, 'tf'), this.int64s(shape, `${n.name}/shape`)], undefined, n.name);
    return { tfName: n.name, shape, dtype: x.dtype, onnx: y, layout: 'tf' };
  }

  private packInfo(ref: string): { node: TfjsNode; src: string; count: number; axis: number } | null {
    const p = parseRef(ref);
    if (!p || p.index !== 0 || p.name === this.inputNode) return null;
    const node = this.nodes.get(p.name);
    if (!node || node.op !== 'Pack') return null;
    const ins = this.dataInputs(node);
    const norm = (r: string) => r.replace(/:0$/, '');
    if (ins.length === 0 || !ins.every((r) => norm(r) === norm(ins[0]))) return null;
    return { node, src: ins[0], count: ins.length, axis: this.int(node, 'axis', 0) };
  }

  /**
   * TF OD API `nearest_neighbor_upsampling`: x[B,H,W,C] → stack([x]*sw, axis=3) →
   * stack([·]*sh, axis=2) → reshape [B, H·sh, W·sw, C]. Its reshape constant is hard-coded to the
   * export batch/size (so the graph runs at other input sizes only once converted); we replace the whole pattern with ONNX Resize(nearest, scales [1,1,sh,sw])
   * in NCHW, which is exact (integer scale, asymmetric coordinates, floor) and batch-agnostic.
   */
  private upsamplePattern(n: TfjsNode): Val | null {
    const ins = this.dataInputs(n);
    const outer = this.packInfo(ins[0]);
    if (!outer || outer.axis !== 2) return null;
    const inner = this.packInfo(outer.src);
    if (!inner || inner.axis !== 3) return null;
    const x = this.get(inner.src);
    if (x.shape.length !== 4 || x.konst) return null;
    const [B, H, W, C] = x.shape;
    const sh = outer.count;
    const sw = inner.count;
    const targetVal = this.get(ins[1]);
    if (!targetVal.konst) return null;
    // The constant holds the size the graph was exported at; at another input size (the backbone is
    // otherwise fully convolutional) it no longer matches, but the stack/stack pattern alone says what the
    // reshape means, so a rank-4 target with the same channels is accepted whatever its spatial size.
    const target = Array.from(targetVal.konst.data);
    if (target.length !== 4 || (target[3] !== C && target[3] !== -1)) return null;
    this.tfOps['Pack'] = (this.tfOps['Pack'] ?? 0) + 2;
    const scales = this.b.addFloat(`${n.name}/scales`, [1, 1, sh, sw]);
    const y = this.b.op(
      'Resize',
      [this.as(x, 'nchw'), '', scales],
      { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') },
      n.name,
    );
    return { tfName: n.name, shape: [B, H * sh, W * sw, C], dtype: x.dtype, onnx: y, layout: 'nchw' };
  }

  private pack(n: TfjsNode): Val {
    const vals = this.dataInputs(n).map((r) => this.get(r));
    const rank = vals[0].shape.length;
    let axis = this.int(n, 'axis', 0);
    if (axis < 0) axis += rank + 1;
    const axes = this.int64s([axis], `${n.name}/axes`);
    const parts = vals.map((v) => this.b.op('Unsqueeze', [this.as(v, 'tf'), axes], undefined, `${n.name}/unsqueeze`));
    const y = parts.length === 1 ? parts[0] : this.b.op('Concat', parts, { axis: attr.int(axis) }, n.name);
    const shape = [...vals[0].shape];
    shape.splice(axis, 0, vals.length);
    return { tfName: n.name, shape, dtype: vals[0].dtype, onnx: y, layout: 'tf' };
  }

  private resize(n: TfjsNode): Val {
    const ins = this.dataInputs(n);
    const x = this.get(ins[0]);
    if (x.shape.length !== 4) throw new UnsupportedOpError(n.op, n.name, `input rank ${x.shape.length}`);
    const [oh, ow] = Array.from(this.constOf(ins[1], n, 'size').data);
    const align = this.bool(n, 'align_corners');
    const half = this.bool(n, 'half_pixel_centers');
    const nearest = n.op === 'ResizeNearestNeighbor';
    // Mapping of TF's legacy resize coordinate rules onto ONNX Resize attributes.
    const a: Record<string, AttributeValue> = { mode: attr.string(nearest ? 'nearest' : 'linear') };
    if (align) a.coordinate_transformation_mode = attr.string('align_corners');
    else if (half) a.coordinate_transformation_mode = attr.string(nearest ? 'tf_half_pixel_for_nn' : 'half_pixel');
    else a.coordinate_transformation_mode = attr.string('asymmetric');
    if (nearest) a.nearest_mode = attr.string(align ? 'round_prefer_ceil' : 'floor');
    const [B, , , C] = x.shape;
    const sizes = this.int64s([B, C, oh, ow], `${n.name}/sizes`);
    const y = this.b.op('Resize', [this.as(x, 'nchw'), '', '', sizes], a, n.name);
    return { tfName: n.name, shape: [B, oh, ow, C], dtype: x.dtype, onnx: y, layout: 'nchw' };
  }

  private pool(n: TfjsNode): Val {
    this.checkNhwc(n);
    const x = this.get(this.dataInputs(n)[0]);
    const [, kh, kw] = this.ints(n, 'ksize', [1, 1, 1, 1]);
    const [, sh, sw] = this.ints(n, 'strides', [1, 1, 1, 1]);
    const { pads, oh, ow } = this.spatialPads(n, x.shape, kh, kw, sh, sw, 1, 1);
    const a: Record<string, AttributeValue> = { kernel_shape: attr.ints([kh, kw]), strides: attr.ints([sh, sw]), pads: attr.ints(pads) };
    // TF's SAME average pooling divides by the number of real (unpadded) elements.
    if (n.op === 'AvgPool') a.count_include_pad = attr.int(0);
    const y = this.b.op(n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [this.as(x, 'nchw')], a, n.name);
    return { tfName: n.name, shape: [x.shape[0], oh, ow, x.shape[3]], dtype: x.dtype, onnx: y, layout: 'nchw' };
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Converts into an existing builder (so callers can append their own ONNX nodes, e.g. a detection
 * head, after the backbone and export a single graph).
 */
export function convertGraphModelInto(builder: GraphBuilder, modelJson: TfjsGraphModelJson, weightData: ArrayBuffer, opts: ConvertOptions): ConvertIntoResult {
  if (!modelJson?.modelTopology?.node) throw new Error('tfjs-to-onnx: not a tfjs graph model (modelTopology.node missing)');
  if (opts.outputNames && opts.outputNames.length !== opts.outputs.length) throw new Error('tfjs-to-onnx: outputNames must match outputs');
  const inputName = opts.input.name ?? 'input';
  builder.addInput(
    inputName,
    opts.input.shape.map((d, i) => (d > 0 ? d : `dim${i}`)),
  );
  const inputVal: Val = { tfName: opts.input.node, shape: [...opts.input.shape], dtype: 'float32', onnx: inputName, layout: 'tf' };
  const conv = new Converter(builder, modelJson, weightData, opts.input.node, inputVal);
  const want: Layout = opts.outputLayout === 'nchw' ? 'nchw' : 'tf';
  const names = opts.outputs.map((ref, i) => opts.outputNames?.[i] ?? parseRef(ref)!.name);
  if (new Set(names).size !== names.length) throw new Error('tfjs-to-onnx: duplicate output names');
  // Internal values are named after their TF node, so keep the output names free up front.
  for (const name of names) builder.reserve(name);
  const outputNames: string[] = [];
  const outputShapes: number[][] = [];
  opts.outputs.forEach((ref, i) => {
    const v = conv.get(ref);
    const name = names[i];
    conv.emitAs(v, want, name);
    const shape = want === 'nchw' && v.shape.length === 4 ? TO_NCHW.map((p) => v.shape[p]) : [...v.shape];
    builder.addOutput(name, shape, v.dtype === 'int32' ? 6 : 1);
    outputNames.push(name);
    outputShapes.push(shape);
  });
  return { inputName, outputNames, outputShapes, tfOps: conv.tfOps };
}

/** Converts the cone between `opts.input.node` and `opts.outputs` into a serialised ONNX model. */
export function convertGraphModel(modelJson: TfjsGraphModelJson, weightData: ArrayBuffer, opts: ConvertOptions): ConvertResult {
  const b = new GraphBuilder(opts.graphName ?? 'tfjs_converted');
  const r = convertGraphModelInto(b, modelJson, weightData, opts);
  const onnxOps: Record<string, number> = {};
  for (const n of b.nodes) onnxOps[n.opType] = (onnxOps[n.opType] ?? 0) + 1;
  const docString = opts.docString ?? `Converted from a tfjs graph model (${modelJson.convertedBy ?? modelJson.generatedBy ?? 'unknown converter'}) by ksl-studio tfjs-to-onnx.`;
  return { ...r, onnxOps, bytes: b.toBytes({ docString }) };
}
