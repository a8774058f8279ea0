/**
 * Grabs the current camera frame as the contract wants it: the camera's own I420 planes where a check of
 * its first frame shows the service's conversion matches Chromium's (half the bytes, no conversion on the
 * page), else RGB bytes (alpha stripped), row-major; at the camera's size capped at 1280 on the long
 * side, as a Uint8Array — it travels as a WebSocket binary message or an Electron structured clone, never
 * base64 (src-shared/wire.ts). The service scales it to the model's input with the same filter training
 * used (resize-rgb.ts): a canvas resize on the page would send a third of the bytes but moves the scores
 * (README, Live).
 */

import type { LiveRegion } from '../../src-shared/api-live';
import { i420Length, i420ToRgbInto, yuvColourOf, type YuvColour } from '../../src-shared/yuv';

export const MAX_FRAME_SIDE = 1280;

export interface GrabbedFrame {
  width: number;
  height: number;
  /** width × height × 3 bytes; or, for the base64 comparison mode, the same bytes as base64. */
  rgb: Uint8Array | string;
  /**
   * When set, `rgb` holds the camera's I420 planes instead (i420Length bytes: half of RGB), to be
   * converted by the service with this colour (src-shared/yuv.ts).
   */
  i420?: YuvColour;
  /** When set, `rgb` holds only this part of the width × height frame (the service's `next` region). */
  region?: LiveRegion;
}

/** The service's `next` region for frames of one size (LiveDetectResult.next). */
export interface RegionHint extends LiveRegion {
  frameWidth: number;
  frameHeight: number;
}

/** How far (per channel) our I420 → RGB may be from Chromium's own before a camera's I420 is not trusted. */
export const I420_MAX_DIFF = 3;

/** How frames go to the service: raw bytes (the default), or base64 in JSON (the old way, kept to measure against). */
export type FrameEncoding = 'binary' | 'base64';

/** The size a frame is sent at: the camera's, scaled down (aspect kept) so the long side is ≤ maxSide. */
export function frameSize(width: number, height: number, maxSide = MAX_FRAME_SIDE): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height };
  const s = maxSide / long;
  return { width: Math.max(8, Math.round(width * s)), height: Math.max(8, Math.round(height * s)) };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** NV12's chroma (U, V, U, V, …) → the U and V planes of I420 (each uv.length / 2 bytes). */
export function splitChromaInto(uv: Uint8Array, u: Uint8Array, v: Uint8Array): void {
  const n = uv.length >> 1;
  if (u.length < n || v.length < n) throw new RangeError(`splitChromaInto: ${n} chroma samples need U and V planes of ${n} bytes`);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    u[i] = uv[j]!;
    v[i] = uv[j + 1]!;
  }
}

/**
 * RGBA pixels → RGB bytes into `out` (length ≥ pixels × 3). Reads each pixel as one 32-bit word
 * (when the RGBA buffer is 4-byte aligned, as ImageData's always is), about twice as fast as four
 * byte reads.
 */
export function rgbaToRgbInto(rgba: Uint8ClampedArray | Uint8Array, pixels: number, out: Uint8Array): Uint8Array {
  if (out.length < pixels * 3) throw new RangeError(`rgbaToRgbInto: ${pixels} pixels need ${pixels * 3} bytes, the buffer has ${out.length}`);
  if (LITTLE_ENDIAN && rgba.byteOffset % 4 === 0) {
    const words = new Uint32Array(rgba.buffer, rgba.byteOffset, pixels);
    for (let p = 0, o = 0; p < pixels; p++, o += 3) {
      const v = words[p]!;
      out[o] = v & 255;
      out[o + 1] = (v >>> 8) & 255;
      out[o + 2] = (v >>> 16) & 255;
    }
  } else {
    for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
      out[o] = rgba[i]!;
      out[o + 1] = rgba[i + 1]!;
      out[o + 2] = rgba[i + 2]!;
    }
  }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 characters per 12 bits, as one little-endian 16-bit word: one lookup for two characters. */
const PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) PAIRS[i] = ALPHABET.charCodeAt(i >> 6) | (ALPHABET.charCodeAt(i & 63) << 8);
// UTF-8 decoding has an ASCII fast path; 'ascii' (windows-1252) and 'latin1' are 2× slower in V8
const utf8 = new TextDecoder();

