import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CATALOG_FILE, initProject } from '../../../src-main/services/catalog/project';
import { startServer, type RunningServer } from '../../../src-main/server/web-server';
import { encodeBinaryRequest } from '../../../src-shared/wire';
import { useTmpDir } from '../../helpers/tmp';
import { KSL_BOX_0, tinyKslModel } from '../inference/tiny-models';

function connect(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, msg: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data));
      if (m.t === 'res') {
        ws.off('message', onMessage);
        resolve(m);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof msg === 'string' || msg instanceof Uint8Array ? msg : JSON.stringify(msg));
  });
}

/** A live.detect request as the browser sends it: one binary message, header + raw RGB. */
const binaryDetect = (id: number, args: Record<string, unknown>) => encodeBinaryRequest({ t: 'req', id, name: 'live.detect', args })!;

describe('ksl serve', () => {
  const tmp = useTmpDir();
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('binds to 127.0.0.1 by default, without a token, and serves the contract over /api', async () => {
    const dir = tmp();
    initProject(dir).close();
    server = await startServer({ dir, port: 0 });
    expect(server.host).toBe('127.0.0.1');
    expect(server.token).toBeNull();
    const origin = `http://127.0.0.1:${server.port}`;
    const ws = await connect(`ws://127.0.0.1:${server.port}/api`, origin);
    const r = await call(ws, { t: 'req', id: 7, name: 'project.info', args: {} });
    expect(r).toMatchObject({ t: 'res', id: 7, result: { ok: true, value: { schemaVersion: 3, counts: { words: 0 } } } });
    ws.close();
  });

  it('answers wrongly shaped payloads with INVALID and changes nothing', async () => {
    const dir = tmp();
    initProject(dir).close();
    server = await startServer({ dir, port: 0 });
    const ws = await connect(`ws://127.0.0.1:${server.port}/api`, `http://127.0.0.1:${server.port}`);
    const before = readFileSync(path.join(dir, CATALOG_FILE));
    expect((await call(ws, 'not json')).result).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect((await call(ws, { t: 'req', id: 'x', name: 'project.info' })).result).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect((await call(ws, { t: 'req', id: 3, name: 'jobs.start', args: { kind: 'extract', params: { format: 'exe' } } })).result).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect((await call(ws, { t: 'req', id: 4, name: 'jobs.start', args: { kind: 'import.videos', params: { dir: '../../etc' } } })).result).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    const list = await call(ws, { t: 'req', id: 5, name: 'jobs.list', args: {} });
    expect(list.result).toEqual({ ok: true, value: [] });
    ws.close();
    await server.close();
    server = undefined;
    // WAL folded back on close: the catalog's content is what it was
    const after = readFileSync(path.join(dir, CATALOG_FILE));
    expect(after.length).toBe(before.length);
  });

  it('refuses paths outside the project, over the API and over HTTP', async () => {
    const dir = tmp();
    initProject(dir).close();
    const outside = path.join(path.dirname(dir), `secret-${path.basename(dir)}.png`);
    writeFileSync(outside, 'not for you');
    writeFileSync(path.join(dir, 'frames', 'ok.png'), 'inside');
    server = await startServer({ dir, port: 0 });
    const ws = await connect(`ws://127.0.0.1:${server.port}/api`, `http://127.0.0.1:${server.port}`);
    const r = await call(ws, { t: 'req', id: 1, name: 'files.list', args: { dir: '..' } });
    expect(r.result.ok).toBe(false);
    ws.close();
    const base = `http://127.0.0.1:${server.port}`;
    const good = await fetch(`${base}/project-file?path=frames/ok.png`);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('inside');
    for (const p of [`../${path.basename(outside)}`, outside, 'frames/../../' + path.basename(outside), 'catalog.sqlite']) {
      const res = await fetch(`${base}/project-file?path=${encodeURIComponent(p)}`);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toContain('not for you');
    }
    const traversal = await fetch(`${base}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(traversal.status).not.toBe(200);
  });

  it('refuses WebSocket connections from another origin (cross-site hijacking)', async () => {
    const dir = tmp();
    initProject(dir).close();
    server = await startServer({ dir, port: 0 });
    await expect(connect(`ws://127.0.0.1:${server.port}/api`, 'http://evil.example')).rejects.toThrow(/403/);
  });

  it('with a token, requests without it are refused', async () => {
    const dir = tmp();
    initProject(dir).close();
    server = await startServer({ dir, port: 0, token: 'test-token-123' });
    expect(server.url).toContain('#token=test-token-123');
    await expect(connect(`ws://127.0.0.1:${server.port}/api`)).rejects.toThrow(/401/);
    await expect(connect(`ws://127.0.0.1:${server.port}/api?token=wrong-token-123`)).rejects.toThrow(/401/);
    const ws = await connect(`ws://127.0.0.1:${server.port}/api?token=test-token-123`);
    expect((await call(ws, { t: 'req', id: 1, name: 'app.info', args: {} })).result.ok).toBe(true);
    ws.close();
    writeFileSync(path.join(dir, 'frames', 'a.png'), 'x');
    expect((await fetch(`http://127.0.0.1:${server.port}/project-file?path=frames/a.png`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${server.port}/project-file?path=frames/a.png&token=test-token-123`)).status).toBe(200);
  });

  it('a non-loopback bind gets a random token', async () => {
    const dir = tmp();
    initProject(dir).close();
    // 0.0.0.0 is not loopback; the test only checks the token policy and connects via loopback
    server = await startServer({ dir, port: 0, host: '0.0.0.0' });
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    await expect(connect(`ws://127.0.0.1:${server.port}/api`)).rejects.toThrow(/401/);
  });

  it('sends a strict Content-Security-Policy with the UI', async () => {
    const dir = tmp();
    initProject(dir).close();
    server = await startServer({ dir, port: 0 });
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
  it('takes camera frames as binary messages: the same detections as base64 JSON, sizes checked, nothing unvalidated', async () => {
    const dir = tmp();
    initProject(dir).close();
    // The tiny KSL-layout model: anchor 0's class-1 score is (mean model input + 1) / 2, i.e. the frame's
    // mean pixel / 255 after the service's resize to 320×320 — the bytes must arrive whole and in order.
    mkdirSync(path.join(dir, 'models', 'tiny'), { recursive: true });
    writeFileSync(path.join(dir, 'models', 'tiny', 'ssd.onnx'), tinyKslModel());
    writeFileSync(path.join(dir, 'models', 'tiny', 'label_map.pbtxt'), "item { id: 1 name: 'hello' display_name: '안녕하세요' }\nitem { id: 2 name: '119' }\n");
    server = await startServer({ dir, port: 0 });
    const ws = await connect(`ws://127.0.0.1:${server.port}/api`, `http://127.0.0.1:${server.port}`);
    const modelId = 'file:models/tiny/ssd.onnx';
    expect((await call(ws, { t: 'req', id: 1, name: 'live.load', args: { modelId } })).result).toMatchObject({ ok: true, value: { input: { width: 320, height: 320 } } });
    const settings = { threshold: 0, iou: 0.5, maxDetections: 5 };

    const [w, h] = [640, 480];
    const white = new Uint8Array(w * h * 3).fill(255);
    const r1 = await call(ws, binaryDetect(2, { modelId, width: w, height: h, rgb: white, settings }));
    expect(r1).toMatchObject({ t: 'res', id: 2, result: { ok: true, value: { width: w, height: h } } });
    const top = r1.result.value.detections.find((d: { classId: number }) => d.classId === 1);
    expect(top.score).toBeCloseTo(1, 5);
    expect(top.box).toEqual(KSL_BOX_0.map((v) => Math.fround(v)));

    // A patterned frame: binary and base64 JSON give identical answers.
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = ((i * 7919) >>> 3) & 255;
    const viaBinary = await call(ws, binaryDetect(3, { modelId, width: w, height: h, rgb, settings }));
    const viaJson = await call(ws, { t: 'req', id: 4, name: 'live.detect', args: { modelId, width: w, height: h, rgb: Buffer.from(rgb).toString('base64'), settings } });
    expect(viaBinary.result.ok).toBe(true);
    expect(viaBinary.result.value.detections).toEqual(viaJson.result.value.detections);
    expect(viaBinary.result.value.detections[0].score).not.toBeCloseTo(1, 2);

    // Wrong byte count: refused by the schema, saying what to send.
    const short = await call(ws, binaryDetect(5, { modelId, width: w, height: h, rgb: rgb.subarray(0, w * h * 4 - 1 - w * h), settings }));
    expect(short).toMatchObject({ id: 5, result: { ok: false, error: { code: 'INVALID' } } });
    expect(short.result.error.message).toContain(`${w * h * 3 - 1} bytes, but a 640×480 frame needs ${w * h * 3}`);
    expect(short.result.error.message).toMatch(/width × height × 3/);
    // Bytes where the contract has none (project.info takes no arguments): refused like any unknown key.
    const stray = await call(ws, encodeBinaryRequest({ t: 'req', id: 6, name: 'project.info', args: { rgb: new Uint8Array(3) } })!);
    expect(stray).toMatchObject({ id: 6, result: { ok: false, error: { code: 'INVALID' } } });
    // Bytes under another argument of live.detect: the schema wants a model id string there.
    const misplaced = await call(ws, encodeBinaryRequest({ t: 'req', id: 7, name: 'live.detect', args: { modelId: new Uint8Array(3), width: 8, height: 8, rgb: 'AAAA' } })!);
    expect(misplaced).toMatchObject({ id: 7, result: { ok: false, error: { code: 'INVALID' } } });
    // A malformed binary message: answered, with the layout.
    const junk = await call(ws, new Uint8Array([200, 0, 0, 0, 1, 2, 3]));
    expect(junk.result).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(junk.result.error.message).toMatch(/uint32 little-endian header length/);
    // The connection still works.
    expect((await call(ws, binaryDetect(8, { modelId, width: w, height: h, rgb: white, settings }))).result.ok).toBe(true);
    ws.close();
  });
});
