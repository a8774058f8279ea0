/**
 * A small TFRecord + tf.train.Example reader for tests, written from tensorflow/core/lib/io/record_writer.cc
 * and tensorflow/core/example/{example,feature}.proto. It shares no code with the writer under test: its CRC
 * is computed bit by bit, and it accepts packed and unpacked repeated fields as any protobuf parser must.
 */

/** CRC-32C computed bitwise (reflected, poly 0x82F63B78): deliberately not the implementation's table. */
function crc32cBitwise(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add 0xa282ead8 (mod 2^32). */
function mask(crc: number): number {
  return Number((((BigInt(crc) >> 15n) | (BigInt(crc) << 17n)) + 0xa282ead8n) & 0xffffffffn);
}

/** The records of a TFRecord file; throws on a bad length or data CRC or a truncated file. */
export function readTFRecords(file: Uint8Array): Uint8Array[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (pos + 12 > file.length) throw new Error(`truncated header at ${pos}`);
    const length = Number(dv.getBigUint64(pos, true));
    if (dv.getUint32(pos + 8, true) !== mask(crc32cBitwise(file.subarray(pos, pos + 8)))) throw new Error(`length crc mismatch at ${pos}`);
    const start = pos + 12;
    if (start + length + 4 > file.length) throw new Error(`truncated record at ${pos}`);
    const data = file.subarray(start, start + length);
    if (dv.getUint32(start + length, true) !== mask(crc32cBitwise(data))) throw new Error(`data crc mismatch at ${pos}`);
    out.push(data);
    pos = start + length + 4;
  }
  return out;
}

type Field = { no: number; wire: number; int?: bigint; bytes?: Uint8Array };

function fields(buf: Uint8Array): Field[] {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  };
  const take = (n: number) => {
    if (pos + n > buf.length) throw new Error('truncated field');
    const s = buf.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const out: Field[] = [];
  while (pos < buf.length) {
    const key = varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ no, wire, int: varint() });
    else if (wire === 1) out.push({ no, wire, bytes: take(8) });
    else if (wire === 2) out.push({ no, wire, bytes: take(Number(varint())) });
    else if (wire === 5) out.push({ no, wire, bytes: take(4) });
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

export type FeatureValue = { bytes: Uint8Array[] } | { float: number[] } | { int64: bigint[] };

function feature(buf: Uint8Array): FeatureValue {
  const top = fields(buf);
  if (top.length !== 1 || top[0].wire !== 2) throw new Error('a Feature holds exactly one list');
  const items = fields(top[0].bytes!);
  if (top[0].no === 1) return { bytes: items.map((f) => f.bytes!) };
  if (top[0].no === 2) {
    const values: number[] = [];
    for (const f of items) {
      const raw = f.bytes!;
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < raw.length; i += 4) values.push(dv.getFloat32(i, true));
    }
    return { float: values };
  }
  if (top[0].no === 3) {
    const values: bigint[] = [];
    for (const f of items) {
      if (f.wire === 0) values.push(BigInt.asIntN(64, f.int!));
      else for (const p of fields(packedAsFields(f.bytes!))) values.push(BigInt.asIntN(64, p.int!));
    }
    return { int64: values };
  }
  throw new Error(`unknown Feature kind ${top[0].no}`);
}

/** Packed varints have no keys; prefix each with key 0x08 (field 1, varint) so `fields` can read them. */
function packedAsFields(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const b of packed) {
    if (start) out.push(0x08);
    out.push(b);
    start = !(b & 0x80);
  }
  return Uint8Array.from(out);
}

/** A decoded Example with typed accessors. */
export class ExampleView {
  constructor(readonly features: Map<string, FeatureValue>) {}
  static decode(buf: Uint8Array): ExampleView {
    const top = fields(buf);
    if (top.length !== 1 || top[0].no !== 1) throw new Error('Example must hold one Features');
    const map = new Map<string, FeatureValue>();
    for (const entry of fields(top[0].bytes!)) {
      let key: string | undefined;
      let value: FeatureValue | undefined;
      for (const f of fields(entry.bytes!)) {
        if (f.no === 1) key = new TextDecoder('utf-8', { fatal: true }).decode(f.bytes!);
        if (f.no === 2) value = feature(f.bytes!);
      }
      if (key === undefined || value === undefined) throw new Error('map entry without key or value');
      map.set(key, value);
    }
    return new ExampleView(map);
  }
  bytes(key: string): Uint8Array[] {
    const v = this.features.get(key);
    if (!v || !('bytes' in v)) throw new Error(`${key}: not a bytes feature`);
    return v.bytes;
  }
  text(key: string): string[] {
    return this.bytes(key).map((b) => new TextDecoder('utf-8', { fatal: true }).decode(b));
  }
  ints(key: string): number[] {
    const v = this.features.get(key);
    if (!v || !('int64' in v)) throw new Error(`${key}: not an int64 feature`);
    return v.int64.map(Number);
  }
  floats(key: string): number[] {
    const v = this.features.get(key);
    if (!v || !('float' in v)) throw new Error(`${key}: not a float feature`);
    return v.float;
  }
}
