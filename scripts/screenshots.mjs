#!/usr/bin/env node
/**
 * `npm run screenshots`: copies the browser tests' screenshots of the main screens
 * (test-results/screenshots, written by `npm test` / `npm run test:e2e`) into docs/screenshots for the
 * README, scaled to 960 px wide as JPEG with ffmpeg so the repository stays small.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'test-results', 'screenshots');
const to = path.join(root, 'docs', 'screenshots');
const SCREENS = ['project-summary-with-job', 'frames', 'editor', 'editor-model-proposals', 'dataset', 'train', 'live', 'kiosk'];

mkdirSync(to, { recursive: true });
const missing = SCREENS.filter((name) => !existsSync(path.join(from, `${name}.png`)));
if (missing.length > 0) {
  console.error(`screenshots: ${missing.join(', ')} not found in ${from}; run the browser tests first (npm run test:e2e).`);
  process.exit(1);
}
for (const name of SCREENS) {
  const out = path.join(to, `${name}.jpg`);
  execFileSync(process.env.FFMPEG_PATH || 'ffmpeg', ['-v', 'error', '-y', '-i', path.join(from, `${name}.png`), '-vf', 'scale=960:-2:flags=lanczos', '-q:v', '3', out]);
  console.log(`wrote ${path.relative(root, out)}`);
}
