/**
 * Model-assisted labelling in the editor, in Debian's Chromium against the real `ksl serve`: pick a trained
 * run, propose boxes for the frame on screen and for the rest of its video; proposals are drawn as model
 * boxes (dashed, scored, with a hint) and Space accepts them. The catalog file is the judge.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, serve, type Served } from '../helpers/browser';
import { openEditor, waitFrame, waitIdle } from '../helpers/editor-page';
import { framesInOrder, readBoxes } from '../helpers/editor-project';
import { trainedProject } from '../main/inference/trained-project';

async function until<T>(read: () => T, check: (v: T) => boolean, what: string, timeout = 30_000): Promise<T> {
  const t0 = Date.now();
  let v = read();
  while (!check(v)) {
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = read();
  }
  return v;
}

describe('editor: propose boxes with a trained model', () => {
  let browser: Browser;
  let root: string;
  let project: string;
  let runId: string;
  let served: Served;
  let video: { id: number; video_id: number | null }[];

  beforeAll(async () => {
    ({ root, projectDir: project, runId } = await trainedProject('ksl-propose-e2e-'));
    // The first video in editor order loses its ground truth: nobody has labelled it yet.
    const order = framesInOrder(project);
    video = order.filter((f) => f.video_id === order[0]!.video_id);
    const db = new Database(path.join(project, 'catalog.sqlite'));
    try {
      const ids = video.map((f) => f.id).join(',');
      db.prepare(`DELETE FROM boxes WHERE frame_id IN (${ids})`).run();
      db.prepare(`UPDATE frames SET status = 'unlabelled' WHERE id IN (${ids})`).run();
    } finally {
      db.close();
    }
    browser = await launchChromium();
    served = await serve(project);
  }, 240_000);
  afterAll(async () => {
    await served?.stop();
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('proposes for this frame and the rest of the video; model boxes are marked until accepted', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openEditor(page, served.url);
    const first = video[0]!.id;
    expect(await waitFrame(page)).toBe(first);

    const panel = page.getByTestId('propose');
    const picker = panel.getByLabel('proposal model');
    await picker.waitFor();
    expect(await picker.inputValue()).toBe(`run:${runId}`);
    // The 20-step model is unsure of itself: take every proposal (up to 5 per frame).
    await panel.getByLabel('proposal threshold').fill('0');
    await panel.getByRole('button', { name: 'Propose boxes' }).click();

    const boxes = await until(() => readBoxes(project, first), (b) => b.length > 0, 'proposals on the frame');
    expect(boxes.length).toBeLessThanOrEqual(5);
    expect(boxes.every((b) => b.source === 'model' && b.verified === 0)).toBe(true);
    // Drawn as model proposals: the source class, dashed while unverified, the score in the label, a hint.
    const drawn = page.locator('[data-testid="box"][data-source="model"]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="box"][data-source="model"].unverified').length === n, boxes.length);
    expect(await drawn.count()).toBe(boxes.length);
    expect(await drawn.first().locator('.box-tags').textContent()).toMatch(/model 0\.\d\d \?/);
    await expect.poll(() => panel.getByTestId('propose-hint').textContent()).toMatch(new RegExp(`${boxes.length} model proposal`));
    await page.screenshot({ path: screenshotPath('editor-model-proposals.png') });

    // Space accepts them: verified in the catalog, no longer dashed.
    await page.keyboard.press(' ');
    await until(() => readBoxes(project, first), (b) => b.every((x) => x.verified === 1), 'the accepted proposals');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="box"].unverified').length === 0);

    // The rest of the video, from the next frame on.
    await page.keyboard.press('d');
    await waitFrame(page, video[1]!.id);
    await panel.getByRole('button', { name: '… rest of video' }).click();
    await until(
      () => video.slice(1).map((f) => readBoxes(project, f.id).length),
      (n) => n.every((x) => x > 0),
      'proposals on the rest of the video',
      60_000,
    );
    await waitIdle(page);
    await expect.poll(() => page.getByTestId('propose-result').textContent(), { timeout: 20_000 }).toMatch(new RegExp(`on ${video.length - 1} frame\\(s\\)`));
    expect(readBoxes(project, first).every((b) => b.verified === 1)).toBe(true);
    expect(errors).toEqual([]);
  }, 180_000);
});
