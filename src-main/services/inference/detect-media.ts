/**
 * `ksl detect`: a model over a video or a folder of images, as fast as the machine allows, with the
 * numbers a kiosk operator needs (frames per second, per-frame latency). The pipeline:
 *
 *   ffmpeg (its own process) decodes and stretches each frame to the model's input with
 *   `scale=W:H:flags=bilinear` — byte for byte the decode training and evaluation use — and pipes raw RGB
 *   ──▶ this thread reads the pipe into a small queue (decoding runs ahead while the model works)
 *   ──▶ the inference worker ([-1,1] scaling, onnxruntime-node, threshold + class-wise NMS + max).
 *
 * With a second stage (a `.crop.onnx` beside the model) the crops need the frame at its own size: ffmpeg
 * then splits each decoded frame into two outputs, the frame at its own size on stdout and the same frame
 * stretched to the model's input (the same scale filter) on fd 3, and the worker gets both, so that the
 * detector needs no resize of its own (from 1280×720 that took ~18 ms of the worker's time per frame).
 *
 * fps = frames / wall time from spawning ffmpeg to the last detections. A frame's latency is the time from
 * the moment the pipeline was ready for it (the previous frame done) to its detections: any wait for
 * ffmpeg, the transfer, scaling, inference and NMS. With decoding ahead, the wait is zero unless decoding
 * is the bottleneck, in which case it shows.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LiveDetection, LiveSettings } from '../../../src-shared/api-live';
import { KslError } from '../../../src-shared/result';
import { concatLine } from '../training/decode-frames';
import { findFfmpeg } from '../media/ffmpeg-path';
import { ffmpegReason } from '../media/ffmpeg-output';
import { probeVideo } from '../media/probe';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { FOLLOW_REDETECT, openDetector, type DetectCall, type Detector, type DetectorInfo, type DetectorOptions, type DetectTiming } from './detector';
import { frameFit, type FrameFit } from '../../../src-shared/frame-fit';
import { InferenceService } from './inference-service';

export interface DetectMediaOptions extends DetectorOptions {
  video?: string;
  images?: string;
  settings?: Partial<LiveSettings>;
  /** Frames decoded ahead of the model (default 4). */
  queue?: number;
  /** Stop after this many frames (benchmarks). */
  maxFrames?: number;
  /** ffmpeg decoder threads (default 1: the other core runs the model). */
  decodeThreads?: number;
  signal?: AbortSignal;
}

export interface FrameDetections {
  frame: number;
  /** Seconds into the video (frame index / frame rate). */
  t?: number;
  /** The image file, relative to --images. */
  file?: string;
  boxes: LiveDetection[];
  /** This frame's latency (as latencyMs) and the second stage's share of it, ms. */
  ms: number;
  cropMs: number;
  /** Hands read by the second stage in this frame (close-ups through the crop model); absent without one. */
  crops?: number;
  /** The detector was skipped: the hands of the previous frame were followed (DetectorOptions.redetectEvery). */
  tracked?: boolean;
}

