/**
 * Grabs the current camera frame as the contract wants it: RGB bytes (alpha stripped), row-major,
 * base64, at the camera's size capped at 1280 on the long side.
 */

export const MAX_FRAME_SIDE = 1280;

export interface GrabbedFrame {
  width: number;
  height: number;
  /** base64 of width × height × 3 bytes. */
  rgb: string;
}

/** The size a frame is sent at: the camera's, scaled down (aspect kept) so the long side is ≤ maxSide. */
export function frameSize(width: number, height: number, maxSide = MAX_FRAME_SIDE): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height };
  const s = maxSide / long;
  return { width: Math.max(8, Math.round(width * s)), height: Math.max(8, Math.round(height * s)) };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 characters per 12 bits, as one little-endian 16-bit word: one lookup for two characters. */
const PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) PAIRS[i] = ALPHABET.charCodeAt(i >> 6) | (ALPHABET.charCodeAt(i & 63) << 8);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// UTF-8 decoding has an ASCII fast path; 'ascii' (windows-1252) and 'latin1' are 2× slower in V8
const utf8 = new TextDecoder();

/**
 * RGBA pixels → base64 of their RGB bytes in one pass. Three RGB bytes are exactly four base64
 * characters, so each pixel encodes on its own and there is never padding — no intermediate RGB
 * buffer and no 1 MB binary string for btoa (several times faster than String.fromCharCode + btoa).
 */
export function rgbaToRgbBase64(rgba: Uint8ClampedArray | Uint8Array, pixels: number): string {
  if (!LITTLE_ENDIAN) return rgbaToRgbBase64Bytewise(rgba, pixels);
  const out = new Uint16Array(pixels * 2);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 2) {
    const v = (rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!;
    out[o] = PAIRS[v >> 12]!;
    out[o + 1] = PAIRS[v & 4095]!;
  }
  return utf8.decode(out);
}

function rgbaToRgbBase64Bytewise(rgba: Uint8ClampedArray | Uint8Array, pixels: number): string {
  const out = new Uint8Array(pixels * 4);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 4) {
    const v = (rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!;
    out[o] = ALPHABET.charCodeAt(v >> 18);
    out[o + 1] = ALPHABET.charCodeAt((v >> 12) & 63);
    out[o + 2] = ALPHABET.charCodeAt((v >> 6) & 63);
    out[o + 3] = ALPHABET.charCodeAt(v & 63);
  }
  return utf8.decode(out);
}

/** One reusable canvas; `grab` draws the video into it and reads the pixels back. */
export class FrameGrabber {
  private canvas = document.createElement('canvas');
  private ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;

  grab(video: HTMLVideoElement): GrabbedFrame | null {
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth || !video.videoHeight) return null;
    const { width, height } = frameSize(video.videoWidth, video.videoHeight);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(video, 0, 0, width, height);
    const img = this.ctx.getImageData(0, 0, width, height);
    return { width, height, rgb: rgbaToRgbBase64(img.data, width * height) };
  }
}
