/**
 * The live loop: exactly one frame in flight. Each new camera frame is sent only when no request is
 * pending; frames that arrive meanwhile are dropped (counted), never queued. When the answer comes
 * and a newer camera frame has already arrived, that newest frame goes at once, so latency is one
 * round trip and not one round trip plus a wait for the next frame.
 * (As in tfjs-examples' webcam-transfer-learning: one prediction at a time.)
 */
import type { Api } from '../../src-shared/api';
import type { LiveDetectResult, LiveSettings } from '../../src-shared/api-live';
import type { GrabbedFrame } from './frame-grab';

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
  /** Round trip (grab + encode + send + service + answer), ms: last and median of the last 30. */
  roundTripMs: number;
  roundTripP50: number;
  /** The service's own timing of the last answer. */
  service: LiveDetectResult['timing'] | null;
  /** Grab + base64 of the last frame, ms. */
  grabMs: number;
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
  grab: (video: HTMLVideoElement) => GrabbedFrame | null;
  /** Read at each send, so threshold changes apply to the next frame. Null pauses sending. */
  target: () => LoopTarget | null;
  onResult: (r: LiveDetectResult, at: number) => void;
  onError: (message: string) => void;
}

export function emptyStats(): LoopStats {
  return { sent: 0, answered: 0, failed: 0, dropped: 0, inFlight: 0, maxInFlight: 0, fps: 0, roundTripMs: 0, roundTripP50: 0, service: null, grabMs: 0, width: 0, height: 0 };
}

type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

export class DetectLoop {
  readonly stats: LoopStats = emptyStats();
  private running = false;
  private pendingFrame = false;
  private handle: number | null = null;
  private usesRvfc: boolean;
  private answeredAt: number[] = [];
  private trips: number[] = [];

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
    if (this.stats.inFlight > 0) {
      if (!this.pendingFrame) this.pendingFrame = true;
      else this.stats.dropped++; // a newer frame replaces the one waiting: never a queue
      return;
    }
    this.send();
  }

  private send(): void {
    const target = this.o.target();
    if (!target) return;
    const t0 = performance.now();
    const frame = this.o.grab(this.o.video);
    if (!frame) return;
    const t1 = performance.now();
    this.pendingFrame = false;
    this.stats.grabMs = t1 - t0;
    this.stats.width = frame.width;
    this.stats.height = frame.height;
    this.stats.sent++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    void this.o.api
      .invoke('live.detect', { modelId: target.modelId, width: frame.width, height: frame.height, rgb: frame.rgb, settings: target.settings })
      .then(
        (r) => {
          const at = performance.now();
          this.stats.inFlight--;
          if (r.ok) {
            this.stats.answered++;
            this.record(at, at - t0);
            this.stats.service = r.value.timing;
            if (this.running) this.o.onResult(r.value, at);
          } else {
            this.stats.failed++;
            if (this.running) this.o.onError(`${r.error.code}: ${r.error.message}`);
          }
        },
        (e: unknown) => {
          this.stats.inFlight--;
          this.stats.failed++;
          if (this.running) this.o.onError(String(e));
        },
      )
      .finally(() => {
        // a camera frame arrived while we waited: send the newest one now
        if (this.running && this.pendingFrame && this.stats.inFlight === 0) this.send();
      });
  }

  private record(at: number, trip: number): void {
    this.answeredAt.push(at);
    while (this.answeredAt.length && this.answeredAt[0]! < at - 2000) this.answeredAt.shift();
    const span = at - this.answeredAt[0]!;
    this.stats.fps = this.answeredAt.length > 1 && span > 0 ? ((this.answeredAt.length - 1) * 1000) / span : 0;
    this.trips.push(trip);
    if (this.trips.length > 30) this.trips.shift();
    this.stats.roundTripMs = trip;
    const sorted = [...this.trips].sort((a, b) => a - b);
    this.stats.roundTripP50 = sorted[Math.floor(sorted.length / 2)]!;
  }
}
