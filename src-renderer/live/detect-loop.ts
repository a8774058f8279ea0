/**
 * The live loop: exactly one frame in flight. A camera frame is sent at once when no request is
 * pending; while one is, the newest camera frame waits — a newer one replaces it (the replaced one
 * is counted as dropped), nothing is ever queued — and goes the moment the answer comes.
 * (As in tfjs-examples' webcam-transfer-learning: one prediction at a time.)
 *
 * Pipelined: the waiting frame is grabbed (canvas → RGB) while the current one is in flight, so that
 * the grab is not on the critical path after the answer. To spend no CPU on grabs that a newer frame
 * would replace (on a 2-core machine that CPU is the model's), a frame is grabbed ahead only when the
 * answer is expected before the next camera frame; otherwise the waiting frame is only marked, and
 * grabbed when the answer comes.
 *
 * While the service follows the stream's hands, each answer names the part of the next frame it will
 * read (`next`: a hand or two). The next frame is then grabbed after that answer, and only that part is
 * sent (one hand close to a 640×360 camera: ~100×100 pixels, 4% of the bytes) instead of being grabbed
 * ahead whole.
 */
import type { Api } from '../../src-shared/api';
import type { LiveDetectResult, LiveSettings } from '../../src-shared/api-live';
import type { GrabbedFrame, RegionHint } from './frame-grab';

export interface LoopStats {
  sent: number;
  answered: number;
  failed: number;
  /** Camera frames skipped because a request was pending. */
  dropped: number;
  inFlight: number;
  maxInFlight: number;
  /** Answered frames per second over the last ~2 s. */
  fps: number;
  /** Round trip (grab + send + service + answer, without the time a grabbed frame waited), ms: last and median of the last 30. */
  roundTripMs: number;
  roundTripP50: number;
  /** 95th percentile of the round trip over the last P95_WINDOW answers (~10 s at 30 fps), ms. */
  roundTripP95: number;
  /** The service's own timing of the last answer. */
  service: LiveDetectResult['timing'] | null;
  /** Canvas grab + RGB conversion of the last frame, ms. */
  grabMs: number;
  /** Frames grabbed while another was in flight (sent the moment the answer came, or replaced). */
  prefetched: number;
  /** Frames sent as only the part the service named (`next`: the followed hands). */
  regionFrames: number;
  /** Answers that found a region frame was not enough (the service wanted the whole picture): nothing shown for them. */
  incomplete: number;
  /** How the host reads camera frames ('video-frame': WebCodecs copyTo; 'canvas'); filled by the session. */
  grabMethod: string;
  width: number;
  height: number;
}

export interface LoopTarget {
  modelId: string;
  settings: LiveSettings;
}

export interface DetectLoopOptions {
  api: Api;
  video: HTMLVideoElement;
  /**
   * `keep` is the frame in flight: its bytes must not be overwritten. `region`: the part of the frame the
   * service asked for, which the grabber may send instead of the whole frame. May answer later
   * (WebCodecs' copyTo is async).
   */
  grab: (video: HTMLVideoElement, keep: GrabbedFrame | null, region: RegionHint | null) => GrabbedFrame | null | Promise<GrabbedFrame | null>;
  /** Whether to send only the part of a frame the service names (default true; false sends every frame whole). */
  regions?: boolean;
  /** Read at each send, so threshold changes apply to the next frame. Null pauses sending. */
  target: () => LoopTarget | null;
  onResult: (r: LiveDetectResult, at: number) => void;
  onError: (message: string) => void;
}

export function emptyStats(): LoopStats {
  return { sent: 0, answered: 0, failed: 0, dropped: 0, inFlight: 0, maxInFlight: 0, fps: 0, roundTripMs: 0, roundTripP50: 0, roundTripP95: 0, service: null, grabMs: 0, prefetched: 0, regionFrames: 0, incomplete: 0, grabMethod: '', width: 0, height: 0 };
}

type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

interface Grabbed {
  frame: GrabbedFrame;
  grabMs: number;
}

