// A minimal, dependency-free protobuf ENCODER for the subset of ONNX (onnx.proto3) that we need to
// write inference graphs: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto/TypeProto/TensorShapeProto and OperatorSetIdProto.
//
// Why hand-written: no Python/onnx package is available and pulling a protobuf runtime plus the
// generated ONNX schema into the app for a write-only use is far heavier than ~300 lines. We only
// ever encode (onnxruntime parses), so we need just varints, fixed32 floats and length-delimited
// fields. Field numbers below are those of onnx/onnx.proto3 (checked against the ONNX schema).

/** ONNX TensorProto.DataType values we emit. */
export const TensorDataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
} as const;
export type TensorDataTypeValue = (typeof TensorDataType)[keyof typeof TensorDataType];

/** ONNX AttributeProto.AttributeType values we emit. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
} as const;

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;
export const ONNX_PRODUCER = 'ksl-studio';

// ---------------------------------------------------------------------------------------------
// Wire-level writer

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();
// raw_data must be little-endian; typed arrays use host order, so only byte-swap on BE hosts.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Append-only byte sink; nested messages are encoded separately then embedded with a length. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private pos = 0;
  private total = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    if (n > this.cur.length) this.cur = new Uint8Array(Math.max(n, 256));
  }

  private flush(): void {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.cur = new Uint8Array(this.cur.length);
      this.pos = 0;
    }
  }

  private byte(b: number): void {
    this.ensure(1);
    this.cur[this.pos++] = b;
    this.total++;
  }

  /** Unsigned/two's-complement varint; negatives become 10-byte 64-bit values like protobuf int64. */
  varint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new Error(`varint: ${v} is not an integer`);
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        while (v >= 0x80) {
          this.byte((v % 0x80) | 0x80);
          v = Math.floor(v / 0x80);
        }
        this.byte(v);
        return;
      }
      v = BigInt(v);
    }
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  raw(data: Uint8Array): void {
    // Big payloads (weights) are kept by reference instead of copied into the scratch buffer.
    if (data.length > 4096) {
      this.flush();
      this.chunks.push(data);
      this.total += data.length;
      return;
    }
    this.ensure(data.length);
    this.cur.set(data, this.pos);
    this.pos += data.length;
    this.total += data.length;
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    this.raw(data);
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, textEncoder.encode(s));
  }

  intField(field: number, v: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  floatField(field: number, f: number): void {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.raw(b);
  }

  /** Packed repeated int64 (proto3 default encoding for repeated scalars). */
  packedInts(field: number, vs: readonly (number | bigint)[]): void {
    if (vs.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of vs) inner.varint(v);
    this.bytesField(field, inner.finish());
  }

  /** Packed repeated float (fixed32, little-endian). */
  packedFloats(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((f, i) => dv.setFloat32(i * 4, f, true));
    this.bytesField(field, b);
  }

  messageField(field: number, encoded: Uint8Array): void {
    this.bytesField(field, encoded);
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Message shapes (plain objects) and their encoders

export interface TensorProtoInit {
  name: string;
  dims: readonly number[];
  dataType: TensorDataTypeValue;
  /** Little-endian element bytes. */
  rawData: Uint8Array;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: TensorProtoInit };

/** Typed attribute constructors: ONNX needs INT vs FLOAT explicit, which a bare JS number is not. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  tensor: (value: TensorProtoInit): AttributeValue => ({ kind: 'tensor', value }),
};

export interface NodeProtoInit {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A dimension is a fixed size, or a symbolic name (dim_param) for dynamic axes such as batch. */
export type DimInit = number | string;

export interface ValueInfoInit {
  name: string;
  elemType: TensorDataTypeValue;
  /** Omit for "rank unknown" (allowed on outputs). */
  shape?: readonly DimInit[];
}

export interface GraphProtoInit {
  name: string;
  nodes: readonly NodeProtoInit[];
  initializers: readonly TensorProtoInit[];
  inputs: readonly ValueInfoInit[];
  outputs: readonly ValueInfoInit[];
}

export interface ModelProtoInit {
  graph: GraphProtoInit;
  irVersion?: number;
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** ModelProto.metadata_props: free key/value strings a consumer reads without parsing the graph. */
  metadataProps?: Readonly<Record<string, string>>;
}

export function encodeTensor(t: TensorProtoInit): Uint8Array {
  const w = new ProtoWriter();
  w.packedInts(1, t.dims); // dims
  w.intField(2, t.dataType); // data_type
  w.stringField(8, t.name); // name
  w.bytesField(9, t.rawData); // raw_data
  return w.finish();
}

export function encodeAttribute(name: string, a: AttributeValue): Uint8Array {
  const w = new ProtoWriter();
  w.stringField(1, name);
  switch (a.kind) {
    case 'float':
      w.floatField(2, a.value);
      w.intField(20, AttributeType.FLOAT);
      break;
    case 'int':
      w.intField(3, a.value);
      w.intField(20, AttributeType.INT);
      break;
    case 'string':
      w.bytesField(4, textEncoder.encode(a.value));
      w.intField(20, AttributeType.STRING);
      break;
    case 'tensor':
      w.messageField(5, encodeTensor(a.value));
      w.intField(20, AttributeType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      w.intField(20, AttributeType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      w.intField(20, AttributeType.INTS);
      break;
  }
  return w.finish();
}

export function encodeNode(n: NodeProtoInit): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.messageField(5, encodeAttribute(k, v));
  return w.finish();
}

export function encodeValueInfo(v: ValueInfoInit): Uint8Array {
  // TypeProto.Tensor { elem_type = 1; shape = 2 }, TensorShapeProto { dim = 1 },
  // Dimension { dim_value = 1 | dim_param = 2 }.
  const tensor = new ProtoWriter();
  tensor.intField(1, v.elemType);
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (typeof d === 'number') dim.intField(1, d);
      else dim.stringField(2, d);
      shape.messageField(1, dim.finish());
    }
    tensor.messageField(2, shape.finish());
  }
  const type = new ProtoWriter();
  type.messageField(1, tensor.finish()); // TypeProto.tensor_type
  const w = new ProtoWriter();
  w.stringField(1, v.name);
  w.messageField(2, type.finish());
  return w.finish();
}

export function encodeGraph(g: GraphProtoInit): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.messageField(1, encodeNode(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, encodeTensor(t));
  for (const i of g.inputs) w.messageField(11, encodeValueInfo(i));
  for (const o of g.outputs) w.messageField(12, encodeValueInfo(o));
  return w.finish();
}

export function encodeModel(m: ModelProtoInit): Uint8Array {
  const w = new ProtoWriter();
  w.intField(1, m.irVersion ?? ONNX_IR_VERSION); // ir_version
  w.stringField(2, m.producerName ?? ONNX_PRODUCER); // producer_name
  if (m.producerVersion) w.stringField(3, m.producerVersion);
  if (m.docString) w.stringField(6, m.docString);
  w.messageField(7, encodeGraph(m.graph)); // graph
  const opset = new ProtoWriter();
  opset.stringField(1, ''); // default (ai.onnx) domain
  opset.intField(2, m.opset ?? ONNX_OPSET);
  w.messageField(8, opset.finish()); // opset_import
  for (const [key, value] of Object.entries(m.metadataProps ?? {})) {
    // StringStringEntryProto { key = 1; value = 2 }
    const entry = new ProtoWriter();
    entry.stringField(1, key);
    entry.stringField(2, value);
    w.messageField(14, entry.finish()); // metadata_props
  }
  return w.finish();
}

/**
 * ModelProto.metadata_props of a serialised model (onnxruntime-node's JS API does not expose them). Only
 * the top-level fields are walked: the graph (field 7, most of the bytes) is skipped by its length.
 */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder();
  const out: Record<string, string> = {};
  const varint = (buf: Uint8Array, at: { i: number }): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (at.i >= buf.length) throw new Error('ONNX metadata: truncated varint');
      const b = buf[at.i++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
  };
  const fields = (buf: Uint8Array, onLen: (field: number, data: Uint8Array) => void): void => {
    const at = { i: 0 };
    while (at.i < buf.length) {
      const tag = varint(buf, at);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (wire === WIRE_VARINT) varint(buf, at);
      else if (wire === WIRE_FIXED32) at.i += 4;
      else if (wire === 1) at.i += 8; // fixed64
      else if (wire === WIRE_LEN) {
        const n = varint(buf, at);
        if (at.i + n > buf.length) throw new Error('ONNX metadata: truncated field');
        onLen(field, buf.subarray(at.i, at.i + n));
        at.i += n;
      } else throw new Error(`ONNX metadata: unsupported wire type ${wire}`);
    }
  };
  fields(bytes, (field, data) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    fields(data, (f, d) => {
      if (f === 1) key = decoder.decode(d);
      else if (f === 2) value = decoder.decode(d);
    });
    out[key] = value;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Typed array → raw_data

/** Little-endian bytes of a typed array (a zero-copy view on little-endian hosts). */
export function typedArrayBytes(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  if (HOST_LE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  if (a instanceof Float32Array) a.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  else if (a instanceof Int32Array) a.forEach((v, i) => dv.setInt32(i * 4, v, true));
  else a.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  return out;
}

function dataTypeOf(a: Float32Array | Int32Array | BigInt64Array): TensorDataTypeValue {
  if (a instanceof Float32Array) return TensorDataType.FLOAT;
  if (a instanceof Int32Array) return TensorDataType.INT32;
  return TensorDataType.INT64;
}

// ---------------------------------------------------------------------------------------------
// GraphBuilder

/**
 * Accumulates nodes/initializers in insertion order. Callers must add nodes in topological order
 * (ONNX requires it); the converter naturally does, because it emits a node only after its inputs.
 */
export class GraphBuilder {
  readonly nodes: NodeProtoInit[] = [];
  readonly initializers: TensorProtoInit[] = [];
  readonly inputs: ValueInfoInit[] = [];
  readonly outputs: ValueInfoInit[] = [];
  private names = new Set<string>();
  /** Names promised to a later node (e.g. graph outputs), so auto-naming never takes them. */
  private reserved = new Set<string>();
  private counter = 0;

  constructor(public name = 'ksl_graph') {}

  /** A value name not used yet (ONNX values are SSA: each name must be produced once). */
  uniqueName(base: string): string {
    let n = base;
    while (this.names.has(n) || this.reserved.has(n)) n = `${base}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  /** Keeps `name` free for a later explicit addNode/addInput (auto-generated names avoid it). */
  reserve(name: string): void {
    if (this.names.has(name)) throw new Error(`GraphBuilder: value name "${name}" already defined`);
    this.reserved.add(name);
  }

  private claim(name: string): void {
    this.reserved.delete(name);
    if (this.names.has(name)) throw new Error(`GraphBuilder: value name "${name}" already defined`);
    this.names.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  addInput(name: string, shape: readonly DimInit[], elemType: TensorDataTypeValue = TensorDataType.FLOAT): string {
    this.claim(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares an already-produced value as a graph output. */
  addOutput(name: string, shape?: readonly DimInit[], elemType: TensorDataTypeValue = TensorDataType.FLOAT): string {
    if (!this.names.has(name)) throw new Error(`GraphBuilder: output "${name}" is not produced by the graph`);
    this.outputs.push({ name, elemType, shape });
    return name;
  }

  /** Adds a weight/constant; `name` is made unique, and the final name returned. */
  addInitializer(name: string, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`GraphBuilder: initializer "${name}" has ${data.length} values for dims [${dims}]`);
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType: dataTypeOf(data), rawData: typedArrayBytes(data) });
    return unique;
  }

  /** Convenience: INT64 initializer from plain numbers (shapes, axes, pads). */
  addInt64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.addInitializer(name, BigInt64Array.from(values, (v) => BigInt(v)), dims);
  }

  /** Convenience: FLOAT initializer from plain numbers (scalars when dims = []). */
  addFloat(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.addInitializer(name, Float32Array.from(values), dims);
  }

  /** Adds a node whose output names are given explicitly (they must be new). */
  addNode(opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: Record<string, AttributeValue>, name?: string): void {
    for (const o of outputs) this.claim(o);
    this.nodes.push({ opType, inputs: [...inputs], outputs: [...outputs], attributes, name: name ?? outputs[0] });
  }

  /** Adds a single-output node with an auto-named output (derived from `hint`) and returns it. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>, hint?: string): string {
    const out = this.uniqueName(hint ?? opType.toLowerCase());
    this.nodes.push({ opType, inputs: [...inputs], outputs: [out], attributes, name: out });
    return out;
  }

  toModelProto(extra: Omit<ModelProtoInit, 'graph'> = {}): ModelProtoInit {
    return {
      ...extra,
      graph: { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs },
    };
  }

  toBytes(extra: Omit<ModelProtoInit, 'graph'> = {}): Uint8Array {
    return encodeModel(this.toModelProto(extra));
  }
}
