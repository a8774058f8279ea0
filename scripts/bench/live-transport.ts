/**
 * `npm run bench:live`: the live path's frame transport, old (RGB as base64 inside JSON) against new (one
 * WebSocket binary message: header + raw RGB, src-shared/wire.ts), side by side in ONE run through the real
 * `ksl serve` (bin/ksl.cjs, a child process) with a real trained model (200 steps on a small sample
 * dataset, as test/e2e/live.test.ts trains: speed does not depend on the weights, part 3 needs a model
 * that tells the words apart).
 *
 * 1. A Node WebSocket client sends 640×480 camera frames back to back, one in flight, in alternating blocks
 *    of base64 JSON and binary: answered fps, round trip p50/p95, the service's own time, and the server
 *    process's CPU per frame (main thread + inference worker, from /proc).
 * 2. The Live page in Chromium with a fake 640×480 30 fps camera, base64 and binary in alternating page
 *    loads (`localStorage['ksl.live.frameEncoding']`): answered fps, round trip p50, grab time, service time;
 *    and binary against servers with 1 model thread (the default is 2) and with the detector on every frame
 *    (KSL_LIVE_REDETECT=1) and on every 5th (5, the default before 30; by default it runs on every 30th and
 *    whenever no hand is followed, and the hands are followed in between); and
 *    binary with every frame sent whole (`localStorage['ksl.live.regions']` 'off') against the default,
 *    where a frame whose hands are followed goes as only the region the last answer named.
 * 3. Reading frames on the page: canvas drawImage + getImageData against WebCodecs VideoFrame.copyTo
 *    (cost, and whether the pixels are the same); and the page's own resize — the same camera frames scaled
 *    to the model's input on a canvas (what a page could send instead) against the service's
 *    ffmpeg-equivalent resize (what training saw): bytes, cost, and how far the detections move.
 * 4. Live worker threads: part 1's binary client against servers started with KSL_LIVE_THREADS=1 and 2,
 *    alternating.
 *
 * Env: BENCH_STEPS (training steps, default 200), BENCH_FRAMES (frames per block in parts 1 and 4, default 40), BENCH_BLOCKS (blocks per mode, default 3),
 * BENCH_PAGE_SECONDS (measured seconds per page load, default 12), BENCH_PAGE_ROUNDS (default 2),
 * BENCH_BROWSER=0 (skip parts 2 and 3), CHROMIUM_PATH (default /usr/bin/chromium), BENCH_DEMO=DIR (a `ksl demo
 * --out DIR` folder: its model, the default one, instead of a 200-step model trained here, and a held-out
 * signer's 안녕하세요 as the camera).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { TrainParams } from '../../src-shared/api';
import { encodeBinaryRequest } from '../../src-shared/wire';
import { findFfmpeg } from '../../src-main/services/media/ffmpeg-path';
import { boxesToFrame, frameFit } from '../../src-shared/frame-fit';
import { prepareSampleProject } from '../../src-main/services/sample/sample-project';
import type { TrainResult } from '../../src-main/services/training/train-job';
import { serve as serveCli, type Served } from '../../test/helpers/browser';

/** The real `ksl serve` (the built CLI) on a free port, with extra environment variables. */
const serve = (dir: string, env: NodeJS.ProcessEnv = {}): Promise<Served> => serveCli(dir, [], env);

const FRAMES = Number(process.env.BENCH_FRAMES ?? 40);
const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 3);
const PAGE_SECONDS = Number(process.env.BENCH_PAGE_SECONDS ?? 12);
const PAGE_ROUNDS = Number(process.env.BENCH_PAGE_ROUNDS ?? 2);
const BROWSER = process.env.BENCH_BROWSER !== '0';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A `ksl demo --out DIR` folder: measure its model (the default model) instead of training a small one. */
const DEMO = process.env.BENCH_DEMO;
const [W, H] = [640, 480];
/** A 4:3 camera's view of the 16:9 sample: its middle, full height (the service pads it into a 16:9 model, frame-fit.ts). */
const CAMERA_4X3 = 'crop=ih*4/3:ih';
const fmt = (x: number, d = 1) => x.toFixed(d);
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** CPU time (user + system, ms) of a process so far, all its threads. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz on Linux)
}

