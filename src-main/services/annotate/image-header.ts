/**
 * Width, height and channel count of a JPEG, PNG or BMP from its first bytes, without decoding it.
 *
 * Why: a VOC file's `<size>` is whatever the annotating tool wrote, and images get resized or re-exported
 * after annotation; boxes must be checked against the picture actually on disk. Reading a header costs one
 * small read per image, where ffprobe would cost a process.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface ImageHeader {
  format: 'jpeg' | 'png' | 'bmp';
  width: number;
  height: number;
  /** 1 for greyscale, 3 otherwise (labelImg's `<depth>`: it writes 1 or 3, never 4). */
  depth: 1 | 3;
}

/** Parses the header from bytes; null when the bytes are not a JPEG, PNG or BMP this reader understands. */
export function parseImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[12] === 0x49 && b[13] === 0x48 && b[14] === 0x44 && b[15] === 0x52) {
    // PNG: the first chunk is IHDR: width, height (big-endian u32), bit depth, colour type.
    const width = u32be(b, 16);
    const height = u32be(b, 20);
    const colourType = b[25];
    return width > 0 && height > 0 ? { format: 'png', width, height, depth: colourType === 0 || colourType === 4 ? 1 : 3 } : null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegHeader(b);
  if (b.length >= 30 && b[0] === 0x42 && b[1] === 0x4d) {
    // BMP: BITMAPINFOHEADER width/height (little-endian i32; a negative height means top-down rows).
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const width = dv.getInt32(18, true);
    const height = Math.abs(dv.getInt32(22, true));
    return width > 0 && height > 0 ? { format: 'bmp', width, height, depth: 3 } : null;
  }
  return null;
}

function u32be(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}

/** Walks the JPEG markers up to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpegHeader(b: Uint8Array): ImageHeader | null {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    let marker = b[i + 1]!;
    while (marker === 0xff && i + 2 < b.length) marker = b[++i + 1]!; // fill bytes
    i += 2;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan before any SOF
    if (i + 1 >= b.length) return null;
    const len = (b[i]! << 8) + b[i + 1]!;
    if (len < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 7 >= b.length) return null;
      const height = (b[i + 3]! << 8) + b[i + 4]!;
      const width = (b[i + 5]! << 8) + b[i + 6]!;
      const components = b[i + 7]!;
      return width > 0 && height > 0 ? { format: 'jpeg', width, height, depth: components === 1 ? 1 : 3 } : null;
    }
    i += len;
  }
  return null;
}

/**
 * Reads the header of an image file. Most headers are in the first 64 kB; a JPEG with a large EXIF
 * thumbnail can push its SOF further, so the whole file is read when the first block was not enough.
 */
export function readImageHeader(file: string): ImageHeader | null {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const first = Math.min(size, 64 * 1024);
    const h = parseImageHeader(readFully(fd, first));
    // 16 MB is past any real EXIF block; a bigger "JPEG" without an SOF by then is not one.
    if (h || size <= first) return h;
    return parseImageHeader(readFully(fd, Math.min(size, 16 * 1024 * 1024)));
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