export class DetectLoop {
  readonly stats: LoopStats = emptyStats();
  private running = false;
  /** The frame in flight and when it was sent. */
  private current: { frame: GrabbedFrame; sentAt: number } | null = null;
  /** A camera frame newer than the one in flight: grabbed ahead, or only marked (`stale`). */
  private waiting: Grabbed | null = null;
  /** A camera frame newer than `waiting` (or than the frame in flight) has not been grabbed. */
  private stale = false;
  /** A grab is under way (at most one at a time). */
  private grabbing = false;
  private cameraSeq = 0;
  private handle: number | null = null;
  private usesRvfc: boolean;
  private answeredAt: number[] = [];
  private trips: number[] = [];
  /** Send → answer of recent frames (ms), to predict when the one in flight will be answered. */
  private serviceTrips: number[] = [];
  /** Round trips of the last P95_WINDOW answers, for the p95. */
  private longTrips: number[] = [];
  private lastCameraAt = 0;
  private cameraIntervalMs = 0;
  /** The last answer's `next` region, for the next frame only; null when the next frame goes whole. */
  private hint: RegionHint | null = null;
  /** This loop's camera stream: the service follows hands from frame to frame within it. */
  private readonly stream = `live-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private o: DetectLoopOptions) {
    this.usesRvfc = typeof (o.video as VideoWithRvfc).requestVideoFrameCallback === 'function';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.waiting = null;
    this.stale = false;
    const v = this.o.video as VideoWithRvfc;
    if (this.handle !== null) {
      if (this.usesRvfc) v.cancelVideoFrameCallback?.(this.handle);
      else cancelAnimationFrame(this.handle);
    }
    this.handle = null;
  }

  private schedule(): void {
    if (!this.running) return;
    const v = this.o.video as VideoWithRvfc;
    // requestVideoFrameCallback fires once per new camera frame; rAF (older engines) once per paint.
    this.handle = this.usesRvfc ? v.requestVideoFrameCallback!(() => this.onCameraFrame()) : requestAnimationFrame(() => this.onCameraFrame());
  }

  private onCameraFrame(): void {
    this.schedule();
    const now = performance.now();
    if (this.lastCameraAt > 0) {
      const gap = now - this.lastCameraAt;
      this.cameraIntervalMs = this.cameraIntervalMs === 0 ? gap : 0.8 * this.cameraIntervalMs + 0.2 * gap;
    }
    this.lastCameraAt = now;
    this.cameraSeq++;
    if (!this.o.target()) return; // no model yet: grab nothing
    if (!this.current && !this.grabbing) {
      this.stale = true;
      this.startGrab();
      return;
    }
    // a newer frame replaces the one waiting: never a queue
    if (this.waiting || this.stale) this.stats.dropped++;
    this.waiting = null;
    this.stale = true;
    // Once frames go as regions, nothing is grabbed ahead: the part to send is known only from the answer
    // (and a grab is then a fraction of a millisecond).
    if (this.current && !this.grabbing && !(this.o.regions !== false && this.stats.regionFrames > 0) && this.answerDueBeforeNextFrame(now)) {
      this.stats.prefetched++;
      this.startGrab();
    }
  }

  /** Whether the frame in flight is expected to be answered before the next camera frame arrives. */
  private answerDueBeforeNextFrame(now: number): boolean {
    if (this.serviceTrips.length < 3 || this.cameraIntervalMs === 0) return true;
    const expected = median(this.serviceTrips);
    const remaining = expected - (now - this.current!.sentAt);
    return remaining <= this.cameraIntervalMs;
  }

  /** Grabs the newest camera frame into `waiting` (synchronously when the grabber is), then sends if it can. */
  private startGrab(): void {
    const seq = this.cameraSeq;
    const t0 = performance.now();
    const done = (frame: GrabbedFrame | null) => {
      this.grabbing = false;
      if (!frame) {
        this.stale = false; // no picture yet (the video is still starting): wait for the next camera frame
        return;
      }
      this.waiting = { frame, grabMs: performance.now() - t0 };
      // a camera frame that came during an async grab is newer than what was grabbed
      this.stale = seq !== this.cameraSeq;
      this.trySend();
    };
    this.grabbing = true;
    let r: ReturnType<DetectLoopOptions['grab']>;
    try {
      r = this.o.grab(this.o.video, this.current?.frame ?? null, this.current ? null : this.hint);
    } catch (e) {
      this.grabbing = false;
      if (this.running) this.o.onError(`Reading the camera frame failed: ${String(e)}`);
      return;
    }
    if (r instanceof Promise) {
      r.then(done, (e: unknown) => {
        this.grabbing = false;
        if (this.running) this.o.onError(`Reading the camera frame failed: ${String(e)}`);
      });
    } else done(r);
  }

  /** Sends the waiting frame when nothing is in flight; a newer camera frame than it is grabbed first. */
  private trySend(): void {
    if (!this.running || this.current || this.grabbing) return;
    if (this.stale) {
      this.startGrab();
      return;
    }
    const g = this.waiting;
    this.waiting = null;
    if (g) this.send(g);
  }

  private send(g: Grabbed): void {
    const target = this.o.target();
    if (!target) return;
    const { frame, grabMs } = g;
    const sentAt = performance.now();
    this.current = { frame, sentAt };
    // A hint is for the frame after the answer that gave it, and only that one.
    this.hint = null;
    if (frame.region) this.stats.regionFrames++;
    this.stats.grabMs = grabMs;
    this.stats.width = frame.width;
    this.stats.height = frame.height;
    this.stats.sent++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    void this.o.api
      .invoke('live.detect', {
        modelId: target.modelId,
        width: frame.width,
        height: frame.height,
        // the camera's I420 planes (converted by the service), or RGB
        ...(frame.i420 && frame.rgb instanceof Uint8Array ? { i420: frame.rgb, colour: frame.i420 } : { rgb: frame.rgb }),
        ...(frame.region ? { region: frame.region } : {}),
        settings: target.settings,
        stream: this.stream,
      })
      .then(
        (r) => {
          const at = performance.now();
          this.stats.inFlight--;
          this.current = null;
          const next = r.ok && this.o.regions !== false ? r.value.next : undefined;
          this.hint = next ? { ...next, frameWidth: frame.width, frameHeight: frame.height } : null;
          if (r.ok && r.value.incomplete) {
            // The service wanted the whole picture after all: the next frame goes whole; nothing to show.
            this.stats.incomplete++;
          } else if (r.ok) {
            this.stats.answered++;
            this.record(at, at - sentAt, grabMs);
            this.stats.service = r.value.timing;
            if (this.running) this.o.onResult(r.value, at);
          } else {
            this.stats.failed++;
            if (this.running) this.o.onError(`${r.error.code}: ${r.error.message}`);
          }
        },
        (e: unknown) => {
          this.stats.inFlight--;
          this.current = null;
          this.stats.failed++;
          if (this.running) this.o.onError(String(e));
        },
      )
      // a camera frame arrived while we waited: send it now (already grabbed, or grabbed now)
      .finally(() => this.trySend());
  }

  private record(at: number, sendToAnswer: number, grabMs: number): void {
    this.answeredAt.push(at);
    while (this.answeredAt.length && this.answeredAt[0]! < at - 2000) this.answeredAt.shift();
    const span = at - this.answeredAt[0]!;
    this.stats.fps = this.answeredAt.length > 1 && span > 0 ? ((this.answeredAt.length - 1) * 1000) / span : 0;
    const trip = grabMs + sendToAnswer;
    this.trips.push(trip);
    if (this.trips.length > 30) this.trips.shift();
    this.serviceTrips.push(sendToAnswer);
    if (this.serviceTrips.length > 30) this.serviceTrips.shift();
    this.stats.roundTripMs = trip;
    this.stats.roundTripP50 = median(this.trips);
    this.longTrips.push(trip);
    if (this.longTrips.length > P95_WINDOW) this.longTrips.shift();
    this.stats.roundTripP95 = quantile(this.longTrips, 0.95);
  }
}

/** Answers the round trip's p95 is taken over. */
const P95_WINDOW = 300;

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
