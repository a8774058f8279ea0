/**
 * The data screens in Chromium against `ksl serve`: Import (KETI preview, then import), Project
 * (extract), Frames (virtualised grid, filters) and Dataset (split by signer, leak check, per
 * signer and word, TFRecord export as a job) — with real mouse clicks on a sample dataset.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, serve, type Served } from '../helpers/browser';
import { repoRoot } from '../helpers/fixtures';

const ksl = (args: string[]) => execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'ksl.cjs'), ...args], { encoding: 'utf8' });

describe('import, frames and dataset screens', () => {
  let browser: Browser;
  let work: string;
  let server: Served | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-e2e-data-'));
  });
  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('goes from a KETI sheet to an exported split by clicking', async () => {
    const project = path.join(work, '프로젝트');
    ksl(['init', project]);
    const sample = JSON.parse(ksl(['sample', '--out', path.join(work, 'sample'), '--words', '3', '--signers', '3', '--seconds', '1', '--json', '--quiet']));
    // the browser door reads files inside the project: the researcher copies them to imports/
    cpSync(path.join(work, 'sample'), path.join(project, 'imports', 'keti'), { recursive: true });
    server = await serve(project);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);

    // Import: choose the files, preview, import
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByLabel('Annotation sheet').selectOption('imports/keti/KETI-annotations.xlsx');
    await page.getByLabel('Word list (단어)').selectOption('imports/keti/selected_words.xlsx');
    await page.getByLabel('Level table (index, 레벨)').selectOption('imports/keti/labels.xlsx');
    await page.getByLabel('Video folder').selectOption('imports/keti/videos');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('keti-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/9 pass the filters — 3 words, 3 signers; videos matched 9, missing 0/);
    expect(JSON.parse(ksl(['info', project, '--json'])).counts.videos).toBe(0); // the preview wrote nothing
    await page.getByRole('button', { name: 'Import', exact: true }).last().click();
    await expect.poll(async () => JSON.parse(ksl(['info', project, '--json'])).counts.videos, { timeout: 20_000 }).toBe(9);

    // Project: extract frames (5 fps) and watch the job end
    await page.getByRole('button', { name: 'Project', exact: true }).click();
    await page.getByRole('button', { name: 'Extract frames' }).click();
    await expect.poll(() => page.getByTestId('job').first().getAttribute('data-state'), { timeout: 60_000 }).toBe('ok');
    await expect.poll(async () => page.getByTestId('count-frames').locator('.card-value').textContent(), { timeout: 10_000 }).toBe('45');

    // Frames: the grid shows thumbnails; a word filter narrows it
    await page.getByRole('button', { name: 'Frames', exact: true }).click();
    await expect.poll(() => page.getByTestId('frame-total').textContent()).toBe('45 frames');
    await page.getByTestId('frame-tile').first().waitFor();
    const tiles = await page.getByTestId('frame-tile').count();
    expect(tiles).toBeGreaterThan(0);
    expect(tiles).toBeLessThanOrEqual(45);
    await page.getByLabel('word').selectOption({ label: sample.wordList[0] });
    await expect.poll(() => page.getByTestId('frame-total').textContent()).toBe('15 frames');
    await page.screenshot({ path: screenshotPath('frames.png') });

    // boxes from the sample's ground truth, then the Dataset screen
    ksl(['import', 'groundtruth', project, path.join(project, 'imports', 'keti', 'ground-truth.json')]);
    await page.getByRole('button', { name: 'Dataset', exact: true }).click();
    await page.getByRole('button', { name: 'Make split' }).click();
    const report = page.getByTestId('split-report');
    await report.waitFor();
    expect(await page.getByTestId('leak-check').textContent()).toMatch(/No leaks: no signer on both sides/);
    const signerRows = page.getByTestId('split-per-signer').locator('tbody tr');
    expect(await signerRows.count()).toBe(3);
    expect(await page.getByTestId('split-per-signer').textContent()).not.toMatch(/both — leak/);
    expect(await page.getByTestId('split-per-word').locator('tbody tr').count()).toBe(3);
    await page.getByRole('button', { name: 'TFRecord + pipeline.config' }).click();
    await page.getByTestId('export-folder').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('export-folder').textContent()).toMatch(/exports\/tfrecord-all-/);
    await page.screenshot({ path: screenshotPath('dataset.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
