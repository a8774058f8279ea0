/**
 * The live loop against a fake camera and a fake service whose answers the test releases by hand:
 * never more than one request in flight, frames that arrive meanwhile are dropped (the newest one
 * is sent as soon as the answer comes), nothing is queued; the waiting frame is grabbed ahead only
 * when the answer is due before the next camera frame.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../../../src-shared/api';
import type { LiveDetectResult } from '../../../src-shared/api-live';
import type { Result } from '../../../src-shared/result';
import { DetectLoop } from '../../../src-renderer/live/detect-loop';

function fakeCamera() {
  let cbs: (() => void)[] = [];
  let frame = 0;
  const video = {
    requestVideoFrameCallback(cb: () => void) {
      cbs.push(cb);
      return cbs.length;
    },
    cancelVideoFrameCallback() {
      cbs = [];
    },
  };
  return {
    video: video as unknown as HTMLVideoElement,
    /** A new camera frame arrives. */
    tick() {
      frame++;
      const run = cbs;
      cbs = [];
      for (const cb of run) cb();
    },
    get frame() {
      return frame;
    },
  };
}

function fakeService() {
  const pending: { args: { width: number; rgb: string | Uint8Array; region?: unknown }; resolve: (r: Result<LiveDetectResult>) => void }[] = [];
  const api = {
    invoke: (name: string, args: { width: number; rgb: string | Uint8Array }) => {
      expect(name).toBe('live.detect');
      return new Promise((resolve) => pending.push({ args, resolve }));
    },
    on: () => () => {},
  } as unknown as Api;
  const answer = async (extra: Partial<LiveDetectResult> = {}) => {
    const p = pending.shift()!;
    p.resolve({ ok: true, value: { detections: [{ classId: 1, label: '안녕하세요', score: 0.9, box: [0, 0, 1, 1] }], width: 8, height: 8, timing: { preprocessMs: 1, inferenceMs: 2, nmsMs: 0, totalMs: 3 }, ...extra } });
    await new Promise((r) => setTimeout(r, 0));
  };
  return { api, pending, answer };
}

