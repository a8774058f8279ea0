import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  TFRecordWriter,
  crc32c,
  encodeExample,
  frameRecord,
  imageDimensions,
  maskedCrc32c,
  odApiExample,
  sniffImageFormat,
} from '../../../src-main/services/export/tfrecord';
import { odApiReadme } from '../../../src-main/services/export/od-api-readme';

// ---------------------------------------------------------------------------------------------------------
// An independent reader, written from tensorflow/core/example/{example,feature}.proto and
// tensorflow/core/lib/io/record_writer.cc. It shares no code with the writer: bit-by-bit CRCs, its own
// varint and wire-type handling, and it accepts packed and unpacked repeated fields as any protobuf parser must.
// ---------------------------------------------------------------------------------------------------------

/** Bitwise CRC (reflected), no table: deliberately a different algorithm from the implementation's. */
function crcBitwise(buf: Uint8Array, poly: number): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ poly : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const refCrc32c = (b: Uint8Array) => crcBitwise(b, 0x82f63b78);
const refCrc32 = (b: Uint8Array) => crcBitwise(b, 0xedb88320);
const refMask = (crc: number) => Number((((BigInt(crc) >> 15n) | (BigInt(crc) << 17n)) + 0xa282ead8n) & 0xffffffffn);

/** Read a TFRecord file's records, checking the length CRC and the data CRC of each. */
function readTFRecords(file: Uint8Array): Uint8Array[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (pos + 12 > file.length) throw new Error(`truncated header at ${pos}`);
    const lengthBytes = file.subarray(pos, pos + 8);
    const length = Number(dv.getBigUint64(pos, true));
    if (dv.getUint32(pos + 8, true) !== refMask(refCrc32c(lengthBytes))) throw new Error(`length crc mismatch at ${pos}`);
    const start = pos + 12;
    if (start + length + 4 > file.length) throw new Error(`truncated record at ${pos}`);
    const data = file.subarray(start, start + length);
    if (dv.getUint32(start + length, true) !== refMask(refCrc32c(data))) throw new Error(`data crc mismatch at ${pos}`);
    records.push(data);
    pos = start + length + 4;
  }
  return records;
}

type Field = { no: number; wire: 0; value: bigint } | { no: number; wire: 1 | 2 | 5; value: Uint8Array };

class ProtoReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      if (shift > 63n) throw new Error('varint too long');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  field(): Field {
    const key = this.varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) return { no, wire, value: this.varint() };
    if (wire === 1) return { no, wire, value: this.take(8) };
    if (wire === 2) return { no, wire, value: this.take(Number(this.varint())) };
    if (wire === 5) return { no, wire, value: this.take(4) };
    throw new Error(`unsupported wire type ${wire}`);
  }
  static fields(buf: Uint8Array): Field[] {
    const r = new ProtoReader(buf);
    const out: Field[] = [];
    while (!r.done()) out.push(r.field());
    return out;
  }
}

type Decoded = { kind: 'bytes'; values: Uint8Array[] } | { kind: 'float'; values: number[] } | { kind: 'int64'; values: bigint[] };

function decodeFeature(buf: Uint8Array): Decoded {
  const fields = ProtoReader.fields(buf);
  if (fields.length !== 1 || fields[0].wire !== 2) throw new Error('Feature must hold exactly one list');
  const { no, value: list } = fields[0];
  const items = ProtoReader.fields(list);
  if (items.some((f) => f.no !== 1)) throw new Error('list with a field other than value=1');
  if (no === 1) return { kind: 'bytes', values: items.map((f) => f.value as Uint8Array) };
  if (no === 2) {
    const values: number[] = [];
    for (const f of items) {
      const raw = f.value as Uint8Array; // packed (wire 2) or a single fixed32 (wire 5)
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < raw.length; i += 4) values.push(dv.getFloat32(i, true));
    }
    return { kind: 'float', values };
  }
  if (no === 3) {
    const values: bigint[] = [];
    for (const f of items) {
      if (f.wire === 0) values.push(BigInt.asIntN(64, f.value));
      else {
        const r = new ProtoReader(f.value);
        while (!r.done()) values.push(BigInt.asIntN(64, r.varint()));
      }
    }
    return { kind: 'int64', values };
  }
  throw new Error(`unknown Feature kind ${no}`);
}