export interface DetectMediaResult {
  model: string;
  format: DetectorInfo['format'];
  input: DetectorInfo['input'];
  source: { video?: string; images?: string; width: number | null; height: number | null; fps: number | null };
  settings: LiveSettings;
  threads: number;
  graphOptimizationLevel: string;
  /** The model's second stage (`<model stem>.crop.onnx`), or null. */
  secondStage: DetectorInfo['secondStage'];
  /** How frames went into a fixed input: stretched, or scaled to fit and padded (frame-fit.ts; then where, in input pixels). */
  fit: FrameFit;
  frames: number;
  fps: number;
  seconds: number;
  latencyMs: { p50: number; p95: number; mean: number; max: number };
  /**
   * Medians of the parts: waiting for a decoded frame, worker preprocessing, inference, NMS, and the second
   * stage (`crop`: candidates, crops, the crop model, its NMS; 0 without one).
   */
  breakdownMs: { decodeWait: number; preprocess: number; inference: number; nms: number; crop: number };
  /**
   * Following hands between detector runs (a video with a second stage and redetectEvery > 1): the
   * setting in effect, how many frames skipped the detector, and the latency of each kind of frame.
   * `breakdownMs.inference` is the median over the frames that ran the detector.
   */
  tracking: {
    redetectEvery: number;
    trackedFrames: number;
    latencyMs: { detector: { frames: number; p50: number; p95: number }; tracked: { frames: number; p50: number; p95: number } };
  };
  /**
   * CPU time of this process (main thread + inference worker; ffmpeg not included) per frame: close to what
   * a frame costs on an idle core when the machine is busy with other work and wall times are not.
   */
  cpuMsPerFrame: number;
  detections: FrameDetections[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const IMAGE_EXT = /\.(jpe?g|png|bmp|webp)$/i;

/** A bounded queue of raw frames read from a child's stdout, pausing the pipe when full. */
class FrameQueue {
  private frames: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private error: Error | null = null;
  constructor(
    private readonly stream: NodeJS.ReadableStream & { pause(): void; resume(): void },
    private readonly frameBytes: number,
    private readonly capacity: number,
  ) {
    let pending: Buffer[] = [];
    let have = 0;
    stream.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      have += chunk.length;
      while (have >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, have);
        // A fresh ArrayBuffer per frame: it is transferred to the worker.
        const frame = new Uint8Array(frameBytes);
        frame.set(all.subarray(0, frameBytes));
        const rest = all.subarray(frameBytes);
        pending = rest.length ? [rest] : [];
        have = rest.length;
        this.frames.push(frame);
      }
      if (this.frames.length >= this.capacity) stream.pause();
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', (e: Error) => {
      this.error = e;
      this.wake();
    });
  }
  private wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.error) throw this.error;
      const f = this.frames.shift();
      if (f) {
        if (this.frames.length < this.capacity) this.stream.resume();
        return f;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}

/** Where the model runs: the inference worker (default), or this thread (KSL_DETECT_IN_THREAD=1, for measuring the hop). */
interface Runner {
  load(key: string, file: string, options: DetectorOptions): Promise<DetectorInfo>;
  detect(key: string, rgb: Uint8Array, width: number, height: number, settings?: Partial<LiveSettings>, scaled?: Uint8Array, call?: DetectCall): Promise<{ detections: LiveDetection[]; timing: DetectTiming }>;
  close(): Promise<void>;
}

function inThreadRunner(): Runner {
  let d: Detector | null = null;
  return {
    load: async (_key, file, options) => (d = await openDetector(file, options)).info,
    detect: (_key, rgb, w, h, s, scaled, call) => d!.detect(rgb, w, h, s, scaled, call),
    close: async () => d?.close(),
  };
}