describe('detect loop', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps exactly one frame in flight and sends the newest frame when the answer comes', async () => {
    const cam = fakeCamera();
    const svc = fakeService();
    const results: number[] = [];
    const loop = new DetectLoop({
      api: svc.api,
      video: cam.video,
      grab: () => ({ width: 8, height: 8, rgb: `frame-${cam.frame}` }),
      target: () => ({ modelId: 'run:x', settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } }),
      onResult: (r) => results.push(r.detections.length),
      onError: (m) => {
        throw new Error(m);
      },
    });
    loop.start();
    cam.tick(); // frame 1 → sent
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-1']);
    cam.tick(); // frame 2 waits (replaces nothing)
    cam.tick(); // frame 3 replaces frame 2: one dropped
    cam.tick(); // frame 4 replaces frame 3
    expect(svc.pending).toHaveLength(1);
    expect(loop.stats).toMatchObject({ sent: 1, inFlight: 1, dropped: 2 });
    await svc.answer(); // answer → the newest frame (4) goes at once
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-4']);
    expect(loop.stats).toMatchObject({ sent: 2, answered: 1, inFlight: 1, maxInFlight: 1 });
    await svc.answer(); // nothing new arrived: nothing is sent until the next camera frame
    expect(svc.pending).toHaveLength(0);
    expect(loop.stats.inFlight).toBe(0);
    cam.tick();
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-5']);
    for (let i = 0; i < 50; i++) cam.tick();
    expect(svc.pending).toHaveLength(1);
    await svc.answer();
    expect(loop.stats.maxInFlight).toBe(1);
    expect(results).toEqual([1, 1, 1]);
    expect(loop.stats.service?.totalMs).toBe(3);
    loop.stop();
    await svc.answer();
    cam.tick();
    expect(svc.pending).toHaveLength(0); // stopped: nothing more is sent
  });

  it('reports the round trip\'s median of the last 30 answers and its 95th percentile of the last 300', async () => {
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const cam = fakeCamera();
    const svc = fakeService();
    const loop = new DetectLoop({
      api: svc.api,
      video: cam.video,
      grab: () => ({ width: 8, height: 8, rgb: 'x' }),
      target: () => ({ modelId: 'run:x', settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } }),
      onResult: () => {},
      onError: (m) => {
        throw new Error(m);
      },
    });
    loop.start();
    // 40 answers: 10 ms each, but 3 of 100 ms (a detector's frame, say)
    for (let k = 0; k < 40; k++) {
      clock += 50;
      cam.tick();
      clock += k % 13 === 12 ? 100 : 10;
      await svc.answer();
    }
    expect(loop.stats.answered).toBe(40);
    expect(loop.stats.roundTripP50).toBe(10);
    expect(loop.stats.roundTripP95).toBe(100);
    loop.stop();
  });
  it('sends nothing while no model is ready', () => {
    const cam = fakeCamera();
    const svc = fakeService();
    const loop = new DetectLoop({ api: svc.api, video: cam.video, grab: () => ({ width: 8, height: 8, rgb: 'x' }), target: () => null, onResult: () => {}, onError: () => {} });
    loop.start();
    cam.tick();
    cam.tick();
    expect(svc.pending).toHaveLength(0);
    expect(loop.stats.sent).toBe(0);
    loop.stop();
  });
  it('grabs the waiting frame ahead only when the answer is due before the next camera frame, and sends it without grabbing again', async () => {
    let clock = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const cam = fakeCamera();
    const svc = fakeService();
    const grabs: { frame: number; keep: string | null }[] = [];
    const loop = new DetectLoop({
      api: svc.api,
      video: cam.video,
      grab: (_v, keep) => {
        grabs.push({ frame: cam.frame, keep: keep ? String(keep.rgb) : null });
        return { width: 8, height: 8, rgb: `frame-${cam.frame}` };
      },
      target: () => ({ modelId: 'run:x', settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } }),
      onResult: () => {},
      onError: (m) => {
        throw new Error(m);
      },
    });
    loop.start();
    // History: a camera frame every 33 ms; each frame answered 100 ms after it was sent.
    cam.tick();
    for (let k = 1; k <= 12; k++) {
      clock += 100 / 3;
      cam.tick();
      if (k % 3 === 0) await svc.answer(); // …and the frame that arrived with it goes at once
    }
    expect(loop.stats).toMatchObject({ answered: 4, inFlight: 1, maxInFlight: 1 });
    const sentAt = clock; // frame 13 in flight
    const before = { ...loop.stats };
    const n = grabs.length;
    clock = sentAt + 33;
    cam.tick(); // frame 14: the answer is 67 ms away, two camera frames: only marked, not grabbed
    expect(grabs.length).toBe(n);
    clock = sentAt + 70;
    cam.tick(); // frame 15: due within a frame → grabbed now, replacing the mark (one dropped)
    expect(grabs.length).toBe(n + 1);
    expect(grabs.at(-1)).toEqual({ frame: 15, keep: 'frame-13' }); // the frame in flight is kept intact
    expect(loop.stats.dropped - before.dropped).toBe(1);
    expect(loop.stats.prefetched - before.prefetched).toBe(1);
    clock = sentAt + 100;
    await svc.answer(); // frame 15 goes at once, no grab after the answer
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-15']);
    expect(grabs.length).toBe(n + 1);
    expect(loop.stats.maxInFlight).toBe(1);

    // When the answer is late and a newer frame came after the one grabbed ahead, the newest is grabbed on the answer.
    const sent2 = clock;
    clock = sent2 + 80;
    cam.tick(); // frame 16: grabbed ahead
    clock = sent2 + 113;
    cam.tick(); // frame 17: overdue → grabbed ahead too, replacing 16
    expect(grabs.slice(-2).map((g) => g.frame)).toEqual([16, 17]);
    expect(loop.stats.dropped - before.dropped).toBe(2);
    clock = sent2 + 120;
    await svc.answer();
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-17']);

    // Only marked (answer far away), then answered: the newest frame is grabbed on the answer.
    const sent3 = clock;
    clock = sent3 + 10;
    cam.tick(); // frame 18: marked
    const m = grabs.length;
    clock = sent3 + 30;
    await svc.answer();
    expect(grabs.length).toBe(m + 1);
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-18']);
    expect(loop.stats.maxInFlight).toBe(1);
    loop.stop();
  });
  it('sends only the region the last answer named, grabbed after that answer; an incomplete answer shows nothing and the next frame goes whole', async () => {
    for (const regions of [true, false]) {
      const cam = fakeCamera();
      const svc = fakeService();
      const grabs: { frame: number; region: unknown }[] = [];
      const results: number[] = [];
      const loop = new DetectLoop({
        api: svc.api,
        video: cam.video,
        grab: (_v, _keep, region) => {
          grabs.push({ frame: cam.frame, region });
          const part = region ? { x: region.x, y: region.y, width: region.width, height: region.height } : undefined;
          return { width: 8, height: 8, rgb: `frame-${cam.frame}`, ...(part ? { region: part } : {}) };
        },
        regions,
        target: () => ({ modelId: 'run:x', settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } }),
        onResult: () => results.push(cam.frame),
        onError: (m) => {
          throw new Error(m);
        },
      });
      const next = { x: 2, y: 2, width: 4, height: 4 };
      loop.start();
      cam.tick(); // frame 1: whole (no answer yet)
      expect(svc.pending.map((p) => p.args.region)).toEqual([undefined]);
      await svc.answer({ next }); // names the part of the next frame it will read
      cam.tick(); // frame 2: grabbed with that region (or whole, with regions off)
      expect(grabs.at(-1)).toEqual({ frame: 2, region: regions ? { ...next, frameWidth: 8, frameHeight: 8 } : null });
      expect(svc.pending.map((p) => p.args.region)).toEqual([regions ? next : undefined]);
      expect(loop.stats.regionFrames).toBe(regions ? 1 : 0);
      // While it is in flight a camera frame comes: with regions, it is not grabbed ahead (the part to send
      // comes with the answer); without, it is.
      const n = grabs.length;
      cam.tick(); // frame 3
      expect(grabs.length).toBe(regions ? n : n + 1);
      await svc.answer({ next: { ...next, x: 4 } }); // frame 3 goes at once, as the new region
      expect(svc.pending.map((p) => [p.args.rgb, p.args.region])).toEqual([['frame-3', regions ? { ...next, x: 4 } : undefined]]);
      // The service wanted the whole picture after all: nothing shown for it, and the next frame goes whole.
      const shown = results.length;
      await svc.answer({ detections: [], incomplete: true });
      expect(results.length).toBe(shown);
      expect(loop.stats.incomplete).toBe(1);
      cam.tick(); // frame 4
      expect(grabs.at(-1)).toEqual({ frame: 4, region: null });
      expect(svc.pending.map((p) => p.args.region)).toEqual([undefined]);
      expect(loop.stats).toMatchObject({ sent: 4, maxInFlight: 1, regionFrames: regions ? 2 : 0 });
      loop.stop();
    }
  });
  it('with an asynchronous grab (WebCodecs copyTo): one grab at a time, one frame in flight, the newest frame sent', async () => {
    const cam = fakeCamera();
    const svc = fakeService();
    const grabs: { frame: number; resolve: () => void }[] = [];
    let ready = false;
    const loop = new DetectLoop({
      api: svc.api,
      video: cam.video,
      grab: () => {
        if (!ready) return null; // the video has no picture yet
        const frame = cam.frame;
        return new Promise((resolve) => grabs.push({ frame, resolve: () => resolve({ width: 8, height: 8, rgb: `frame-${frame}` }) }));
      },
      target: () => ({ modelId: 'run:x', settings: { threshold: 0.5, iou: 0.6, maxDetections: 5 } }),
      onResult: () => {},
      onError: (m) => {
        throw new Error(m);
      },
    });
    const flush = () => new Promise((r) => setTimeout(r, 0));
    loop.start();
    cam.tick(); // no picture: nothing grabbed, nothing sent, no retry loop
    expect(grabs).toHaveLength(0);
    ready = true;
    cam.tick(); // frame 2: grab starts
    cam.tick(); // frame 3 arrives during the grab: no second grab
    expect(grabs.map((g) => g.frame)).toEqual([2]);
    grabs.shift()!.resolve();
    await flush();
    // frame 2 is older than frame 3: frame 3 is grabbed before anything is sent
    expect(svc.pending).toHaveLength(0);
    expect(grabs.map((g) => g.frame)).toEqual([3]);
    grabs.shift()!.resolve();
    await flush();
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-3']);
    cam.tick(); // frame 4 while in flight: grabbed ahead (no history yet)
    expect(grabs.map((g) => g.frame)).toEqual([4]);
    await svc.answer(); // answered while the grab of 4 is still under way: nothing sent yet
    expect(svc.pending).toHaveLength(0);
    grabs.shift()!.resolve();
    await flush();
    expect(svc.pending.map((p) => p.args.rgb)).toEqual(['frame-4']);
    expect(loop.stats.maxInFlight).toBe(1);
    loop.stop();
  });
});