/**
 * RGBA pixels → base64 of their RGB bytes in one pass (the JSON form of a frame, for comparison and
 * for transports without binary messages). Three RGB bytes are exactly four base64 characters, so each
 * pixel encodes on its own and there is never padding.
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

/**
 * Reads the current camera frame into one of two RGB buffers — never the one holding `keep` (the
 * frame in flight) — so that no megabyte is allocated per frame and a frame is never overwritten while
 * a transport might still read it.
 *
 * Where the browser has WebCodecs' VideoFrame (Chromium ≥ 127, so Electron 45) and the camera gives
 * I420 (or NV12, its chroma then split) in a colour space src-shared/yuv.ts converts, the planes are copied out as they are (0.4–0.5 ms
 * at 640×360); the first frame of each camera format is also copied as RGB and compared with our
 * conversion (within I420_MAX_DIFF, or that format goes as RGB). Otherwise, with RGB output, the
 * frame is copied out with `VideoFrame.copyTo({format: 'RGBX'})`: the same pixels as drawing the video
 * on a canvas and reading them back (`npm run bench:live` part 3 compares them byte for byte) at a
 * fraction of the cost (0.8 against 3.3 ms at 640×480, measured in Chromium 156 here). Otherwise — no
 * VideoFrame, a camera frame larger than 1280 that must be scaled, or a copy that fails — it is the
 * canvas: drawImage + getImageData.
 */
export class FrameGrabber {
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private buffers: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private rgbx = new Uint8Array(0);
  /** An NV12 frame's planes as copied, before its chroma is split (copyI420). */
  private nv12 = new Uint8Array(0);
  /** Whether VideoFrame.copyTo with RGBX output is used; off after three failures in a row. */
  private videoFrames: boolean;
  private videoFrameFailures = 0;
  /**
   * Per camera format (pixel format, colour space, size): whether its I420 planes, converted as the
   * service will, came within I420_MAX_DIFF of Chromium's RGB on the first frame. Unchecked formats are
   * checked once (both copies of that frame), after which frames go as I420 (or as RGB, if not).
   */
  private i420Checked = new Map<string, boolean>();

  constructor(
    readonly encoding: FrameEncoding = 'binary',
    options: { videoFrame?: boolean } = {},
  ) {
    this.videoFrames = (options.videoFrame ?? true) && encoding === 'binary' && typeof VideoFrame === 'function';
  }

  /** Which way frames are read: 'video-frame' (WebCodecs; 'video-frame-i420' when they go as I420) or 'canvas'. */
  get method(): 'video-frame' | 'video-frame-i420' | 'canvas' {
    if (!this.videoFrames) return 'canvas';
    return [...this.i420Checked.values()].some(Boolean) ? 'video-frame-i420' : 'video-frame';
  }

