/**
 * TFRecord files of `tf.train.Example` protos, written without TensorFlow or a protobuf library.
 *
 * Wire format (tensorflow/core/example/{example,feature}.proto):
 *   Example  { Features features = 1; }
 *   Features { map<string, Feature> feature = 1; }      // map entry: { string key = 1; Feature value = 2; }
 *   Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 *   BytesList { repeated bytes value = 1; }
 *   FloatList { repeated float value = 1 [packed = true]; }
 *   Int64List { repeated int64 value = 1 [packed = true]; }
 *
 * TFRecord framing (tensorflow/core/lib/io/record_writer.cc), per record:
 *   uint64 LE length | uint32 LE masked crc32c(length bytes) | data | uint32 LE masked crc32c(data)
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';

// ---------------------------------------------------------------------------------------------------------
// CRC32C (Castagnoli), as TFRecord uses it
// ---------------------------------------------------------------------------------------------------------

/** Byte-wise lookup table for the reflected Castagnoli polynomial 0x82F63B78. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = CRC32C_TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * TFRecord stores CRCs masked: a CRC of data that itself contains CRCs is weak, so TF rotates and offsets it
 * (tensorflow/core/lib/hash/crc32c.h `Mask`).
 */
export function maskedCrc32c(buf: Uint8Array): number {
  const crc = crc32c(buf);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord record: header, data, footer, ready to append to a file. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// tf.train.Example encoding
// ---------------------------------------------------------------------------------------------------------

export type FeatureValue = { bytes: Uint8Array[] } | { int64: (number | bigint)[] } | { float: number[] };

/**
 * Encoded protobuf as a list of chunks: nested messages only prepend a tag and length, so the image bytes are
 * copied once, into the final buffer.
 */
interface Chunks {
  parts: Uint8Array[];
  length: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function varint(value: number | bigint): Uint8Array {
  // int64 on the wire is the two's complement as uint64, so negatives take ten bytes (as TF writes them).
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

function smallVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

/** Length-delimited field (wire type 2) wrapping `body`. */
function lengthDelimited(field: number, body: Chunks): Chunks {
  const head = concat([smallVarint((field << 3) | 2), smallVarint(body.length)]);
  return { parts: [head, ...body.parts], length: head.length + body.length };
}

function join(list: Chunks[]): Chunks {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const c of list) {
    parts.push(...c.parts);
    length += c.length;
  }
  return { parts, length };
}

function bytesChunk(b: Uint8Array): Chunks {
  return { parts: [b], length: b.length };
}

function concat(parts: Uint8Array[], length = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const utf8 = new TextEncoder();

function encodeFeature(key: string, value: FeatureValue): Chunks {
  if ('bytes' in value) {
    // BytesList: repeated bytes, one length-delimited field 1 per value.
    const list = join(value.bytes.map((b) => lengthDelimited(1, bytesChunk(b))));
    return lengthDelimited(1, list);
  }
  if ('float' in value) {
    // FloatList: packed — a single field 1 holding little-endian float32s (omitted when empty, as TF does).
    const packed = new Uint8Array(value.float.length * 4);
    const view = new DataView(packed.buffer);
    value.float.forEach((f, i) => {
      if (typeof f !== 'number') throw new KslError('INVALID', `Feature ${key}: float values must be numbers.`);
      view.setFloat32(i * 4, f, true);
    });
    const list = value.float.length ? lengthDelimited(1, bytesChunk(packed)) : join([]);
    return lengthDelimited(2, list);
  }
  if ('int64' in value) {
    const varints = value.int64.map((v) => {
      if (typeof v === 'number' && !Number.isSafeInteger(v)) {
        throw new KslError('INVALID', `Feature ${key}: int64 value ${v} is not a safe integer (pass a bigint).`);
      }
      const big = BigInt(v);
      if (big < INT64_MIN || big > INT64_MAX) throw new KslError('INVALID', `Feature ${key}: ${v} is outside int64.`);
      return varint(big);
    });
    const list = varints.length ? lengthDelimited(1, bytesChunk(concat(varints))) : join([]);
    return lengthDelimited(3, list);
  }
  throw new KslError('INVALID', `Feature ${key} must have bytes, int64 or float values.`);
}

function encodeExampleChunks(features: Record<string, FeatureValue>): Chunks {
  // Sorted keys: the same input always gives the same bytes, so exports can be compared and hashed.
  const keys = Object.keys(features).sort();
  const entries = keys.map((key) => {
    if (key.length === 0) throw new KslError('INVALID', 'Feature keys must not be empty.');
    const entry = join([lengthDelimited(1, bytesChunk(utf8.encode(key))), lengthDelimited(2, encodeFeature(key, features[key]))]);
    return lengthDelimited(1, entry);
  });
  return lengthDelimited(1, join(entries));
}

/** Serialise a `tf.train.Example`. */
export function encodeExample(features: Record<string, FeatureValue>): Uint8Array {
  const chunks = encodeExampleChunks(features);
  return concat(chunks.parts, chunks.length);
}

// ---------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------

/**
 * Writes a TFRecord file atomically: records go to `<path>.partial`, and only `close()` fsyncs and renames it
 * into place, so a crash or cancelled export never leaves a truncated file that training would half-read.
 * `abort()` deletes the partial file. Writes are queued in call order; callers may await each one or not.
 */
export class TFRecordWriter {
  readonly path: string;
  readonly partialPath: string;
  private readonly handle: Promise<FileHandle>;
  private queue: Promise<void>;
  private error: unknown;
  private state: 'open' | 'closing' | 'closed' | 'aborted' = 'open';
  private records = 0;
  private bytes = 0;

  constructor(filePath: string) {
    this.path = filePath;
    this.partialPath = `${filePath}.partial`;
    // 'w' truncates a partial file left by an earlier crashed export.
    this.handle = open(this.partialPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o644);
    this.queue = this.handle.then(
      () => undefined,
      (e: unknown) => {
        this.error = e;
      },
    );
  }

  /** Records written so far. */
  get count(): number {
    return this.records;
  }

  /** Bytes written so far, framing included. */
  get size(): number {
    return this.bytes;
  }

  /** Append one record (usually `encodeExample(...)`). */
  write(data: Uint8Array): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new KslError('CONFLICT', `TFRecordWriter for ${this.path} is ${this.state}.`));
    const framed = frameRecord(data);
    const task = this.queue.then(async () => {
      if (this.error) throw this.error;
      const fh = await this.handle;
      let offset = 0;
      // A write to a regular file may in principle be short; loop until the whole record is down.
      while (offset < framed.length) {
        const { bytesWritten } = await fh.write(framed, offset, framed.length - offset, this.bytes + offset);
        offset += bytesWritten;
      }
      this.bytes += framed.length;
      this.records++;
    });
    this.queue = task.catch((e: unknown) => {
      this.error ??= e;
    });
    return task;
  }

  /** Flush, fsync and rename into place. If any write failed, the partial file is removed and the error thrown. */
  async close(): Promise<void> {
    if (this.state !== 'open') throw new KslError('CONFLICT', `TFRecordWriter for ${this.path} is ${this.state}.`);
    this.state = 'closing';
    await this.queue;
    if (this.error) {
      await this.discard();
      this.state = 'aborted';
      throw this.error;
    }
    try {
      const fh = await this.handle;
      await fh.sync();
      await fh.close();
      await rename(this.partialPath, this.path);
      await syncDirectory(path.dirname(this.path));
    } catch (e) {
      await this.discard();
      this.state = 'aborted';
      throw e;
    }
    this.state = 'closed';
  }

  /** Stop and delete the partial file. Safe to call more than once, and after a failed close. */
  async abort(): Promise<void> {
    if (this.state === 'closed' || this.state === 'aborted') return;
    this.state = 'aborted';
    await this.queue;
    await this.discard();
  }

  private async discard(): Promise<void> {
    try {
      const fh = await this.handle;
      await fh.close();
    } catch {
      // Already closed, or never opened: nothing to release.
    }
    await rm(this.partialPath, { force: true });
  }
}

/** Make the rename durable (POSIX). Windows cannot open a directory; NTFS journals the rename itself. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is already synced.
  } finally {
    await fh?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Object Detection API examples
// ---------------------------------------------------------------------------------------------------------

export interface OdApiBox {
  /** Pixel coordinates in the image as stored (not normalised). */
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** Class name, as in the label map. */
  text: string;
  /** Class id, as in the label map (1-based). */
  label: number;
  difficult?: boolean;
  truncated?: boolean;
  /** Pose, as in PASCAL VOC: 'Frontal', 'Left', ... Defaults to 'Unspecified'. */
  view?: string;
}

