/**
 * The live interpreter in Chromium with a fake camera, end to end: a detector trained here through
 * the CLI on a small sample project, served by `ksl serve`; the camera is a .y4m made with ffmpeg
 * from one of the project's own sample videos (a signer signing 안녕하세요), preceded by 1.5 s of the
 * empty wall, looped by Chromium. The Live screen and the kiosk must show the word within 1 s of
 * the first detection of the sign, with exactly one live.detect request in flight — counted by a
 * hook on the page's WebSocket, not by the screen itself.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, serve, type Served } from '../helpers/browser';
import { ksl } from '../helpers/cli';
import { buildSampleProject } from '../helpers/sample-project';

const WORD = '안녕하세요';
/** Camera rate of the fake device: a typical USB webcam in a dim room. */
const CAMERA_FPS = 15;
const BLANK_SECONDS = 1.5;

/**
 * Installed before the app's scripts: counts live.detect requests on the WebSocket and their answers
 * (max in flight), logs each answer's words with its time, and each change of the sentence element
 * named by `window.__sentenceTestId` — all on the page's own clock.
 */
function pageHook() {
  const w = window as unknown as {
    __live: { inFlight: number; maxInFlight: number; requests: number; binary: number; i420: number; regions: number; answers: { t: number; labels: string[] }[]; sentence: { t: number; text: string }[] };
    __sentenceTestId?: string;
  };
  w.__live = { inFlight: 0, maxInFlight: 0, requests: 0, binary: 0, i420: 0, regions: 0, answers: [], sentence: [] };
  const pending = new Set<number>();
  const Native = window.WebSocket;
  class Counted extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (ev) => {
        const text = String(ev.data);
        if (!text.startsWith('{"t":"res"')) return;
        const msg = JSON.parse(text) as { id: number; result: { ok: boolean; value?: { detections: { label: string }[] } } };
        if (!pending.delete(msg.id)) return;
        w.__live.inFlight--;
        w.__live.answers.push({ t: performance.now(), labels: msg.result.ok ? msg.result.value!.detections.map((d) => d.label) : ['ERROR'] });
      });
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      // JSON text, or a binary request (src-shared/wire.ts): uint32 LE header length, ASCII JSON header, bytes
      let head: string | null = null;
      if (typeof data === 'string') head = data.slice(0, 80);
      else if (ArrayBuffer.isView(data)) {
        const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const n = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
        head = String.fromCharCode(...b.subarray(4, 4 + Math.min(n, 4096)));
      }
      const m = head ? /^\{"t":"req","id":(\d+),"name":"live\.detect"/.exec(head) : null;
      if (m) {
        pending.add(Number(m[1]));
        w.__live.requests++;
        if (typeof data !== 'string') w.__live.binary++;
        if (typeof data !== 'string' && /"bin":"i420"/.test(head!)) w.__live.i420++;
        if (/"region":\{/.test(head!)) w.__live.regions++;
        w.__live.inFlight++;
        w.__live.maxInFlight = Math.max(w.__live.maxInFlight, w.__live.inFlight);
      }
      super.send(data);
    }
  }
  window.WebSocket = Counted as typeof WebSocket;
  new MutationObserver(() => {
    const id = w.__sentenceTestId;
    const el = id ? document.querySelector(`[data-testid="${id}"]`) : null;
    const text = el?.textContent ?? '';
    const last = w.__live.sentence[w.__live.sentence.length - 1];
    if (el && text !== last?.text) w.__live.sentence.push({ t: performance.now(), text });
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

interface Hooked {
  inFlight: number;
  maxInFlight: number;
  requests: number;
  binary: number;
  i420: number;
  regions: number;
  answers: { t: number; labels: string[] }[];
  sentence: { t: number; text: string }[];
}
const hooked = (page: Page) => page.evaluate(() => ({ ...(window as unknown as { __live: Hooked }).__live, now: performance.now() }));
const count = (text: string, word: string) => text.split(word).length - 1;

/**
 * From the hook's log: each onset of the sign (an answer with a detection after ≥ 3 answers with
 * none: the empty wall) and how long until the sentence gained one more `word`.
 */
function onsetsToWord(h: Hooked, word: string): { onset: number; shownAfterMs: number | null; firstWords: string[] }[] {
  const out: { onset: number; shownAfterMs: number | null; firstWords: string[] }[] = [];
  let empty = 0;
  for (const a of h.answers) {
    if (a.labels.length === 0) {
      empty++;
      continue;
    }
    if (empty >= 3) {
      const before = [...h.sentence].reverse().find((s) => s.t <= a.t)?.text ?? '';
      const shown = h.sentence.find((s) => s.t > a.t && count(s.text, word) > count(before, word));
      const labels = h.answers.filter((b) => b.t >= a.t && b.t < a.t + 1000).flatMap((b) => b.labels);
      out.push({ onset: a.t, shownAfterMs: shown ? shown.t - a.t : null, firstWords: [...new Set(labels)] });
    }
    empty = 0;
  }
  return out;
}

describe('live interpreter and kiosk with a fake camera', () => {
  let browser: Browser;
  let work: string;
  let server: Served | undefined;
  let camera: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-e2e-live-'));
    // 2 words × 3 signers × 2 s, frames at 5 fps, split by signer (2 train, 1 test)
    const project = buildSampleProject(work, { words: 2, signers: 3, seconds: 2, fps: 5 });
    // 200 steps of 16 at 320×320: the classifier separates the two words on the training signers' videos
    // (every frame of the 안녕하세요 clip below leads with it, mean score ≈ 0.75) in ~1–2 min here. At the
    // default input (640×352 for these frames) the same 200 steps answered at ~7 fps here and once took
    // 2.3 s to settle on the word: the timing checks below are for the interpreter and the page, so
    // they use the fast input; the non-square model path is tested in live-handlers and export tests.
    const train = ksl(['train', project, '--steps', '200', '--batch', '16', '--checkpoints', '1', '--input', '320x320', '--json', '--quiet'], { timeout: 400_000 });
    expect(train.code, train.stderr).toBe(0);

    // The camera: a training-side signer's 안녕하세요 clip (this test checks the live pipeline, not
    // generalisation — the run's test AP is reported on the Train screen), after the empty wall.
    const db = new Database(path.join(project, 'catalog.sqlite'), { readonly: true });
    const trainSigners = (
      db
        .prepare(
          `SELECT DISTINCT s.code FROM split_members m JOIN frames f ON f.id = m.frame_id JOIN videos v ON v.id = f.video_id JOIN signers s ON s.id = v.signer_id
           WHERE m.side = 'train' AND m.split_id = (SELECT MAX(id) FROM splits)`,
        )
        .all() as { code: string }[]
    ).map((r) => Number(r.code));
    db.close();
    const gt = JSON.parse(readFileSync(path.join(work, 'sample', 'ground-truth.json'), 'utf8')) as { width: number; height: number; videos: { file: string; word: string; signer: number }[] };
    const clip = gt.videos.filter((v) => v.word === WORD && trainSigners.includes(v.signer)).sort((a, b) => b.signer - a.signer)[0]!;
    expect(clip, `a ${WORD} video of a training signer among ${trainSigners.join(', ')}`).toBeDefined();
    camera = path.join(work, 'camera.y4m');
    const size = `${gt.width}x${gt.height}`;
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `color=c=0xc3cbce:s=${size}:r=${CAMERA_FPS}:d=${BLANK_SECONDS}`,
      '-i', path.join(work, 'sample', clip.file),
      '-filter_complex', `[1:v]scale=${size.replace('x', ':')},fps=${CAMERA_FPS},format=yuv420p,setsar=1[s];[0:v]format=yuv420p,setsar=1[b];[b][s]concat=n=2:v=1:a=0[out]`,
      '-map', '[out]', '-pix_fmt', 'yuv420p', camera,
    ]);

    server = await serve(project);
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`, '--autoplay-policy=no-user-gesture-required']);
  }, 480_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await server?.stop();
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await context.addInitScript(pageHook);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // offline: every request stays on the app's own server (no remote fonts, scripts or images)
    const origin = new URL(server!.url).origin;
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !/^(data|blob):/.test(u) && !u.startsWith(origin.replace(/^http/, 'ws'))) errors.push(`request outside the app: ${u}`);
    });
    return { page, errors };
  }

  /** Waits for two onsets of the sign (the clip loops every 3.5 s) at least 2 s old, and returns their timings. */
  async function measure(page: Page, since = 0) {
    let timings: ReturnType<typeof onsetsToWord> = [];
    await expect
      .poll(
        async () => {
          const h = await hooked(page);
          timings = onsetsToWord(h, WORD).filter((t) => t.onset > since && t.onset < h.now - 2000);
          return timings.length;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(2);
    return timings;
  }

  it('Live screen: boxes, readouts, one frame in flight, and 안녕하세요 in the sentence within 1 s of the sign', async () => {
    const { page, errors } = await newPage();
    await page.goto(server!.url);
    await page.evaluate(() => ((window as unknown as { __sentenceTestId: string }).__sentenceTestId = 'sentence'));
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await expect.poll(() => page.getByTestId('camera-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    expect(await page.getByTestId('camera-status').textContent()).toMatch(/640×360/);
    // the camera picker lists the (fake) device by name once permission was given
    await expect.poll(() => page.getByLabel('camera').locator('option').count()).toBeGreaterThanOrEqual(2);
    // pick the trained run: loading it exports the ONNX and shows input, classes and metrics
    const options = await page.getByLabel('model').locator('option').allTextContents();
    expect(options.filter((o) => o.startsWith('All words'))).toHaveLength(1);
    await page.getByLabel('model').selectOption({ index: 1 });
    await page.locator('[data-testid=model-state][data-ready=true]').waitFor({ timeout: 120_000 });
    const model = (await page.getByTestId('model-state').textContent())!;
    // the run's own input size (the training preset decides it; it need not be square)
    expect(model).toMatch(/input \d+×\d+ float32 NHWC/);
    expect(model).toContain('안녕하세요');
    expect(model).toContain('119');
    expect(model).toMatch(/test AP50 \d\.\d{3}/);

    // The defaults (4 of the last 6 frames) are for a camera answered at 15–30 fps. When this test was
    // written this 2-core box (the server, the inference worker and Chromium's software rendering on it)
    // answered 2–5 frames a second, where 4 frames alone take 0.8–2 s; it now answers about the fake
    // camera's 15, but a loaded CI machine may not: 2 of 3 here, as a user of a slow machine would set.
    expect(await page.getByLabel('k frames').inputValue()).toBe('4');
    expect(await page.getByLabel('n frames').inputValue()).toBe('6');
    await page.getByLabel('n frames').fill('3');
    await page.getByLabel('k frames').fill('2');
    expect(await page.getByLabel('k frames').inputValue()).toBe('2');
    const since = await page.evaluate(() => performance.now());

    const timings = await measure(page, since);
    const h = await hooked(page);
    console.log(`[live] ${h.requests} requests; onset → word shown: ${timings.map((t) => `${t.shownAfterMs?.toFixed(0)} ms`).join(', ')}`);
    for (const t of timings.slice(0, 2)) {
      expect(t.firstWords, 'words detected in the first second of the sign').toContain(WORD);
      expect(t.shownAfterMs, 'ms from the first detection of the sign to the word in the sentence').not.toBeNull();
      expect(t.shownAfterMs!).toBeLessThan(1000);
    }
    const said = await page.getByTestId('sentence').locator('.said-word').allTextContents();
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(new Set(said)).toEqual(new Set([WORD])); // only the signed word, once per signing

    // exactly one frame in flight: the WebSocket never carried a second live.detect before the answer
    expect(h.maxInFlight).toBe(1);
    expect(h.requests).toBeGreaterThan(10);
    // every frame went as raw bytes in a binary message, none as base64 JSON, read with WebCodecs (Chromium ≥ 127)
    // as the camera's own I420 planes (the fake camera's first frame checked against Chromium's RGB)
    expect(h.binary).toBe(h.requests);
    expect(h.i420).toBe(h.requests);
    expect(await page.getByTestId('live').getAttribute('data-grab-method')).toBe('video-frame-i420');
    // while the hands were followed, frames went as only the part around them that the last answer named
    expect(h.regions).toBeGreaterThan(0);
    expect(h.regions).toBeLessThan(h.requests);
    const live = page.getByTestId('live');
    expect(await live.getAttribute('data-max-in-flight')).toBe('1');
    // Whether camera frames were dropped depends on this machine's speed (with hands followed and I420
    // frames, detection can keep up with the 15 fps camera); that a newer frame replaces the waiting one and
    // none is ever queued is pinned by test/renderer/live/detect-loop.test.ts, and one in flight above.
    expect(await live.getAttribute('data-dropped')).toMatch(/^\d+$/); // the count is shown
    const readout = (await page.getByTestId('live-readout').textContent())!;
    expect(readout).toMatch(/(\d+\.\d) fps/);
    expect(readout).toMatch(/round trip \d+ ms \(p50 \d+, p95 \d+\)/);
    expect(readout).toMatch(/service \d+ ms \(pre \d+, model \d+, NMS/);
    expect(readout).toMatch(/640×360/);
    expect(readout).toMatch(/hands only \d+%/);
    console.log(`[live] readout: ${readout}; ${h.regions} of ${h.requests} frames sent as the hands' region`);
    // boxes are drawn: the overlay has coloured pixels while the sign is detected
    const painted = () =>
      page.getByTestId('live-overlay').evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
    await expect.poll(async () => (await painted()) > 100 && /now: 안녕하세요 \d+%/.test((await page.getByTestId('live-current').textContent())!), { timeout: 10_000, interval: 50 }).toBe(true);
    await page.screenshot({ path: screenshotPath('live.png'), fullPage: true });
    // speech: a Korean voice where the system has one, and a plain statement where it has none
    const voice = (await page.getByTestId('voice-status').textContent())!;
    expect(voice).toMatch(/^(Voice: .+ \(ko[-_]?[A-Za-z]*\)|Speech unavailable: .+)$/);
    if (voice.startsWith('Speech unavailable')) expect(await page.getByLabel('speak said words').isDisabled()).toBe(true);

    // Clear empties the strip
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.getByTestId('sentence').locator('.said-word').count()).toBeLessThanOrEqual(1);

    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    expect([await page.getByLabel('k frames').inputValue(), await page.getByLabel('n frames').inputValue()]).toEqual(['4', '6']);

    // the Kiosk button opens the kiosk in this window; Esc comes back
    await page.getByRole('button', { name: 'Kiosk mode' }).click();
    await page.getByTestId('kiosk').waitFor();
    expect(page.url()).toMatch(/#kiosk\?model=run%3A[^&]+&back=1$/);
    expect(await page.getByRole('navigation').count()).toBe(0); // no tabs, no menus
    await page.keyboard.press('Escape');
    await page.getByTestId('live').waitFor();
    expect(errors).toEqual([]);
    await page.context().close(); // its camera and loop would compete with the kiosk's
  }, 120_000);

  it('kiosk: the newest run without being told, large caption within 1 s, camera reconnect, idle reset', async () => {
    // a fresh browser profile: nothing chosen before, so the kiosk takes the newest run
    const { page, errors } = await newPage();
    await page.goto(`${server!.url}#kiosk?k=2&n=3`); // 2 of 3 frames: see the Live screen test
    await page.evaluate(() => ((window as unknown as { __sentenceTestId: string }).__sentenceTestId = 'kiosk-sentence'));
    await page.getByTestId('kiosk').waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('button').count()).toBe(0);
    const timings = await measure(page);
    const h = await hooked(page);
    console.log(`[kiosk] ${h.requests} requests; onset → word shown: ${timings.map((t) => `${t.shownAfterMs?.toFixed(0)} ms`).join(', ')}`);
    for (const t of timings.slice(0, 2)) {
      expect(t.shownAfterMs).not.toBeNull();
      expect(t.shownAfterMs!).toBeLessThan(1000);
    }
    expect(h.maxInFlight).toBe(1);
    expect(await page.getByTestId('kiosk-sentence').textContent()).toContain(WORD);
    await expect.poll(() => page.getByTestId('kiosk-current').textContent(), { timeout: 10_000 }).toBe(WORD);
    // large and in a Hangul font that is installed (no web fonts)
    const style = await page.getByTestId('kiosk-current').evaluate((e) => ({ size: parseFloat(getComputedStyle(e).fontSize), family: getComputedStyle(e).fontFamily }));
    expect(style.size).toBeGreaterThanOrEqual(48);
    expect(style.family).toMatch(/Nanum|Noto Sans KR/);
    await page.screenshot({ path: screenshotPath('kiosk.png') });

    // the camera goes away (unplugged): a visible status, retries, and detection resumes by itself
    await page.evaluate(() => {
      const v = document.querySelector('video')!;
      for (const t of (v.srcObject as MediaStream).getVideoTracks()) {
        t.stop();
        t.dispatchEvent(new Event('ended'));
      }
    });
    const status = page.getByTestId('kiosk-status');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 5_000 }).toBe('retrying');
    expect(await status.textContent()).toMatch(/카메라 연결 중… · camera lost: the camera stopped .* retrying every 3 s/);
    const before = (await hooked(page)).requests;
    await expect.poll(async () => (await status.count()) === 0 && (await hooked(page)).requests > before + 3, { timeout: 20_000 }).toBe(true);
    expect((await hooked(page)).maxInFlight).toBe(1);
    // opened as a counter's kiosk (no back=1): Esc does not leave it
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    expect(await page.getByTestId('kiosk').count()).toBe(1);

    // idle reset: with idle=1 the 1.5 s of empty wall between signings clears the captions
    await page.evaluate(() => (location.hash = '#kiosk?k=2&n=3&idle=1'));
    const sentence = page.getByTestId('kiosk-sentence');
    await expect.poll(() => sentence.textContent(), { timeout: 20_000 }).toContain(WORD);
    await expect.poll(() => sentence.textContent(), { timeout: 10_000 }).toBe('수어로 말씀해 주세요');
    await expect.poll(() => sentence.textContent(), { timeout: 10_000 }).toBe(WORD); // the next signing starts a new sentence
    expect(errors).toEqual([]);
  }, 120_000);
  /** The Live screen with the first model, once it has answered a few frames; its `live` element. */
  const liveAnswering = async (page: Page) => {
    await page.goto(server!.url);
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await expect.poll(() => page.getByTestId('camera-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    await page.getByLabel('model').selectOption({ index: 1 });
    await page.locator('[data-testid=model-state][data-ready=true]').waitFor({ timeout: 60_000 });
    const live = page.getByTestId('live');
    await expect.poll(async () => Number(await live.getAttribute('data-answered')), { timeout: 20_000 }).toBeGreaterThan(5);
    return live;
  };
  /** Every frame went as a binary message, one in flight, every answer a real one, no page error; then closes the page. */
  const expectCleanRun = async (page: Page, errors: string[], h: Hooked) => {
    expect(h.binary).toBe(h.requests);
    expect(h.maxInFlight).toBe(1);
    expect(h.answers.filter((a) => a.labels.includes('ERROR'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  };

  it('without WebCodecs (an older engine) the page reads frames from a canvas, still raw bytes, still one in flight', async () => {
    const { page, errors } = await newPage();
    await page.addInitScript(() => {
      delete (window as unknown as { VideoFrame?: unknown }).VideoFrame;
    });
    const live = await liveAnswering(page);
    expect(await live.getAttribute('data-grab-method')).toBe('canvas');
    await expectCleanRun(page, errors, await hooked(page));
  }, 60_000);

  it('an NV12 camera (most webcams on Windows) goes as I420 too, its chroma split on the page, regions and all', async () => {
    const { page, errors } = await newPage();
    // Camera frames that say they are NV12 and copy out as NV12 (Y, then U and V interleaved), made from
    // the fake camera's I420: what the page reads from a webcam that gives NV12.
    await page.addInitScript(() => {
      const w = window as unknown as { __nv12Copies: number };
      w.__nv12Copies = 0;
      const native = VideoFrame.prototype.copyTo;
      Object.defineProperty(VideoFrame.prototype, 'format', { get: () => 'NV12' });
      VideoFrame.prototype.copyTo = async function (this: VideoFrame, dest: AllowSharedBufferSource, options?: VideoFrameCopyToOptions) {
        const layout = (options as { layout?: { offset: number; stride: number }[] } | undefined)?.layout;
        if ((options as { format?: string } | undefined)?.format || !layout || layout.length !== 2 || !ArrayBuffer.isView(dest)) return native.call(this, dest, options);
        const r = (options as { rect?: { width: number; height: number } }).rect ?? this.visibleRect!;
        const [fw, fh] = [r.width, r.height];
        const [cw, ch] = [(fw + 1) >> 1, (fh + 1) >> 1];
        const i420 = new Uint8Array(fw * fh + 2 * cw * ch);
        await native.call(this, i420, { ...options, layout: [{ offset: 0, stride: fw }, { offset: fw * fh, stride: cw }, { offset: fw * fh + cw * ch, stride: cw }] } as VideoFrameCopyToOptions);
        const out = new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength);
        for (let y = 0; y < fh; y++) out.set(i420.subarray(y * fw, (y + 1) * fw), layout[0]!.offset + y * layout[0]!.stride);
        for (let y = 0; y < ch; y++) {
          for (let x = 0; x < cw; x++) {
            out[layout[1]!.offset + y * layout[1]!.stride + 2 * x] = i420[fw * fh + y * cw + x]!;
            out[layout[1]!.offset + y * layout[1]!.stride + 2 * x + 1] = i420[fw * fh + cw * ch + y * cw + x]!;
          }
        }
        w.__nv12Copies++;
        return layout;
      } as typeof native;
    });
    const live = await liveAnswering(page);
    // the first frame's check passed (our conversion of the split planes against Chromium's RGB of the frame)
    expect(await live.getAttribute('data-grab-method')).toBe('video-frame-i420');
    await expect.poll(async () => (await hooked(page)).regions, { timeout: 20_000 }).toBeGreaterThan(0);
    const h = await hooked(page);
    expect(await page.evaluate(() => (window as unknown as { __nv12Copies: number }).__nv12Copies)).toBeGreaterThanOrEqual(h.requests);
    expect(h.i420).toBe(h.requests);
    expect(h.answers.some((a) => a.labels.includes(WORD))).toBe(true);
    await expectCleanRun(page, errors, h);
  }, 90_000);

  it('a camera whose I420 does not convert like Chromium’s (here: its planes brightened by 8) goes as RGB', async () => {
    const { page, errors } = await newPage();
    await page.addInitScript(() => {
      const native = VideoFrame.prototype.copyTo;
      VideoFrame.prototype.copyTo = async function (this: VideoFrame, dest: AllowSharedBufferSource, options?: VideoFrameCopyToOptions) {
        const layout = await native.call(this, dest, options);
        // the planes only (an RGBX copy is left alone): the page's check must catch the mismatch
        if (!(options as { format?: string } | undefined)?.format && ArrayBuffer.isView(dest)) {
          const b = new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength);
          for (let i = 0; i < b.length; i++) b[i] = Math.min(255, b[i]! + 8);
        }
        return layout;
      };
    });
    const live = await liveAnswering(page);
    expect(await live.getAttribute('data-grab-method')).toBe('video-frame');
    const h = await hooked(page);
    expect(h.i420).toBe(0);
    await expectCleanRun(page, errors, h);
  }, 60_000);
});
