import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshotPath, serve, type Served } from '../helpers/browser';
import { makeClip } from '../helpers/video';
import { repoRoot } from '../helpers/fixtures';

const ksl = (args: string[]) => execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'ksl.cjs'), ...args], { encoding: 'utf8' });

describe('first screen in Chromium against ksl serve', () => {
  let browser: Browser;
  let work: string;
  const servers: Served[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-e2e-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('creates a project in an empty folder and shows its summary', async () => {
    const dir = path.join(work, '새 프로젝트');
    mkdirSync(dir);
    const s = await serve(dir);
    servers.push(s);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(s.url);
    await page.getByRole('heading', { name: 'No project is open' }).waitFor();
    await page.getByRole('button', { name: 'Create a project in this folder' }).click();
    await page.getByTestId('project-name').waitFor();
    expect(await page.getByTestId('project-name').textContent()).toBe('새 프로젝트');
    for (const key of ['words', 'signers', 'videos', 'frames', 'labelledFrames', 'boxes']) {
      expect(await page.getByTestId(`count-${key}`).locator('.card-value').textContent()).toBe('0');
    }
    // the CLI sees the same project
    expect(JSON.parse(ksl(['info', dir, '--json'])).counts.frames).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('progress events move the bar, the summary follows the job, and Cancel ends it as cancelled', async () => {
    const dir = path.join(work, 'extract');
    ksl(['init', dir]);
    const clips = path.join(dir, 'imports', 'clips');
    mkdirSync(clips, { recursive: true });
    // two 720p clips: a few seconds of decoding, long enough to watch and cancel
    makeClip(path.join(clips, '안녕하세요_1.mp4'), { seconds: 4, size: '1280x720', rate: 30 });
    makeClip(path.join(clips, '감사합니다_1.mp4'), { seconds: 40, size: '1280x720', rate: 30 });
    ksl(['import', 'videos', dir, clips]);
    const s = await serve(dir);
    servers.push(s);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(s.url);
    await page.getByTestId('words-table').getByText('감사합니다').waitFor();
    expect(await page.getByTestId('count-videos').locator('.card-value').textContent()).toBe('2');

    await page.getByRole('button', { name: 'Extract frames' }).click();
    const job = page.getByTestId('job').first();
    const bar = job.getByRole('progressbar');
    // watch the bar's value change at least twice while the job runs
    const seen = new Set<string>();
    for (let i = 0; i < 400 && seen.size < 3; i++) {
      const v = await bar.getAttribute('aria-valuenow');
      if (v && v !== '0') seen.add(v);
      await page.waitForTimeout(25);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    // the short clip finishes first: its frames appear in the summary while the job still runs
    await expect.poll(async () => Number(await page.getByTestId('count-frames').locator('.card-value').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await job.getAttribute('data-state')).toBe('running');
    await page.screenshot({ path: screenshotPath('project-summary-with-job.png') });

    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 10_000 }).toBe('cancelled');
    expect(await job.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    // the catalog agrees: the job is recorded as cancelled and can be resumed
    const jobs = JSON.parse(ksl(['jobs', dir, '--json']));
    expect(jobs[0]).toMatchObject({ kind: 'extract', state: 'cancelled', resumable: true });
    await page.getByTestId('unfinished-job').getByRole('button', { name: 'Resume' }).waitFor();
    await page.close();
  });
});