/** Example → Features → map<string, Feature>, keys in wire order. */
function decodeExample(buf: Uint8Array): Map<string, Decoded> {
  const top = ProtoReader.fields(buf);
  expect(top.map((f) => [f.no, f.wire])).toEqual([[1, 2]]);
  const map = new Map<string, Decoded>();
  for (const entry of ProtoReader.fields(top[0].value as Uint8Array)) {
    expect([entry.no, entry.wire]).toEqual([1, 2]);
    let key: string | undefined;
    let value: Decoded | undefined;
    for (const f of ProtoReader.fields(entry.value as Uint8Array)) {
      if (f.no === 1) key = new TextDecoder('utf-8', { fatal: true }).decode(f.value as Uint8Array);
      if (f.no === 2) value = decodeFeature(f.value as Uint8Array);
    }
    if (key === undefined || value === undefined) throw new Error('map entry without key or value');
    if (map.has(key)) throw new Error(`duplicate key ${key}`);
    map.set(key, value);
  }
  return map;
}

const text = (d: Decoded | undefined): string[] => {
  if (d?.kind !== 'bytes') throw new Error(`expected bytes, got ${d?.kind}`);
  return d.values.map((v) => new TextDecoder('utf-8', { fatal: true }).decode(v));
};
const ints = (d: Decoded | undefined): number[] => {
  if (d?.kind !== 'int64') throw new Error(`expected int64, got ${d?.kind}`);
  return d.values.map(Number);
};
const floats = (d: Decoded | undefined): number[] => {
  if (d?.kind !== 'float') throw new Error(`expected float, got ${d?.kind}`);
  return d.values;
};

// ---------------------------------------------------------------------------------------------------------
// Tiny real images
// ---------------------------------------------------------------------------------------------------------

/** A valid RGB PNG built by hand: signature, IHDR, one zlib IDAT, IEND, each chunk with its CRC-32. */
function makePng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(refCrc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) raw.set([(x * 40) & 255, (y * 80) & 255, 128], row + 1 + x * 3);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}

const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : 'ffmpeg';

