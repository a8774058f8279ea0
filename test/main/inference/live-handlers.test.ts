/**
 * live.models / live.load / live.detect over the in-memory transport (the same host and JSON wire as the
 * WebSocket door) on a real trained run: exported on first load, run in the inference worker with
 * onnxruntime-node, thresholded and suppressed. Also the errors a Live screen has to show.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../../src-shared/api';
import { openProject } from '../../../src-main/services/catalog/project';
import { openDetector } from '../../../src-main/services/inference/detector';
import { liveRedetect, liveThreads } from '../../../src-main/services/live-handlers';
import { memoryApi } from '../../helpers/memory-transport';
import { BT601_LIMITED, i420Length, i420ToRgbInto } from '../../../src-shared/yuv';
import { trainedProject } from './trained-project';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

/** A project frame decoded by ffmpeg to raw RGB at w×h (what a camera or the CLI would hand over). */
function rgbOf(file: string, w: number, h: number): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-vf', `scale=${w}:${h}:flags=bilinear,format=rgb24`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 << 20 });
}

describe('live.models, live.load and live.detect', () => {
  let root: string;
  let projectDir: string;
  let runId: string;
  let api: Api;
  let wire: ReturnType<typeof memoryApi>['wire'];
  let frameFile: string;
  let frameSize: { w: number; h: number };
  beforeAll(async () => {
    // The detector alone: these tests pin its own threshold/NMS/max and resize path (the second stage has
    // its own tests in second-stage.test.ts, and runs in the end-to-end Live test).
    ({ root, projectDir, runId } = await trainedProject('ksl-live-', { secondStage: false }));
    const m = memoryApi({ door: 'web', servedDir: projectDir });
    m.services.open(projectDir);
    api = m.api;
    wire = m.wire;
    const p = m.services.current()!.project;
    const f = p.db.prepare('SELECT file, width, height FROM frames ORDER BY id LIMIT 1').get() as { file: string; width: number; height: number };
    frameFile = path.join(projectDir, f.file);
    frameSize = { w: f.width, h: f.height };
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists the trained run, exports it on first load, and describes it', async () => {
    const models = value(await api.invoke('live.models', {}));
    const run = models.find((m) => m.id === `run:${runId}`);
    expect(run).toMatchObject({ source: 'run', ready: false, format: 'ksl' });
    expect(run!.classes!.map((c) => c.id)).toEqual([1, 2]);
    // Display names are the words as the catalog holds them (NFC).
    const p = openProject(projectDir);
    try {
      const texts = (p.db.prepare('SELECT text FROM words').pluck().all() as string[]).map((t) => t.normalize('NFC'));
      expect(run!.classes!.every((c) => texts.includes(c.name))).toBe(true);
    } finally {
      p.close();
    }

    // The first load exports the run (about a second of graph conversion) in the worker, not on this thread.
    const e0 = performance.eventLoopUtilization();
    const l0 = performance.now();
    const info = value(await api.invoke('live.load', { modelId: `run:${runId}` }));
    const loadMs = performance.now() - l0;
    expect(performance.eventLoopUtilization(e0).active).toBeLessThan(0.5 * loadMs);
    expect(existsSync(path.join(projectDir, 'runs', runId, 'model.onnx'))).toBe(true);
    expect(existsSync(path.join(projectDir, 'runs', runId, 'label_map.pbtxt'))).toBe(true);
    // The input is the run's own (the training preset decides it, and it need not be square).
    expect(info).toMatchObject({ id: `run:${runId}`, ready: true, format: 'ksl', input: { dtype: 'float32', layout: 'NHWC' } });
    expect(info.input!.width).toBeGreaterThanOrEqual(64);
    expect(info.input!.height).toBeGreaterThanOrEqual(64);
    expect(info.classes).toEqual(run!.classes);
    expect(value(await api.invoke('live.models', {})).find((m) => m.id === `run:${runId}`)!.ready).toBe(true);
  }, 120_000);

  it('detects on a camera-sized frame with the threshold, NMS and max applied, like the training decode path', async () => {
    const { w, h } = frameSize;
    const rgb = rgbOf(frameFile, w, h);
    const modelId = `run:${runId}`;
    const all = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: rgb.toString('base64'), settings: { threshold: 0, iou: 0.6, maxDetections: 5 } }));
    expect(all.width).toBe(w);
    expect(all.detections).toHaveLength(5);
    for (const d of all.detections) {
      expect([1, 2]).toContain(d.classId);
      expect(d.box.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(d.box[2]).toBeGreaterThanOrEqual(d.box[0]);
    }
    const scores = all.detections.map((d) => d.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(all.timing.totalMs).toBeGreaterThan(0);
    expect(all.timing.inferenceMs).toBeGreaterThan(0);

    // The same RGB frame stretched to the model's input by ffmpeg's bilinear scale (the filter training and
    // evaluation decode with) and run in this thread: the service's own resize must give the same detections.
    const ref = await openDetector(path.join(projectDir, 'runs', runId, 'model.onnx'));
    try {
      const { width: iw, height: ih } = ref.info.input;
      const scaled = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-i', 'pipe:0', '-vf', `scale=${iw}:${ih}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { input: rgb });
      const r = await ref.detect(new Uint8Array(scaled), iw, ih, { threshold: 0, maxDetections: 5 });
      // Near-equal scores may swap places; the best detection and the score curve must agree.
      const [a, b] = [r.detections[0]!, all.detections[0]!];
      expect(b.classId).toBe(a.classId);
      expect(Math.abs(a.score - b.score)).toBeLessThan(0.02);
      for (let k = 0; k < 4; k++) expect(Math.abs(a.box[k]! - b.box[k]!)).toBeLessThan(0.01);
      for (const [i, d] of r.detections.entries()) expect(Math.abs(d.score - all.detections[i]!.score)).toBeLessThan(0.02);
    } finally {
      await ref.close();
    }

    // A threshold above every score leaves nothing; a max of 2 keeps the best 2.
    const top = scores[0]!;
    const none = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: rgb.toString('base64'), settings: { threshold: Math.min(1, top + 1e-3), iou: 0.6, maxDetections: 5 } }));
    expect(none.detections).toEqual([]);
    const two = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: rgb.toString('base64'), settings: { threshold: 0, iou: 0.6, maxDetections: 2 } }));
    expect(two.detections).toEqual(all.detections.slice(0, 2));
    // Defaults (the notebook's 0.6 / 0.6 / 5) when no settings are sent.
    const defaults = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: rgb.toString('base64') }));
    expect(defaults.detections).toEqual(all.detections.filter((d) => d.score >= 0.6));

    // The same frame as raw bytes (what the Live page sends: a binary message on the wire, ~3/4 of the
    // base64 JSON's size): the same answer.
    const before = { ...wire };
    const bin = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: new Uint8Array(rgb), settings: { threshold: 0, iou: 0.6, maxDetections: 5 } }));
    expect(wire.binary).toBe(before.binary + 1);
    expect(wire.bytes - before.bytes).toBeLessThan(w * h * 3 + 400);
    expect(bin.detections).toEqual(all.detections);

    // As the camera's I420 planes (half the bytes on the wire): converted in the service, the same answer
    // as the RGB our own conversion gives (src-shared/yuv.ts).
    const yuv = new Uint8Array(execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { input: rgb, maxBuffer: 64 << 20 }));
    const settings = { threshold: 0, iou: 0.6, maxDetections: 5 };
    const b1 = { ...wire };
    const viaI420 = value(await api.invoke('live.detect', { modelId, width: w, height: h, i420: yuv, settings }));
    expect(wire.binary).toBe(b1.binary + 1);
    expect(wire.bytes - b1.bytes).toBeLessThan(i420Length(w, h) + 400);
    const asRgb = i420ToRgbInto(yuv, w, h, BT601_LIMITED, new Uint8Array(w * h * 3));
    const viaRgb = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: asRgb, settings }));
    expect(viaI420.detections).toEqual(viaRgb.detections);
    expect(viaI420.detections.length).toBeGreaterThan(0);

    // A model without a second stage never follows hands: no answer names a region for the next frame,
    // and a frame sent as a region anyway is answered `incomplete` (nothing detected; send the next whole).
    expect(viaI420.next).toBeUndefined();
    const part = value(await api.invoke('live.detect', { modelId, width: w, height: h, i420: new Uint8Array(i420Length(8, 8)).fill(128), region: { x: 0, y: 0, width: 8, height: 8 }, settings }));
    expect(part).toMatchObject({ detections: [], incomplete: true, width: w, height: h });
  }, 60_000);

  it('keeps the event loop free: scaling, inference and NMS happen in the worker thread', async () => {
    const modelId = `run:${runId}`;
    const [w, h] = [1280, 720];
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 31) & 255;
    const b64 = rgb.toString('base64');
    value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: b64 }));
    // Baseline: the same 3.7 MB payload through the transport (JSON, validation, base64) but refused before
    // any model work (one row short).
    const b0 = performance.eventLoopUtilization();
    for (let i = 0; i < 5; i++) expect((await api.invoke('live.detect', { modelId, width: w, height: h - 1, rgb: b64 })).ok).toBe(false);
    const transport = performance.eventLoopUtilization(b0).active;
    const elu0 = performance.eventLoopUtilization();
    let work = 0;
    for (let i = 0; i < 5; i++) {
      const r = value(await api.invoke('live.detect', { modelId, width: w, height: h, rgb: b64 }));
      work += r.timing.preprocessMs + r.timing.inferenceMs + r.timing.nmsMs;
    }
    const active = performance.eventLoopUtilization(elu0).active;
    // Beyond moving the bytes, this thread was busy for a small part of the model's work (scaling 1280×720,
    // inference, NMS). Were the model run here, the difference would be at least `work`.
    console.log(`event loop: ${active.toFixed(0)} ms active, transport alone ${transport.toFixed(0)} ms, worker work ${work.toFixed(0)} ms`);
    expect(work).toBeGreaterThan(0);
    expect(active - transport).toBeLessThan(0.4 * work);
  }, 60_000);

  it('says clearly when the frame bytes do not match its size, or the model is not there', async () => {
    const modelId = `run:${runId}`;
    const short = await api.invoke('live.detect', { modelId, width: 64, height: 48, rgb: Buffer.alloc(64 * 48 * 4).toString('base64') });
    expect(short.ok).toBe(false);
    if (!short.ok) {
      expect(short.error.code).toBe('INVALID');
      expect(short.error.message).toContain('12288 bytes');
      expect(short.error.message).toContain('9216');
      expect(short.error.message).toMatch(/width × height × 3/);
    }
    // The same for raw bytes (a binary message): refused by the schema before any model work.
    const shortBin = await api.invoke('live.detect', { modelId, width: 64, height: 48, rgb: new Uint8Array(64 * 48 * 4) });
    expect(shortBin).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    if (!shortBin.ok) expect(shortBin.error.message).toMatch(/^live\.detect: rgb: 12288 bytes, but a 64×48 frame needs 9216 \(width × height × 3/);
    // The stream id is a short plain token, checked like every argument.
    const rgb = new Uint8Array(64 * 48 * 3);
    for (const stream of ['', '../x', 'a'.repeat(65), 'kiosk 1']) {
      const bad = await api.invoke('live.detect', { modelId, width: 64, height: 48, rgb, stream });
      expect(bad, stream).toMatchObject({ ok: false, error: { code: 'INVALID' } });
      if (!bad.ok) expect(bad.error.message).toMatch(/stream/);
    }
    expect(value(await api.invoke('live.detect', { modelId, width: 64, height: 48, rgb, stream: 'kiosk-1' })).width).toBe(64);
    expect(await api.invoke('live.load', { modelId: 'run:no-such-run' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await api.invoke('live.load', { modelId: 'file:../../etc/model.onnx' })).toMatchObject({ ok: false, error: { code: 'OUTSIDE_PROJECT' } });
    // A symlink under models/ that points out of the project is neither listed nor loadable.
    const outside = path.join(root, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'x.onnx'), 'not a model');
    writeFileSync(path.join(outside, 'label_map.pbtxt'), "item { id: 1 name: 'a' }\n");
    mkdirSync(path.join(projectDir, 'models'), { recursive: true });
    symlinkSync(outside, path.join(projectDir, 'models', 'elsewhere'));
    expect(value(await api.invoke('live.models', {})).some((m) => m.id.includes('elsewhere'))).toBe(false);
    expect(await api.invoke('live.load', { modelId: 'file:models/elsewhere/x.onnx' })).toMatchObject({ ok: false, error: { code: 'OUTSIDE_PROJECT' } });
    // Not an ONNX file at all: named in the error.
    writeFileSync(path.join(projectDir, 'models', 'broken.onnx'), 'not a model');
    writeFileSync(path.join(projectDir, 'models', 'label_map.pbtxt'), "item { id: 1 name: 'a' }\n");
    const broken = await api.invoke('live.load', { modelId: 'file:models/broken.onnx' });
    expect(broken).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    if (!broken.ok) expect(broken.error.message).toContain('broken.onnx');
  }, 60_000);
});

describe('live model settings from the environment', () => {
  it('KSL_LIVE_THREADS and KSL_LIVE_REDETECT take whole numbers in range, else their defaults (2 threads, 1 on one core; 30)', () => {
    expect(liveThreads({}, 2)).toBe(2);
    expect(liveThreads({}, 16)).toBe(2);
    expect(liveThreads({}, 1)).toBe(1);
    expect(liveThreads({ KSL_LIVE_THREADS: '1' }, 16)).toBe(1);
    expect(liveThreads({ KSL_LIVE_THREADS: '4' }, 2)).toBe(4);
    expect(liveThreads({ KSL_LIVE_THREADS: '0' }, 2)).toBe(2);
    expect(liveRedetect({})).toBe(30);
    expect(liveRedetect({ KSL_LIVE_REDETECT: '1' })).toBe(1);
    expect(liveRedetect({ KSL_LIVE_REDETECT: '12' })).toBe(12);
    expect(liveRedetect({ KSL_LIVE_REDETECT: '300' })).toBe(300);
    for (const bad of ['0', '301', '2.5', 'often', '']) expect(liveRedetect({ KSL_LIVE_REDETECT: bad })).toBe(30);
  });
});