export interface OdApiExampleInput {
  /** Encoded JPEG or PNG, exactly the bytes TF will decode. */
  image: Uint8Array;
  filename: string;
  /** Unique per image: COCO evaluation uses it as the image id. */
  sourceId: string;
  width: number;
  height: number;
  boxes: OdApiBox[];
}

/** 'jpeg' or 'png' from the magic bytes; the extension or catalog could lie, the bytes cannot. */
export function sniffImageFormat(image: Uint8Array, filename: string): 'jpeg' | 'png' {
  if (image.length >= 3 && image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (image.length >= 8 && png.every((b, i) => image[i] === b)) return 'png';
  throw new KslError('INVALID', `${filename}: not a JPEG or PNG image (the TF Object Detection API decodes only these).`, { filename });
}

/**
 * Width and height stored in the image header (PNG IHDR, JPEG SOFn), or undefined when the header cannot be
 * read. TF normalises nothing itself: boxes divided by a wrong width land on the wrong pixels, silently.
 */
export function imageDimensions(image: Uint8Array, format: 'jpeg' | 'png'): { width: number; height: number } | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (format === 'png') {
    // Signature (8) + IHDR length (4) + 'IHDR' (4) + width (4) + height (4).
    if (image.length < 24 || String.fromCharCode(...image.subarray(12, 16)) !== 'IHDR') return undefined;
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  let i = 2;
  while (i + 4 <= image.length) {
    if (image[i] !== 0xff) return undefined;
    const marker = image[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before any SOF
    const length = view.getUint16(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > image.length) return undefined;
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    i += 2 + length;
  }
  return undefined;
}

function toUtf8(s: string): Uint8Array {
  return utf8.encode(s);
}

/**
 * A `tf.train.Example` with the keys the TF Object Detection API's `TfExampleDecoder` reads. Boxes come in
 * pixels and are written normalised to [0, 1] (clamped to the image); a box with no area after clamping is an
 * error, because the OD API would train on it as a degenerate target.
 */
export function odApiExample(input: OdApiExampleInput): Uint8Array {
  const { image, filename, sourceId, width, height, boxes } = input;
  const where = filename || '(unnamed image)';
  if (!filename) throw new KslError('INVALID', 'An example needs a filename.');
  if (!sourceId) throw new KslError('INVALID', `${where}: an example needs a source id (COCO evaluation uses it as the image id).`);
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new KslError('INVALID', `${where}: width and height must be positive integers, got ${width}x${height}.`, { filename });
  }
  const format = sniffImageFormat(image, where);
  const actual = imageDimensions(image, format);
  if (!actual) throw new KslError('INVALID', `${where}: cannot read the ${format.toUpperCase()} header for its size.`, { filename });
  if (actual.width !== width || actual.height !== height) {
    throw new KslError(
      'INVALID',
      `${where}: the image is ${actual.width}x${actual.height} but the example says ${width}x${height}; boxes would be normalised wrongly.`,
      { filename },
    );
  }

  const xmin: number[] = [];
  const xmax: number[] = [];
  const ymin: number[] = [];
  const ymax: number[] = [];
  const text: Uint8Array[] = [];
  const label: number[] = [];
  const difficult: number[] = [];
  const truncated: number[] = [];
  const view: Uint8Array[] = [];
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  boxes.forEach((box, i) => {
    const what = `${where}: box ${i + 1} (${JSON.stringify(box.text)})`;
    for (const k of ['xmin', 'ymin', 'xmax', 'ymax'] as const) {
      if (!Number.isFinite(box[k])) throw new KslError('INVALID', `${what}: ${k} is not a finite number.`, { filename, box: i });
    }
    const x0 = clamp(box.xmin / width);
    const x1 = clamp(box.xmax / width);
    const y0 = clamp(box.ymin / height);
    const y1 = clamp(box.ymax / height);
    // Compare as float32, the precision TF will see: a sliver that rounds to zero area is still degenerate.
    if (!(Math.fround(x1) > Math.fround(x0)) || !(Math.fround(y1) > Math.fround(y0))) {
      throw new KslError(
        'INVALID',
        `${what}: degenerate box [${box.xmin}, ${box.ymin}, ${box.xmax}, ${box.ymax}] in a ${width}x${height} image.`,
        { filename, box: i },
      );
    }
    if (!Number.isInteger(box.label) || box.label < 1) {
      throw new KslError('INVALID', `${what}: label must be an integer ≥ 1 (0 is the background class), got ${box.label}.`, { filename, box: i });
    }
    if (!box.text) throw new KslError('INVALID', `${where}: box ${i + 1} has no class text.`, { filename, box: i });
    xmin.push(x0);
    xmax.push(x1);
    ymin.push(y0);
    ymax.push(y1);
    text.push(toUtf8(box.text));
    label.push(box.label);
    difficult.push(box.difficult ? 1 : 0);
    truncated.push(box.truncated ? 1 : 0);
    view.push(toUtf8(box.view ?? 'Unspecified'));
  });

  return encodeExample({
    'image/encoded': { bytes: [image] },
    'image/format': { bytes: [toUtf8(format)] },
    'image/height': { int64: [height] },
    'image/width': { int64: [width] },
    'image/filename': { bytes: [toUtf8(filename)] },
    'image/source_id': { bytes: [toUtf8(sourceId)] },
    'image/key/sha256': { bytes: [toUtf8(createHash('sha256').update(image).digest('hex'))] },
    'image/object/bbox/xmin': { float: xmin },
    'image/object/bbox/xmax': { float: xmax },
    'image/object/bbox/ymin': { float: ymin },
    'image/object/bbox/ymax': { float: ymax },
    'image/object/class/text': { bytes: text },
    'image/object/class/label': { int64: label },
    'image/object/difficult': { int64: difficult },
    'image/object/truncated': { int64: truncated },
    'image/object/view': { bytes: view },
  });
}