/** A real baseline JPEG from ffmpeg. */
function makeJpeg(width: number, height: number): Uint8Array {
  const r = spawnSync(
    FFMPEG,
    ['-v', 'error', '-f', 'lavfi', '-i', `color=c=0x3366cc:s=${width}x${height}`, '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-f', 'image2pipe', '-'],
    { maxBuffer: 1 << 20 },
  );
  if (r.error || r.status !== 0) throw new Error(`ffmpeg is needed to make a test JPEG: ${r.error?.message ?? r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/** ffmpeg decodes the image to raw RGB: proof that the hand-made bytes are a real image. */
function decodedSize(image: Uint8Array): number {
  const r = spawnSync(FFMPEG, ['-v', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { input: image });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout.length;
}

// ---------------------------------------------------------------------------------------------------------

describe('crc32c', () => {
  it('matches the Castagnoli check values', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as TFRecord does', () => {
    const data = new TextEncoder().encode('123456789');
    // ((0xE3069283 >>> 15) | (0xE3069283 << 17)) + 0xA282EAD8, mod 2^32, worked by hand.
    // rotate: (0x0001c60d | 0x25060000) = 0x2507c60d; + 0xa282ead8 = 0xc78ab0e5.
    expect(maskedCrc32c(data)).toBe(0xc78ab0e5);
    for (const n of [0, 1, 7, 100, 4096]) {
      const buf = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
      expect(crc32c(buf)).toBe(refCrc32c(buf));
      expect(maskedCrc32c(buf)).toBe(refMask(refCrc32c(buf)));
    }
  });
});

describe('encodeExample', () => {
  it('produces the bytes protobuf produces for a one-feature Example', () => {
    // Example{features{feature{key:"a" value{int64_list{value:[1]}}}}}, as serialised by protobuf (packed).
    expect([...encodeExample({ a: { int64: [1] } })]).toEqual([
      0x0a, 0x0c, 0x0a, 0x0a, 0x0a, 0x01, 0x61, 0x12, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x01,
    ]);
  });

  it('round-trips every kind, including negatives, large int64, empty lists and multi-byte lengths', () => {
    const big = new Uint8Array(300).map((_, i) => i & 255);
    const bytes = encodeExample({
      z: { float: [0.5, -1.25, 3.4e38] },
      a: { int64: [0, 1, -1, 300, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n] },
      m: { bytes: [big, new Uint8Array(0), new TextEncoder().encode('수어')] },
      empty_f: { float: [] },
      empty_i: { int64: [] },
      empty_b: { bytes: [] },
    });
    const d = decodeExample(bytes);
    // Sorted keys: deterministic output whatever the object's insertion order.
    expect([...d.keys()]).toEqual(['a', 'empty_b', 'empty_f', 'empty_i', 'm', 'z']);
    expect(floats(d.get('z'))).toEqual([0.5, -1.25, Math.fround(3.4e38)]);
    expect((d.get('a') as { values: bigint[] }).values).toEqual([0n, 1n, -1n, 300n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]);
    const m = d.get('m') as { kind: 'bytes'; values: Uint8Array[] };
    expect(m.kind).toBe('bytes');
    expect([...m.values[0]]).toEqual([...big]);
    expect(m.values[1].length).toBe(0);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(m.values[2])).toBe('수어');
    expect(floats(d.get('empty_f'))).toEqual([]);
    expect(ints(d.get('empty_i'))).toEqual([]);
    expect(text(d.get('empty_b'))).toEqual([]);
    expect(encodeExample({ b: { int64: [2] }, a: { int64: [1] } })).toEqual(encodeExample({ a: { int64: [1] }, b: { int64: [2] } }));
  });

  it('rejects values that would not survive the trip', () => {
    expect(() => encodeExample({ a: { int64: [2 ** 53] } })).toThrow(/safe integer/);
    expect(() => encodeExample({ a: { int64: [1.5] } })).toThrow(/safe integer/);
    expect(() => encodeExample({ a: { int64: [2n ** 63n] } })).toThrow(/outside int64/);
    expect(() => encodeExample({ '': { int64: [1] } })).toThrow(/empty/);
  });
});

describe('TFRecord framing', () => {
  it('frames a record with length, both masked CRCs and the data', () => {
    const data = new TextEncoder().encode('hello');
    const framed = frameRecord(data);
    expect(framed.length).toBe(8 + 4 + 5 + 4);
    const dv = new DataView(framed.buffer);
    expect(dv.getBigUint64(0, true)).toBe(5n);
    expect(dv.getUint32(8, true)).toBe(refMask(refCrc32c(framed.subarray(0, 8))));
    expect([...framed.subarray(12, 17)]).toEqual([...data]);
    expect(dv.getUint32(17, true)).toBe(refMask(refCrc32c(data)));
    expect(readTFRecords(frameRecord(new Uint8Array(0)))).toEqual([new Uint8Array(0)]);
  });
});

describe('TFRecordWriter + odApiExample', () => {
  let dir: string;
  let jpeg: Uint8Array;
  let png: Uint8Array;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-tfrecord-'));
    jpeg = makeJpeg(64, 48);
    png = makePng(40, 30);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes real test images', () => {
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(decodedSize(jpeg)).toBe(64 * 48 * 3);
    expect(decodedSize(png)).toBe(40 * 30 * 3);
    expect(sniffImageFormat(jpeg, 'a.jpg')).toBe('jpeg');
    expect(sniffImageFormat(png, 'a.png')).toBe('png');
    expect(imageDimensions(jpeg, 'jpeg')).toEqual({ width: 64, height: 48 });
    expect(imageDimensions(png, 'png')).toEqual({ width: 40, height: 30 });
  });

  it('writes examples atomically and every field reads back', async () => {
    const inputs = [
      {
        image: jpeg,
        filename: 'frames/KETI_SL_0000000001/000012.jpg',
        sourceId: 'frame-12',
        width: 64,
        height: 48,
        boxes: [
          { xmin: 8, ymin: 4, xmax: 40, ymax: 44, text: '안녕하세요', label: 1, view: 'Frontal' },
          // Spills past the right and bottom edges: clamped to 1.
          { xmin: 32, ymin: 24, xmax: 80, ymax: 60, text: '감사합니다', label: 2, difficult: true, truncated: true },
        ],
      },
      {
        image: png,
        filename: '수어/frame 2.png',
        sourceId: 'frame-13',
        width: 40,
        height: 30,
        boxes: [{ xmin: -5, ymin: 0, xmax: 10, ymax: 30, text: '사랑"해요\'', label: 3 }],
      },
      // A negative image: no boxes is valid for the OD API.
      { image: png, filename: 'empty.png', sourceId: 'frame-14', width: 40, height: 30, boxes: [] },
    ];
    const out = path.join(dir, 'train.record');
    const writer = new TFRecordWriter(out);
    for (const input of inputs) await writer.write(odApiExample(input));
    expect(writer.count).toBe(3);
    expect(existsSync(out)).toBe(false); // nothing at the final path until close()
    expect(existsSync(`${out}.partial`)).toBe(true);
    await writer.close();
    expect(existsSync(out)).toBe(true);
    expect(existsSync(`${out}.partial`)).toBe(false);

    const file = new Uint8Array(readFileSync(out));
    expect(file.length).toBe(writer.size);
    const records = readTFRecords(file);
    expect(records).toHaveLength(3);
    const [a, b, c] = records.map(decodeExample);

    expect([...a.keys()]).toEqual([...a.keys()].sort());
    expect(new Set(a.keys())).toEqual(
      new Set([
        'image/encoded',
        'image/format',
        'image/height',
        'image/width',
        'image/filename',
        'image/source_id',
        'image/key/sha256',
        'image/object/bbox/xmin',
        'image/object/bbox/xmax',
        'image/object/bbox/ymin',
        'image/object/bbox/ymax',
        'image/object/class/text',
        'image/object/class/label',
        'image/object/difficult',
        'image/object/truncated',
        'image/object/view',
      ]),
    );
    const encoded = a.get('image/encoded') as { kind: 'bytes'; values: Uint8Array[] };
    expect(encoded.values).toHaveLength(1);
    expect(Buffer.from(encoded.values[0]).equals(Buffer.from(jpeg))).toBe(true);
    expect(text(a.get('image/format'))).toEqual(['jpeg']);
    expect(ints(a.get('image/height'))).toEqual([48]);
    expect(ints(a.get('image/width'))).toEqual([64]);
    expect(text(a.get('image/filename'))).toEqual(['frames/KETI_SL_0000000001/000012.jpg']);
    expect(text(a.get('image/source_id'))).toEqual(['frame-12']);
    expect(text(a.get('image/key/sha256'))).toEqual([createHash('sha256').update(jpeg).digest('hex')]);
    const f32 = (xs: number[]) => xs.map(Math.fround);
    expect(floats(a.get('image/object/bbox/xmin'))).toEqual(f32([8 / 64, 32 / 64]));
    expect(floats(a.get('image/object/bbox/xmax'))).toEqual(f32([40 / 64, 1]));
    expect(floats(a.get('image/object/bbox/ymin'))).toEqual(f32([4 / 48, 24 / 48]));
    expect(floats(a.get('image/object/bbox/ymax'))).toEqual(f32([44 / 48, 1]));
    expect(text(a.get('image/object/class/text'))).toEqual(['안녕하세요', '감사합니다']);
    expect(ints(a.get('image/object/class/label'))).toEqual([1, 2]);
    expect(ints(a.get('image/object/difficult'))).toEqual([0, 1]);
    expect(ints(a.get('image/object/truncated'))).toEqual([0, 1]);
    expect(text(a.get('image/object/view'))).toEqual(['Frontal', 'Unspecified']);

    expect(text(b.get('image/format'))).toEqual(['png']);
    expect(Buffer.from((b.get('image/encoded') as { values: Uint8Array[] }).values[0]).equals(Buffer.from(png))).toBe(true);
    expect(ints(b.get('image/height'))).toEqual([30]);
    expect(ints(b.get('image/width'))).toEqual([40]);
    expect(text(b.get('image/filename'))).toEqual(['수어/frame 2.png']);
    expect(text(b.get('image/key/sha256'))).toEqual([createHash('sha256').update(png).digest('hex')]);
    expect(floats(b.get('image/object/bbox/xmin'))).toEqual([0]);
    expect(floats(b.get('image/object/bbox/xmax'))).toEqual(f32([10 / 40]));
    expect(floats(b.get('image/object/bbox/ymin'))).toEqual([0]);
    expect(floats(b.get('image/object/bbox/ymax'))).toEqual([1]);
    expect(text(b.get('image/object/class/text'))).toEqual(['사랑"해요\'']);
    expect(ints(b.get('image/object/class/label'))).toEqual([3]);
    expect(text(b.get('image/object/view'))).toEqual(['Unspecified']);

    expect(text(c.get('image/source_id'))).toEqual(['frame-14']);
    for (const k of ['xmin', 'xmax', 'ymin', 'ymax']) expect(floats(c.get(`image/object/bbox/${k}`))).toEqual([]);
    expect(text(c.get('image/object/class/text'))).toEqual([]);
    expect(ints(c.get('image/object/class/label'))).toEqual([]);

    // Every box lies inside [0, 1] with positive area.
    for (const ex of [a, b]) {
      const [x0, x1, y0, y1] = ['xmin', 'xmax', 'ymin', 'ymax'].map((k) => floats(ex.get(`image/object/bbox/${k}`)));
      x0.forEach((_, i) => {
        expect(0 <= x0[i] && x0[i] < x1[i] && x1[i] <= 1).toBe(true);
        expect(0 <= y0[i] && y0[i] < y1[i] && y1[i] <= 1).toBe(true);
      });
    }
  });

  it('detects a corrupted byte through the CRCs', async () => {
    const out = path.join(dir, 'crc.record');
    const writer = new TFRecordWriter(out);
    const ex = odApiExample({ image: png, filename: 'p.png', sourceId: '1', width: 40, height: 30, boxes: [] });
    await writer.write(ex);
    await writer.write(ex);
    await writer.close();
    const good = new Uint8Array(readFileSync(out));
    expect(readTFRecords(good)).toHaveLength(2);

    const dataFlip = good.slice();
    dataFlip[12 + 20] ^= 0x01; // inside the first record's data
    expect(() => readTFRecords(dataFlip)).toThrow(/data crc mismatch at 0/);

    const lengthFlip = good.slice();
    const second = 12 + ex.length + 4;
    lengthFlip[second] ^= 0x01; // the second record's length
    expect(() => readTFRecords(lengthFlip)).toThrow(new RegExp(`length crc mismatch at ${second}`));

    const footerFlip = good.slice();
    footerFlip[good.length - 1] ^= 0x80; // the last data CRC itself
    expect(() => readTFRecords(footerFlip)).toThrow(/data crc mismatch/);
  });

  it('abort() removes the partial file and leaves no record file', async () => {
    const out = path.join(dir, 'aborted.record');
    const writer = new TFRecordWriter(out);
    await writer.write(new Uint8Array([1, 2, 3]));
    expect(existsSync(`${out}.partial`)).toBe(true);
    await writer.abort();
    await writer.abort(); // idempotent
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(out)).toBe(false);
    await expect(writer.write(new Uint8Array([1]))).rejects.toThrow(/aborted/);
  });

  it('keeps call order for un-awaited writes and writes an empty file for zero records', async () => {
    const out = path.join(dir, 'order.record');
    const writer = new TFRecordWriter(out);
    const writes = Array.from({ length: 50 }, (_, i) => writer.write(new Uint8Array(i * 37).fill(i)));
    await Promise.all(writes);
    await writer.close();
    const records = readTFRecords(new Uint8Array(readFileSync(out)));
    expect(records.map((r) => r.length)).toEqual(Array.from({ length: 50 }, (_, i) => i * 37));
    records.forEach((r, i) => expect(r.every((b) => b === i)).toBe(true));
    await expect(writer.close()).rejects.toThrow(/closed/);

    const empty = path.join(dir, 'empty.record');
    const w2 = new TFRecordWriter(empty);
    await w2.close();
    expect(readFileSync(empty).length).toBe(0);
  });

  it('fails cleanly when the folder does not exist', async () => {
    const out = path.join(dir, 'missing', 'x.record');
    const writer = new TFRecordWriter(out);
    await expect(writer.write(new Uint8Array([1]))).rejects.toThrow(/ENOENT/);
    await expect(writer.close()).rejects.toThrow(/ENOENT/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects bad images and boxes, naming the file', () => {
    const okInput = { image: png, filename: 'p.png', sourceId: 's', width: 40, height: 30, boxes: [] };
    const box = { xmin: 1, ymin: 1, xmax: 10, ymax: 10, text: '안녕', label: 1 };
    const gif = new TextEncoder().encode('GIF89a....');
    expect(() => odApiExample({ ...okInput, image: gif, filename: 'clip/a.gif' })).toThrow(/clip\/a\.gif: not a JPEG or PNG/);
    expect(() => odApiExample({ ...okInput, image: new Uint8Array(0), filename: 'zero.jpg' })).toThrow(/zero\.jpg/);
    expect(() => odApiExample({ ...okInput, width: 41 })).toThrow(/p\.png: the image is 40x30 but the example says 41x30/);
    expect(() => odApiExample({ ...okInput, width: 0 })).toThrow(/positive integers/);
    expect(() => odApiExample({ ...okInput, image: jpeg.subarray(0, 4), filename: 'cut.jpg', width: 64, height: 48 })).toThrow(
      /cut\.jpg: cannot read the JPEG header/,
    );
    expect(() => odApiExample({ ...okInput, sourceId: '' })).toThrow(/source id/);
    // Degenerate: zero width, inverted, or entirely outside the image (zero area after clamping).
    expect(() => odApiExample({ ...okInput, boxes: [{ ...box, xmax: 1 }] })).toThrow(/p\.png: box 1 .*degenerate/);
    expect(() => odApiExample({ ...okInput, boxes: [box, { ...box, ymin: 20, ymax: 5 }] })).toThrow(/box 2 .*degenerate/);
    expect(() => odApiExample({ ...okInput, boxes: [{ ...box, xmin: 50, xmax: 60 }] })).toThrow(/degenerate/);
    expect(() => odApiExample({ ...okInput, boxes: [{ ...box, xmin: Number.NaN }] })).toThrow(/xmin is not a finite number/);
    expect(() => odApiExample({ ...okInput, boxes: [{ ...box, label: 0 }] })).toThrow(/label must be an integer ≥ 1/);
    expect(() => odApiExample({ ...okInput, boxes: [{ ...box, text: '' }] })).toThrow(/no class text/);
  });
});

describe('odApiReadme', () => {
  it('walks through training, export and ONNX conversion with the export numbers', () => {
    const md = odApiReadme({ level: 2, numClasses: 12, trainCount: 900, testCount: 100, numSteps: 5000 });
    expect(md).toContain('level `2`');
    expect(md).toMatch(/Classes \| 12/);
    expect(md).toMatch(/Training images \| 900/);
    expect(md).toMatch(/Test images \| 100/);
    expect(md).toContain('ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.tar.gz');
    expect(md).toContain('fine_tune_checkpoint: "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/checkpoint/ckpt-0"');
    expect(md).toContain('model_main_tf2.py');
    expect(md).toContain('--checkpoint_dir=training');
    expect(md).toContain('exporter_main_v2.py');
    expect(md).toContain('python -m tf2onnx.convert --saved-model exported/saved_model --opset 13 --output model.onnx');
    for (const out of ['detection_boxes', 'detection_scores', 'detection_classes', 'num_detections']) expect(md).toContain(out);
    expect(md).toContain('label_map.pbtxt');
    expect(md).toContain('random_horizontal_flip');
    expect(odApiReadme({ level: null, numClasses: 1, trainCount: 0, testCount: 0, numSteps: 1 })).toContain('all levels');
    expect(() => odApiReadme({ level: null, numClasses: 0, trainCount: 0, testCount: 0, numSteps: 1 })).toThrow(/numClasses/);
  });
});
