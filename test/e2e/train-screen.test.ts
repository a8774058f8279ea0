/**
 * The Train screen in Chromium against `ksl serve`, with real clicks on a small sample project:
 * Start a run, watch the live line (step, loss, samples/s) and the loss chart, Cancel it, Resume it
 * from the runs table, and read the best checkpoint's report — per-word AP in Hangul, the confusion
 * matrix and the precision–recall curves — whose numbers must be the run's own COCO evaluation
 * (`ksl runs --json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, serve, type Served } from '../helpers/browser';
import { ksl } from '../helpers/cli';
import { buildSampleProject } from '../helpers/sample-project';

describe('train screen', () => {
  let browser: Browser;
  let work: string;
  let project: string;
  let server: Served | undefined;
  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-e2e-train-'));
    project = buildSampleProject(work, { words: 2, signers: 3, seconds: 1 });
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('starts, cancels, resumes and reports a run', async () => {
    server = await serve(project);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(() => page.getByText('No runs yet.').count(), { timeout: 10_000 }).toBe(1);

    // Start with enough steps that there is time to cancel after the first live progress.
    await page.getByLabel('steps').fill('200');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const live = page.getByTestId('train-live');
    await live.waitFor({ timeout: 120_000 });
    expect(await live.textContent()).toMatch(/step \d+ · loss \d+\.\d+ \(class .*box .*\) · lr .* · [\d.]+ samples\/s/);
    await page.getByTestId('loss-chart').waitFor();
    await page.getByTestId('job').getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('job').first().getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');

    // The runs table offers Resume for the cancelled run; it finishes with the same schedule.
    const runs = page.getByTestId('runs-table');
    await expect.poll(() => runs.getByText('cancelled').count(), { timeout: 10_000 }).toBe(1);
    await runs.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('[data-testid=job][data-state=ok]').count(), { timeout: 240_000, interval: 1000 }).toBe(1);
    await expect.poll(() => runs.getByText('ok', { exact: true }).count(), { timeout: 10_000 }).toBe(1);
    expect(await runs.getByRole('button', { name: 'Resume' }).count()).toBe(0);

    // The report is the run's own evaluation.
    const listed = ksl(['runs', project, '--json']).json() as { id: string; status: string; metrics: { AP50: number; AP: number } }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]!.status).toBe('ok');
    const report = page.getByTestId('run-report');
    await report.waitFor();
    expect(await report.textContent()).toContain(`test AP ${listed[0]!.metrics.AP.toFixed(3)}, AP50 ${listed[0]!.metrics.AP50.toFixed(3)}`);
    const words = await page.getByTestId('per-word-ap').locator('tbody tr td:first-child').allTextContents();
    expect(words.sort()).toEqual(['119', '안녕하세요'].sort());
    expect(await page.getByTestId('confusion').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('pr-curves').locator('svg').count()).toBe(2);
    expect(await page.getByTestId('run-history').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('train.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 420_000);
});