export async function detectMedia(modelFile: string, o: DetectMediaOptions): Promise<DetectMediaResult> {
  if (!!o.video === !!o.images) throw new KslError('INVALID', 'Give exactly one of --video FILE or --images DIR.');
  if (!existsSync(modelFile)) throw new KslError('NOT_FOUND', `No model at ${modelFile}.`);
  if (o.labelMap && !existsSync(o.labelMap)) throw new KslError('NOT_FOUND', `No label map at ${o.labelMap}.`);
  const source = o.video ?? o.images!;
  if (!existsSync(source)) throw new KslError('NOT_FOUND', `No ${o.video ? 'video' : 'image folder'} at ${source}.`);

  let images: string[] = [];
  if (o.images) {
    if (!statSync(o.images).isDirectory()) throw new KslError('INVALID', `--images ${o.images} is not a folder.`);
    images = readdirSync(o.images)
      .filter((f) => IMAGE_EXT.test(f))
      .sort();
    if (images.length === 0) throw new KslError('NOT_FOUND', `No images (.jpg, .png, .bmp, .webp) in ${o.images}.`);
    if (o.maxFrames) images = images.slice(0, o.maxFrames);
  }
  const probe = o.video ? await probeVideo(o.video, o.signal) : null;
  const fps = probe ? probe.fpsNum / probe.fpsDen : null;

  const service: Runner = process.env.KSL_DETECT_IN_THREAD === '1' ? inThreadRunner() : new InferenceService();
  const settings: LiveSettings = { threshold: o.settings?.threshold ?? 0.6, iou: o.settings?.iou ?? 0.6, maxDetections: o.settings?.maxDetections ?? 5 };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-detect-'));
  try {
    // A video is one stream: with a second stage, hands can be followed between detector runs.
    const redetectEvery = o.video ? Math.max(1, o.redetectEvery ?? FOLLOW_REDETECT) : 1;
    const info = await service.load('m', path.resolve(modelFile), { labelMap: o.labelMap, intraOpThreads: o.intraOpThreads, graphOptimizationLevel: o.graphOptimizationLevel, redetectEvery });
    const track = redetectEvery > 1 && info.secondStage !== null;
    // The source size: from the video, or the first image (frames of other sizes are scaled to it).
    const source = probe ? { width: probe.width, height: probe.height } : await probeVideo(path.join(o.images!, images[0]!), o.signal);
    // Fixed input: ffmpeg stretches to it (training's decode), or for a frame of another shape than a
    // non-square input of ours scales it to fit and pads it (frame-fit.ts). Dynamic (tf2onnx), a second
    // stage (its crops are cut from the frame at its own resolution), or a padded frame (the worker maps
    // the boxes back from the padding): the worker gets the frame at the source size too.
    const fit: FrameFit = !info.input.dynamic && info.format === 'ksl' ? frameFit(source.width, source.height, info.input.width, info.input.height) : { mode: 'stretch' };
    let w = info.input.width;
    let h = info.input.height;
    if (info.input.dynamic || info.secondStage || fit.mode === 'pad') [w, h] = [source.width, source.height];
    const frameBytes = w * h * 3;
    const input = o.video
      ? ['-i', o.video]
      : (() => {
          const list = path.join(tmp, 'list.txt');
          writeFileSync(list, images.map((f) => concatLine(path.resolve(o.images!, f))).join('\n') + '\n');
          return ['-f', 'concat', '-safe', '0', '-i', list];
        })();
    // Warm the session (first runs allocate) before the clock starts.
    await service.detect('m', new Uint8Array(frameBytes), w, h, settings);

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // A second stage on a fixed-input model: ffmpeg also gives each frame stretched to the model's input
    // (on fd 3), with training's own filter, so that the worker does not resize (~18 ms from 1280×720).
    const twoOutputs = (!!info.secondStage || fit.mode === 'pad') && !info.input.dynamic && (w !== info.input.width || h !== info.input.height);
    const IW = info.input.width;
    const IH = info.input.height;
    const output = (pipe: string, map?: string) => [...(map ? ['-map', map] : []), ...(o.video ? [] : ['-fps_mode', 'passthrough']), ...(o.maxFrames ? ['-frames:v', String(o.maxFrames)] : []), '-f', 'rawvideo', '-pix_fmt', 'rgb24', pipe];
    const child = spawn(
      findFfmpeg().path,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-threads',
        String(o.decodeThreads ?? 1),
        ...input,
        ...(twoOutputs
          ? ['-filter_complex', `[0:v]split=2[a][b];[a]scale=${w}:${h}:flags=bilinear,format=rgb24[frame];[b]${fit.mode === 'pad' ? `scale=${fit.width}:${fit.height}:flags=bilinear,format=rgb24,pad=${IW}:${IH}:${fit.x}:${fit.y}:black` : `scale=${IW}:${IH}:flags=bilinear,format=rgb24`}[net]`, ...output('pipe:1', '[frame]'), ...output('pipe:3', '[net]')]
          : ['-vf', `scale=${w}:${h}:flags=bilinear,format=rgb24`, ...output('pipe:1')]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe', twoOutputs ? 'pipe' : 'ignore'] },
    );
    const onAbort = () => child.kill('SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const queue = new FrameQueue(child.stdout!, frameBytes, Math.max(1, o.queue ?? 4));
    const scaledQueue = twoOutputs ? new FrameQueue(child.stdio[3] as NodeJS.ReadableStream & { pause(): void; resume(): void }, IW * IH * 3, Math.max(1, o.queue ?? 4)) : null;

    const detections: FrameDetections[] = [];
    const latency: number[] = [];
    const waits: number[] = [];
    const pre: number[] = [];
    const inf: number[] = [];
    const nms: number[] = [];
    const crop: number[] = [];
    const tracked: number[] = [];
    const detectorFrames: number[] = [];
    const r2 = (x: number) => Math.round(x * 100) / 100;
    let ready = t0;
    try {
      for (;;) {
        const frame = await queue.next();
        const scaled = scaledQueue ? await scaledQueue.next() : undefined;
        if (!frame || scaled === null) break;
        const got = performance.now();
        const r = await service.detect('m', frame, w, h, settings, scaled, track ? { track: true } : undefined);
        const done = performance.now();
        const i = detections.length;
        latency.push(done - ready);
        waits.push(got - ready);
        pre.push(r.timing.preprocessMs);
        if (r.timing.tracked) tracked.push(done - ready);
        else {
          inf.push(r.timing.inferenceMs);
          detectorFrames.push(done - ready);
        }
        nms.push(r.timing.nmsMs);
        crop.push(r.timing.cropMs);
        const ms = r2(done - ready);
        const cropMs = r2(r.timing.cropMs);
        const crops = r.timing.crops === undefined ? {} : { crops: r.timing.crops };
        ready = done;
        detections.push(o.video ? { frame: i, t: fps ? Number((i / fps).toFixed(4)) : undefined, boxes: r.detections, ms, cropMs, ...crops, ...(r.timing.tracked ? { tracked: true } : {}) } : { frame: i, file: images[i], boxes: r.detections, ms, cropMs, ...crops });
      }
      const code = await closed;
      if (o.signal?.aborted) throw new KslError('CANCELLED', 'Cancelled.');
      if (code !== 0 && !(o.maxFrames && detections.length >= o.maxFrames)) throw new KslError('FAILED', `Decoding ${source} failed: ${ffmpegReason(stderr)}`);
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (detections.length === 0) throw new KslError('FAILED', `No frames decoded from ${source}: ${ffmpegReason(stderr)}`);
    const sorted = [...latency].sort((a, b) => a - b);
    const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const summary = (xs: number[]) => {
      const ordered = [...xs].sort((a, b) => a - b);
      return xs.length ? { frames: xs.length, p50: r2(percentile(ordered, 50)), p95: r2(percentile(ordered, 95)) } : { frames: 0, p50: 0, p95: 0 };
    };
    return {
      model: path.resolve(modelFile),
      format: info.format,
      input: info.input,
      source: { ...(o.video ? { video: path.resolve(o.video) } : { images: path.resolve(o.images!) }), width: probe?.width ?? null, height: probe?.height ?? null, fps },
      settings,
      threads: info.threads,
      graphOptimizationLevel: info.graphOptimizationLevel,
      secondStage: info.secondStage,
      fit,
      frames: detections.length,
      fps: r2(detections.length / seconds),
      seconds: r2(seconds),
      latencyMs: { p50: r2(percentile(sorted, 50)), p95: r2(percentile(sorted, 95)), mean: r2(sorted.reduce((a, b) => a + b, 0) / sorted.length), max: r2(sorted[sorted.length - 1]!) },
      cpuMsPerFrame: r2((cpu.user + cpu.system) / 1000 / Math.max(1, detections.length)),
      breakdownMs: { decodeWait: r2(med(waits)), preprocess: r2(med(pre)), inference: r2(inf.length ? med(inf) : 0), nms: r2(med(nms)), crop: r2(med(crop)) },
      tracking: {
        redetectEvery: track ? redetectEvery : 1,
        trackedFrames: tracked.length,
        latencyMs: {
          detector: summary(detectorFrames),
          tracked: summary(tracked),
        },
      },
      detections,
    };
  } finally {
    await service.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