  /**
   * `region`: the service's `next` region. Where frames go as I420 (already checked for this camera
   * format) and the camera is still the size the region was cut for, only that part of the frame is
   * copied and sent; otherwise, the whole frame.
   */
  grab(video: HTMLVideoElement, keep?: GrabbedFrame | null, region?: RegionHint | null): GrabbedFrame | null | Promise<GrabbedFrame | null> {
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth || !video.videoHeight) return null;
    const { width, height } = frameSize(video.videoWidth, video.videoHeight);
    if (this.videoFrames && width === video.videoWidth && height === video.videoHeight) {
      const part = region && region.frameWidth === width && region.frameHeight === height ? region : null;
      return this.grabVideoFrame(video, width, height, keep, part).then(
        (f) => {
          this.videoFrameFailures = 0;
          return f;
        },
        () => {
          // This frame from the canvas. Three failures in a row (an engine without RGB output from
          // copyTo, say) and the canvas from then on; one alone may be a camera changing its mode.
          if (++this.videoFrameFailures >= 3) this.videoFrames = false;
          return this.grabCanvas(video, width, height, keep);
        },
      );
    }
    return this.grabCanvas(video, width, height, keep);
  }

  private target(bytes: number, keep?: GrabbedFrame | null): Uint8Array {
    const i = keep && keep.rgb === this.buffers[0] ? 1 : 0;
    let buf = this.buffers[i];
    if (buf.length !== bytes) buf = this.buffers[i] = new Uint8Array(bytes);
    return buf;
  }

  private async grabVideoFrame(video: HTMLVideoElement, width: number, height: number, keep?: GrabbedFrame | null, part?: LiveRegion | null): Promise<GrabbedFrame> {
    const frame = new VideoFrame(video);
    try {
      const rect = frame.visibleRect;
      if (!rect || rect.width !== width || rect.height !== height) throw new Error(`VideoFrame is ${rect?.width}×${rect?.height}, the video ${width}×${height}`);
      const pixels = width * height;
      // The camera's own I420 (half the bytes, no conversion here) when its colour space is one the service
      // converts and the first frame showed the conversion matches Chromium's. NV12 (most webcams on
      // Windows) is the same samples with U and V interleaved: it goes as I420 too.
      const colour = frame.format === 'I420' || frame.format === 'NV12' ? yuvColourOf(frame.colorSpace?.toJSON?.() ?? null) : null;
      const key = colour ? `${frame.format}/${JSON.stringify(frame.colorSpace?.toJSON?.() ?? null)}/${width}x${height}` : '';
      const trusted = colour ? this.i420Checked.get(key) : false;
      // copyTo's rect is in the coded picture, of which the video shows visibleRect (a camera asked for
      // 16:9 from a 4:3 sensor gives the middle of it): the region moves with it, and must stay on even
      // rows and columns for I420's shared chroma.
      if (colour && trusted === true && part && rect.x % 2 === 0 && rect.y % 2 === 0) {
        // Only the part the service will read (a hand or two): the same planes, cut to the rectangle.
        const { x, y, width: rw, height: rh } = part;
        const planes = this.target(i420Length(rw, rh), keep);
        await this.copyI420(frame, rw, rh, planes, { x: rect.x + x, y: rect.y + y, width: rw, height: rh });
        return { width, height, rgb: planes, i420: colour, region: { x, y, width: rw, height: rh } };
      }
      if (colour && trusted !== false) {
        const planes = this.target(i420Length(width, height), keep);
        await this.copyI420(frame, width, height, planes);
        if (trusted === undefined) {
          // Once per camera format: both copies of this frame, compared.
          if (this.rgbx.length !== pixels * 4) this.rgbx = new Uint8Array(pixels * 4);
          await frame.copyTo(this.rgbx, { format: 'RGBX', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
          const ours = i420ToRgbInto(planes, width, height, colour, new Uint8Array(pixels * 3));
          let maxDiff = 0;
          for (let p = 0; p < pixels && maxDiff <= I420_MAX_DIFF; p++) {
            for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(ours[p * 3 + c]! - this.rgbx[p * 4 + c]!));
          }
          this.i420Checked.set(key, maxDiff <= I420_MAX_DIFF);
          if (maxDiff > I420_MAX_DIFF) return { width, height, rgb: rgbaToRgbInto(this.rgbx, pixels, this.target(pixels * 3, keep)) };
        }
        return { width, height, rgb: planes, i420: colour };
      }
      if (this.rgbx.length !== pixels * 4) this.rgbx = new Uint8Array(pixels * 4);
      await frame.copyTo(this.rgbx, { format: 'RGBX', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
      return { width, height, rgb: rgbaToRgbInto(this.rgbx, pixels, this.target(pixels * 3, keep)) };
    } finally {
      frame.close();
    }
  }

  /**
   * The I420 planes of an I420 or NV12 frame — its visible picture, or `rect` of its coded picture, w × h —
   * into `out` (i420Length(w, h) bytes): I420 as it is, NV12's interleaved chroma split into U and V.
   */
  private async copyI420(frame: VideoFrame, w: number, h: number, out: Uint8Array, rect?: DOMRectInit): Promise<void> {
    const cw = (w + 1) >> 1;
    const ch = (h + 1) >> 1;
    const luma = w * h;
    const where = rect ? { rect } : {};
    if (frame.format !== 'NV12') {
      await frame.copyTo(out, { ...where, layout: [{ offset: 0, stride: w }, { offset: luma, stride: cw }, { offset: luma + cw * ch, stride: cw }] } as VideoFrameCopyToOptions);
      return;
    }
    // Y straight into place; the interleaved UV plane into scratch, then split.
    if (this.nv12.length !== luma + 2 * cw * ch) this.nv12 = new Uint8Array(luma + 2 * cw * ch);
    await frame.copyTo(this.nv12, { ...where, layout: [{ offset: 0, stride: w }, { offset: luma, stride: 2 * cw }] } as VideoFrameCopyToOptions);
    out.set(this.nv12.subarray(0, luma));
    splitChromaInto(this.nv12.subarray(luma), out.subarray(luma, luma + cw * ch), out.subarray(luma + cw * ch));
  }

  private grabCanvas(video: HTMLVideoElement, width: number, height: number, keep?: GrabbedFrame | null): GrabbedFrame {
    if (!this.canvas || !this.ctx) {
      this.canvas = document.createElement('canvas');
      this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(video, 0, 0, width, height);
    const img = this.ctx.getImageData(0, 0, width, height);
    const pixels = width * height;
    if (this.encoding === 'base64') return { width, height, rgb: rgbaToRgbBase64(img.data, pixels) };
    return { width, height, rgb: rgbaToRgbInto(img.data, pixels, this.target(pixels * 3, keep)) };
  }
}
