/**
 * Driving the editor in Chromium with real mouse and keyboard events: open the Editor tab, wait until a
 * frame's image is decoded and its boxes drawn, convert image pixels to page coordinates (from the <img>'s
 * own transformed bounding box, so the test does not trust the app's view maths), and drag.
 */
import type { Page } from 'playwright-core';

export async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Editor', exact: true }).click();
  await waitFrame(page);
}

/** Waits until the stage shows a frame (that frame, when given) with its image decoded; returns its id. */
export async function waitFrame(page: Page, frameId?: number, timeout = 15_000): Promise<number> {
  await page.waitForFunction(
    (id) => {
      const s = document.querySelector('[data-testid="editor-stage"]');
      if (!s || s.getAttribute('data-image-ready') !== 'true') return false;
      return id === undefined || s.getAttribute('data-frame-id') === String(id);
    },
    frameId,
    { timeout },
  );
  return Number(await page.getByTestId('editor-stage').getAttribute('data-frame-id'));
}

export interface ImageMap {
  scale: number;
  toPage(x: number, y: number): { x: number; y: number };
}

/** Image pixel → page coordinates for the image on screen now. */
export async function imageMap(page: Page): Promise<ImageMap> {
  const img = page.getByTestId('editor-image');
  const bb = await img.boundingBox();
  const width = Number(await img.getAttribute('width'));
  if (!bb || !width) throw new Error('the editor image is not on screen');
  const scale = bb.width / width;
  return { scale, toPage: (x, y) => ({ x: bb.x + x * scale, y: bb.y + y * scale }) };
}

/** A real drag: press, move in steps, release (image pixels). */
export async function drag(page: Page, map: ImageMap, from: [number, number], to: [number, number], steps = 8): Promise<void> {
  const a = map.toPage(...from);
  const b = map.toPage(...to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps });
  await page.mouse.up();
}

/** Ids of the boxes drawn on the stage (negative: not answered by the server yet). */
export async function boxIds(page: Page): Promise<number[]> {
  return page.$$eval('[data-testid="box"]', (els) => els.map((e) => Number(e.getAttribute('data-box-id'))));
}

/** Waits until `n` boxes are drawn and every one has its catalog id (the requests have returned). */
export async function waitSavedBoxes(page: Page, n: number, timeout = 10_000): Promise<number[]> {
  await page.waitForFunction(
    (count) => {
      const ids = [...document.querySelectorAll('[data-testid="box"]')].map((e) => Number(e.getAttribute('data-box-id')));
      const pending = document.querySelector('[data-testid="save-state"]')?.getAttribute('data-pending');
      return ids.length === count && ids.every((id) => id > 0) && pending === '0';
    },
    n,
    { timeout },
  );
  return boxIds(page);
}

/** Waits until every edit sent has been answered. */
export async function waitIdle(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid="save-state"]')?.getAttribute('data-pending') === '0', undefined, { timeout });
}

/** The durations of the frame-change measures recorded so far (performance.measure 'ksl:frame-shown'). */
export async function frameMeasures(page: Page): Promise<{ duration: number; frameId: number; prefetched: boolean }[]> {
  return page.evaluate(() =>
    performance.getEntriesByName('ksl:frame-shown').map((e) => {
      const d = (e as PerformanceMeasure).detail as { frameId: number; prefetched: boolean };
      return { duration: e.duration, frameId: d.frameId, prefetched: d.prefetched };
    }),
  );
}