interface Client {
  call(data: string | Uint8Array): Promise<{ ok: boolean; value?: { timing: { totalMs: number; inferenceMs: number; preprocessMs: number }; detections: { classId: number; score: number; box: number[] }[] }; error?: { message: string } }>;
  close(): void;
}

function connect(s: Served): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api`, { origin: `http://127.0.0.1:${s.port}` });
    let waiting: ((m: never) => void) | null = null;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; result: never };
      if (m.t === 'res' && waiting) {
        const w = waiting;
        waiting = null;
        w(m.result);
      }
    });
    ws.once('open', () =>
      resolve({
        call: (data) =>
          new Promise((r) => {
            waiting = r as (m: never) => void;
            ws.send(data);
          }),
        close: () => ws.close(),
      }),
    );
    ws.once('error', reject);
  });
}

interface BlockResult {
  trips: number[];
  service: number[];
  pre: number[];
  wallMs: number;
  cpuMs: number;
  bytes: number;
}

/** FRAMES frames back to back, one in flight; encode time is inside the round trip, as on a page. */
async function block(c: Client, s: Served, modelId: string, frames: Uint8Array[], mode: 'base64' | 'binary', idStart: number): Promise<BlockResult> {
  const trips: number[] = [];
  const service: number[] = [];
  const pre: number[] = [];
  let bytes = 0;
  const scratch = new Uint8Array(W * H * 3 + 4096);
  const cpu0 = cpuMsOf(s.child.pid!);
  const t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    const rgb = frames[i % frames.length]!;
    const a = performance.now();
    const args = { modelId, width: W, height: H, rgb: mode === 'base64' ? Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength).toString('base64') : rgb };
    const msg = { t: 'req' as const, id: idStart + i, name: 'live.detect', args };
    const data = mode === 'base64' ? JSON.stringify(msg) : encodeBinaryRequest(msg, scratch)!;
    bytes += typeof data === 'string' ? data.length : data.byteLength;
    const r = await c.call(data);
    trips.push(performance.now() - a);
    if (!r.ok) throw new Error(`live.detect failed: ${r.error?.message}`);
    service.push(r.value!.timing.totalMs);
    pre.push(r.value!.timing.preprocessMs);
  }
  return { trips, service, pre, wallMs: performance.now() - t0, cpuMs: cpuMsOf(s.child.pid!) - cpu0, bytes };
}

function summarise(bs: BlockResult[]) {
  const trips = bs.flatMap((b) => b.trips).sort((a, b) => a - b);
  const service = bs.flatMap((b) => b.service).sort((a, b) => a - b);
  const pre = bs.flatMap((b) => b.pre).sort((a, b) => a - b);
  const n = trips.length;
  const wall = bs.reduce((a, b) => a + b.wallMs, 0);
  return { fps: (n * 1000) / wall, p50: pct(trips, 50), p95: pct(trips, 95), service: pct(service, 50), pre: pct(pre, 50), cpu: bs.reduce((a, b) => a + b.cpuMs, 0) / n, kb: bs.reduce((a, b) => a + b.bytes, 0) / n / 1024 };
}

async function transportPart(s: Served, modelId: string, frames: Uint8Array[], label: string, modes: ('base64' | 'binary')[]) {
  const c = await connect(s);
  const load0 = load();
  // warm-up: the model's first runs, the JIT
  for (const m of modes) await block(c, s, modelId, frames.slice(0, 3), m, 1).catch((e) => Promise.reject(e));
  const results = new Map<string, BlockResult[]>(modes.map((m) => [m, []]));
  let id = 1000;
  for (let b = 0; b < BLOCKS; b++) {
    for (const m of b % 2 ? [...modes].reverse() : modes) {
      results.get(m)!.push(await block(c, s, modelId, frames, m, id));
      id += FRAMES;
    }
  }
  c.close();
  console.log(`${label} (load before ${load0}, after ${load()}):`);
  const out = new Map<string, ReturnType<typeof summarise>>();
  for (const m of modes) {
    const r = summarise(results.get(m)!);
    out.set(m, r);
    console.log(
      `  ${m.padEnd(7)} ${fmt(r.fps).padStart(5)} fps, round trip p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, service p50 ${fmt(r.service)} ms (pre ${fmt(r.pre)}), server CPU ${fmt(r.cpu)} ms/frame, ${fmt(r.kb, 0)} KiB/frame  (${BLOCKS} blocks × ${FRAMES})`,
    );
  }
  return out;
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-bench-live-'));
  const ffmpeg = findFfmpeg().path;
  const servers: Served[] = [];
  try {
    console.log(`machine: ${os.cpus().length} cores; load ${load()}`);
    const t0 = Date.now();
    let projectDir: string;
    let run: string;
    let video: string;
    if (DEMO) {
      // The model `ksl demo` trained (the default model), and a held-out signer's 안녕하세요 as the camera.
      projectDir = path.join(DEMO, 'project');
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(path.join(projectDir, 'catalog.sqlite'), { readonly: true });
      run = (db.prepare(`SELECT id FROM runs WHERE status = 'ok' ORDER BY id DESC LIMIT 1`).pluck().get() as string | undefined) ?? '';
      const testSigners = db
        .prepare(`SELECT DISTINCT s.code FROM split_members m JOIN frames f ON f.id = m.frame_id JOIN videos v ON v.id = f.video_id JOIN signers s ON s.id = v.signer_id WHERE m.side = 'test' AND m.split_id = (SELECT MAX(id) FROM splits)`)
        .pluck()
        .all()
        .map(Number);
      db.close();
      if (!run) throw new Error(`BENCH_DEMO=${DEMO}: no finished run in ${projectDir}`);
      const gt = JSON.parse(readFileSync(path.join(DEMO, 'sample', 'ground-truth.json'), 'utf8')) as { videos: { file: string; word: string; signer: number }[] };
      video = path.join(DEMO, 'sample', (gt.videos.find((v) => v.word === '안녕하세요' && testSigners.includes(v.signer)) ?? gt.videos[0]!).file);
      console.log(`model: run ${run} of ${projectDir} (BENCH_DEMO); camera: ${path.basename(video)}, a held-out signer's`);
    } else {
      const { sample: smp, project: p, runJob } = await prepareSampleProject({ root: tmp, words: 2, signers: 3, seconds: 2, test: 0.34, splitSeed: 3 });
      run = ((await runJob('train', TrainParams.parse({ steps: STEPS, batch: 16, checkpoints: 1 }))) as TrainResult).run;
      p.close();
      projectDir = path.join(tmp, 'project');
      console.log(`model: run ${run} (${STEPS} steps of 16) in ${((Date.now() - t0) / 1000).toFixed(0)} s with its data`);
      // 640×480 camera frames: a sample video of a signer as a 4:3 camera sees it (the middle of the 16:9
      // picture); and the same clip as a fake camera.
      const gt = JSON.parse(readFileSync(smp.groundTruth, 'utf8')) as { videos: { file: string; word: string }[] };
      video = path.join(smp.out, (gt.videos.find((v) => v.word === '안녕하세요') ?? gt.videos[0]!).file);
    }
    const modelId = `run:${run}`;
    const raw = execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-stream_loop', '-1', '-i', video, '-frames:v', '30', '-vf', `${CAMERA_4X3},scale=${W}:${H}:flags=bilinear,format=rgb24`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 30 });
    const frames: Uint8Array[] = [];
    for (let i = 0; i + W * H * 3 <= raw.length; i += W * H * 3) frames.push(new Uint8Array(raw.subarray(i, i + W * H * 3)));

    // ---- 1. Node client: base64 JSON vs binary through ksl serve ------------------------------------------
    const s1 = await serve(projectDir);
    servers.push(s1);
    const info = await (async () => {
      const c = await connect(s1);
      const r = await c.call(JSON.stringify({ t: 'req', id: 1, name: 'live.load', args: { modelId } }));
      c.close();
      if (!r.ok) throw new Error(`live.load: ${r.error?.message}`);
      return (r.value as unknown as { input: { width: number; height: number } }).input;
    })();
    console.log(`model input ${info.width}×${info.height}; frames ${W}×${H} RGB (${((W * H * 3) / 1024).toFixed(0)} KiB)\n`);
    const p1 = await transportPart(s1, modelId, frames, `1. Node WebSocket client → ksl serve, ${W}×${H} frames back to back, one in flight`, ['base64', 'binary']);
    const b64 = p1.get('base64')!;
    const bin = p1.get('binary')!;
    console.log(`  ratio binary / base64: fps ×${fmt(bin.fps / b64.fps, 2)}, round trip p50 ×${fmt(bin.p50 / b64.p50, 2)}, server CPU per frame ×${fmt(bin.cpu / b64.cpu, 2)}\n`);

    // ---- 2. and 3. The Live page in Chromium ----------------------------------------------------------------
    if (BROWSER && existsSync(CHROMIUM)) {
      const s2 = await serve(projectDir, { KSL_LIVE_THREADS: '1' });
      const s3 = await serve(projectDir, { KSL_LIVE_REDETECT: '1' });
      const s4 = await serve(projectDir, { KSL_LIVE_REDETECT: '5' });
      servers.push(s2, s3, s4);
      await browserParts(tmp, video, s1, s2, s3, s4, modelId, ffmpeg, info);
      await s2.stop();
      await s3.stop();
      await s4.stop();
    }
    else console.log(`2./3. skipped (${BROWSER ? `no Chromium at ${CHROMIUM}` : 'BENCH_BROWSER=0'})\n`);
    await s1.stop();

    // ---- 4. Threads --------------------------------------------------------------------------------------
    const byThreads = new Map<number, BlockResult[]>([
      [1, []],
      [2, []],
    ]);
    const threadServers = new Map<number, Served>();
    for (const t of [1, 2]) {
      const s = await serve(projectDir, { KSL_LIVE_THREADS: String(t) });
      servers.push(s);
      threadServers.set(t, s);
      const c = await connect(s);
      await c.call(JSON.stringify({ t: 'req', id: 1, name: 'live.load', args: { modelId } }));
      await block(c, s, modelId, frames.slice(0, 3), 'binary', 2);
      c.close();
    }
    const load4 = load();
    for (let b = 0; b < BLOCKS; b++) {
      for (const t of b % 2 ? [2, 1] : [1, 2]) {
        const s = threadServers.get(t)!;
        const c = await connect(s);
        byThreads.get(t)!.push(await block(c, s, modelId, frames, 'binary', 5000 + b * FRAMES));
        c.close();
      }
    }
    console.log(`4. live worker threads (KSL_LIVE_THREADS), binary client as in 1 (load before ${load4}, after ${load()}):`);
    const th = [1, 2].map((t) => summarise(byThreads.get(t)!));
    for (const [i, r] of th.entries()) {
      console.log(`  ${i + 1} thread${i ? 's' : ' '} ${fmt(r.fps).padStart(5)} fps, round trip p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, service p50 ${fmt(r.service)} ms, server CPU ${fmt(r.cpu)} ms/frame`);
    }
    console.log(`  ratio 2 / 1 threads: fps ×${fmt(th[1]!.fps / th[0]!.fps, 2)}, service p50 ×${fmt(th[1]!.service / th[0]!.service, 2)}, CPU per frame ×${fmt(th[1]!.cpu / th[0]!.cpu, 2)}`);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function browserParts(tmp: string, video: string, s: Served, s1thread: Served, sEveryFrame: Served, sEvery5th: Served, modelId: string, ffmpeg: string, input: { width: number; height: number }) {
  const { chromium } = await import('playwright-core');
  const camera = path.join(tmp, 'camera.y4m');
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', '2', '-i', video, '-vf', `${CAMERA_4X3},scale=${W}:${H},fps=30,format=yuv420p`, '-pix_fmt', 'yuv420p', camera]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`, '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    type PageResult = { fps: number; p50: number; p95: number; grab: number; service: number; model: number; dropped: number; prefetched: number; regionShare: number; size: string };
    // base64 and binary against a server with the defaults (2 model threads); binary against one with 1
    const modes = [
      { name: 'base64', encoding: 'base64', server: s },
      { name: 'binary', encoding: 'binary', server: s },
      { name: 'binary, 1 thread', encoding: 'binary', server: s1thread },
      { name: 'binary, detector every frame', encoding: 'binary', server: sEveryFrame },
      { name: 'binary, detector every 5th', encoding: 'binary', server: sEvery5th },
      { name: 'binary, whole frames', encoding: 'binary', server: s, regions: 'off' },
    ];
    const results = new Map<string, PageResult[]>(modes.map((m) => [m.name, []]));
    const load0 = load();
    for (let round = 0; round < PAGE_ROUNDS; round++) {
      for (const mode of round % 2 ? [...modes].reverse() : modes) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addInitScript(
          (m) => {
            localStorage.setItem('ksl.live.frameEncoding', m.encoding);
            localStorage.setItem('ksl.live.regions', m.regions);
          },
          { encoding: mode.encoding, regions: (mode as { regions?: string }).regions ?? 'on' },
        );
        const page = await context.newPage();
        await page.goto(mode.server.url);
        await page.getByRole('button', { name: 'Live', exact: true }).click();
        await page.locator('[data-testid=camera-status][data-state=live]').waitFor({ timeout: 20_000 });
        await page.getByLabel('model').selectOption(modelId);
        await page.locator('[data-testid=model-state][data-ready=true]').waitFor({ timeout: 120_000 });
        await page.waitForTimeout(3000); // warm-up
        const live = page.getByTestId('live');
        const attr = async (n: string) => Number(await live.getAttribute(n));
        const a0 = await attr('data-answered');
        const t0 = Date.now();
        // the readouts are of the last frame: sample them through the window and take medians
        const seen = { p50: [] as number[], grab: [] as number[], service: [] as number[], model: [] as number[] };
        while (Date.now() - t0 < PAGE_SECONDS * 1000) {
          await page.waitForTimeout(400);
          seen.p50.push(await attr('data-round-trip-p50'));
          seen.grab.push(await attr('data-grab-ms'));
          seen.service.push(await attr('data-service-ms'));
          seen.model.push(await attr('data-model-ms'));
        }
        const a1 = await attr('data-answered');
        const t1 = Date.now();
        const p95 = await attr('data-round-trip-p95');
        const readout = (await page.getByTestId('live-readout').textContent()) ?? '';
        const med = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);
        results.get(mode.name)!.push({
          fps: ((a1 - a0) * 1000) / (t1 - t0),
          p50: med(seen.p50),
          p95,
          grab: med(seen.grab),
          service: med(seen.service),
          model: med(seen.model),
          dropped: await attr('data-dropped'),
          prefetched: await attr('data-prefetched'),
          regionShare: (await attr('data-region-frames')) / Math.max(1, await attr('data-sent')),
          size: /(\d+×\d+)/.exec(readout)?.[1] ?? '?',
        });
        await context.close();
      }
    }
    console.log(`2. the Live page in Chromium, fake ${W}×${H} 30 fps camera, ${PAGE_ROUNDS} page loads per mode × ${PAGE_SECONDS} s (load before ${load0}, after ${load()}):`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const agg = new Map<string, PageResult>();
    for (const [mode, rs] of results) {
      const r = { fps: mean(rs.map((x) => x.fps)), p50: mean(rs.map((x) => x.p50)), p95: mean(rs.map((x) => x.p95)), grab: mean(rs.map((x) => x.grab)), service: mean(rs.map((x) => x.service)), model: mean(rs.map((x) => x.model)), dropped: 0, prefetched: mean(rs.map((x) => x.prefetched)), regionShare: mean(rs.map((x) => x.regionShare)), size: rs[0]!.size };
      agg.set(mode, r);
      console.log(
        `  ${mode.padEnd(29)} ${fmt(r.fps).padStart(5)} answered fps (per load: ${rs.map((x) => fmt(x.fps)).join(', ')}), round trip p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms (per load: ${rs.map((x) => fmt(x.p95, 0)).join(', ')}), grab ${fmt(r.grab)} ms, service ${fmt(r.service)} ms (model ${fmt(r.model)}), frames ${r.size}, ${fmt(100 * r.regionShare, 0)}% sent as regions`,
      );
    }
    const b = agg.get('binary')!;
    const o = agg.get('base64')!;
    const t1 = agg.get('binary, 1 thread')!;
    console.log(`  ratio binary / base64: fps ×${fmt(b.fps / o.fps, 2)}, round trip p50 ×${fmt(b.p50 / o.p50, 2)}, grab ×${fmt(b.grab / o.grab, 2)}`);
    console.log(`  ratio 2 / 1 threads (binary): fps ×${fmt(b.fps / t1.fps, 2)}, service ×${fmt(b.service / t1.service, 2)}`);
    const every = agg.get('binary, detector every frame')!;
    console.log(`  ratio detector every 30th frame (the default, hands followed between) / every frame (binary): fps ×${fmt(b.fps / every.fps, 2)}, round trip p95 ×${fmt(b.p95 / every.p95, 2)}, service ×${fmt(b.service / every.service, 2)}`);
    const fifth = agg.get('binary, detector every 5th')!;
    console.log(`  ratio detector every 30th frame (the default) / every 5th (the default before): fps ×${fmt(b.fps / fifth.fps, 2)}, round trip p95 ×${fmt(b.p95 / fifth.p95, 2)}, service ×${fmt(b.service / fifth.service, 2)}`);
    const whole = agg.get('binary, whole frames')!;
    console.log(`  ratio followed frames as regions (the default) / every frame whole (binary): fps ×${fmt(b.fps / whole.fps, 2)}, round trip p50 ×${fmt(b.p50 / whole.p50, 2)}, service ×${fmt(b.service / whole.service, 2)}\n`);

    // ---- 3. resizing on the page vs in the service -----------------------------------------------------------
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(s.url);
    // The page puts the frame where the service would (frame-fit.ts: a 4:3 frame is padded into a 16:9 input).
    const fit = frameFit(W, H, input.width, input.height);
    const rect = fit.mode === 'pad' ? [fit.x, fit.y, fit.width, fit.height] : [0, 0, input.width, input.height];
    const samples = (await page.evaluate(
      async ([mw, mh, n, rx, ry, rw, rh]) => {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
        const v = document.createElement('video');
        v.muted = true;
        v.srcObject = stream;
        await v.play();
        const canvas = (w: number, h: number) => {
          const c = document.createElement('canvas');
          c.width = w;
          c.height = h;
          return c.getContext('2d', { willReadFrequently: true })!;
        };
        const full = canvas(v.videoWidth, v.videoHeight);
        const small = canvas(mw!, mh!);
        const high = canvas(mw!, mh!);
        high.imageSmoothingQuality = 'high';
        // black where the frame does not cover the input (its padding)
        for (const c of [small, high]) {
          c.fillStyle = '#000';
          c.fillRect(0, 0, mw!, mh!);
        }
        const out: { full: string; small: string; high: string; fullMs: number; smallMs: number; highMs: number; vfMs: number; vfMaxDiff: number }[] = [];
        const same = canvas(v.videoWidth, v.videoHeight);
        const rgbx = new Uint8Array(v.videoWidth * v.videoHeight * 4);
        const b64 = (d: Uint8ClampedArray) => {
          const rgb = new Uint8Array((d.length / 4) * 3);
          for (let p = 0, i = 0; i < d.length; i += 4, p += 3) {
            rgb[p] = d[i]!;
            rgb[p + 1] = d[i + 1]!;
            rgb[p + 2] = d[i + 2]!;
          }
          let sx = '';
          for (let i = 0; i < rgb.length; i += 0x8000) sx += String.fromCharCode(...rgb.subarray(i, i + 0x8000));
          return btoa(sx);
        };
        for (let k = 0; k < n!; k++) {
          await new Promise((r) => setTimeout(r, 150));
          let t = performance.now();
          full.drawImage(v, 0, 0, v.videoWidth, v.videoHeight);
          const f = full.getImageData(0, 0, v.videoWidth, v.videoHeight).data;
          const fullMs = performance.now() - t;
          t = performance.now();
          small.drawImage(v, rx!, ry!, rw!, rh!);
          const sm = small.getImageData(0, 0, mw!, mh!).data;
          const smallMs = performance.now() - t;
          t = performance.now();
          high.drawImage(v, rx!, ry!, rw!, rh!);
          const hi = high.getImageData(0, 0, mw!, mh!).data;
          const highMs = performance.now() - t;
          // WebCodecs: the same frame copied out as RGBX, against that very frame drawn on a canvas
          t = performance.now();
          const vf = new VideoFrame(v);
          await vf.copyTo(rgbx, { format: 'RGBX', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
          const vfMs = performance.now() - t;
          same.drawImage(vf, 0, 0, v.videoWidth, v.videoHeight);
          vf.close();
          const ref = same.getImageData(0, 0, v.videoWidth, v.videoHeight).data;
          let vfMaxDiff = 0;
          for (let i = 0; i < ref.length; i++) if ((i & 3) !== 3) vfMaxDiff = Math.max(vfMaxDiff, Math.abs(ref[i]! - rgbx[i]!));
          out.push({ full: b64(f), small: b64(sm), high: b64(hi), fullMs, smallMs, highMs, vfMs, vfMaxDiff });
        }
        stream.getTracks().forEach((tr) => tr.stop());
        return { w: v.videoWidth, h: v.videoHeight, out };
      },
      [input.width, input.height, 20, ...rect],
    )) as { w: number; h: number; out: { full: string; small: string; high: string; fullMs: number; smallMs: number; highMs: number; vfMs: number; vfMaxDiff: number }[] };
    await context.close();
    const c = await connect(s);
    let id = 9000;
    const settings = { threshold: 0, iou: 0.6, maxDetections: 5 };
    const diffs = { small: { dScore: [] as number[], dBox: [] as number[], same: 0 }, high: { dScore: [] as number[], dBox: [] as number[], same: 0 } };
    for (const x of samples.out) {
      const a = await c.call(JSON.stringify({ t: 'req', id: id++, name: 'live.detect', args: { modelId, width: samples.w, height: samples.h, rgb: x.full, settings } }));
      const ta = a.value!.detections[0]!;
      for (const k of ['small', 'high'] as const) {
        const b = await c.call(JSON.stringify({ t: 'req', id: id++, name: 'live.detect', args: { modelId, width: input.width, height: input.height, rgb: x[k], settings } }));
        const tb = b.value!.detections[0]!;
        // the small frame is the padded input itself: its boxes are on the input, the full frame's on the frame
        if (fit.mode === 'pad') {
          const box = Float32Array.from(tb.box);
          boxesToFrame(box, null, 0, fit, input.width, input.height);
          tb.box = Array.from(box);
        }
        const d = diffs[k];
        if (ta.classId === tb.classId) d.same++;
        d.dScore.push(Math.abs(ta.score - tb.score));
        d.dBox.push(Math.max(...ta.box.map((v, j) => Math.abs(v - tb.box[j]!))));
      }
    }
    c.close();
    const n = samples.out.length;
    console.log(`3. resize on the page (canvas drawImage to ${input.width}×${input.height}) vs in the service (swscale-bilinear, as training), ${n} camera frames, top detection compared:`);
    console.log(
      `  full size ${samples.w}×${samples.h}: canvas drawImage + getImageData ${fmt(mean(samples.out.map((x) => x.fullMs)), 2)} ms; WebCodecs VideoFrame.copyTo RGBX ${fmt(mean(samples.out.map((x) => x.vfMs)), 2)} ms, largest pixel difference from the canvas ${Math.max(...samples.out.map((x) => x.vfMaxDiff))}`,
    );
    console.log(`  bytes per frame ${((samples.w * samples.h * 3) / 1024).toFixed(0)} → ${((input.width * input.height * 3) / 1024).toFixed(0)} KiB at the model's input`);
    for (const k of ['small', 'high'] as const) {
      const d = diffs[k];
      const ms = mean(samples.out.map((x) => (k === 'small' ? x.smallMs : x.highMs)));
      console.log(
        `  imageSmoothingQuality ${k === 'small' ? 'low ' : 'high'}: ${fmt(ms, 2)} ms; same class ${d.same}/${n}; |Δ score| mean ${fmt(mean(d.dScore), 3)}, max ${fmt(Math.max(...d.dScore), 3)}; max |Δ box| mean ${fmt(mean(d.dBox), 3)}, max ${fmt(Math.max(...d.dBox), 3)}`,
      );
    }
    console.log('');
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
