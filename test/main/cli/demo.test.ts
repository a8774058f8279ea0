/**
 * `ksl demo`: the whole pipeline through the built CLI on a tiny sample (2 words, 3 signers, 1 s clips,
 * few steps) — the same code path as `npm run demo`, only smaller. Checks the documented JSON shape, that
 * the files it names exist, that its metrics are the run's own COCO evaluation (recomputed by `ksl eval`),
 * that the detect stage ran the exported model over a held-out signer's video, and that it never writes
 * into a folder that holds something.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topWordOf } from '../../../src-main/services/demo/demo-detect';
import { ksl } from '../../helpers/cli';

describe('ksl demo', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ksl-demo-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs sample → … → detect and reports where everything is, the test metrics and the live rate', () => {
    const out = path.join(root, 'demo');
    const r = ksl(['demo', '--out', out, '--words', '2', '--signers', '3', '--seconds', '1', '--steps', '30', '--json', '--quiet'], { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const d = r.json();
    // The shape: {project, model, metrics:{AP50, AP, ...}, detect:{fps, latencyMs}}
    expect(d.project).toBe(path.join(out, 'project'));
    expect(existsSync(path.join(d.project, 'catalog.sqlite'))).toBe(true);
    expect(d.model).toMatch(/model\.onnx$/);
    expect(readFileSync(d.model).length).toBeGreaterThan(1_000_000);
    expect(readFileSync(d.labelMap, 'utf8')).toMatch(/item\s*\{/);
    for (const k of ['AP', 'AP50', 'AP75']) {
      expect(d.metrics[k]).toBeGreaterThanOrEqual(0);
      expect(d.metrics[k]).toBeLessThanOrEqual(1);
    }
    expect(d.detect.frames).toBeGreaterThan(10);
    expect(d.detect.fps).toBeGreaterThan(0);
    expect(d.detect.latencyMs.p95).toBeGreaterThanOrEqual(d.detect.latencyMs.p50);
    expect(d.split.test.signers).toBeGreaterThan(0);
    expect(d.split.train.signers + d.split.test.signers).toBe(3);
    expect(existsSync(d.detect.video)).toBe(true);
    expect(d.seconds.total).toBeGreaterThan(0);

    // The metrics are the run's own test-split COCO evaluation.
    const e = ksl(['eval', d.project, '--run', d.run, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.json().metrics.AP50).toBeCloseTo(d.metrics.AP50, 9);
    expect(e.json().metrics.AP).toBeCloseTo(d.metrics.AP, 9);

    // The video it detected on belongs to a signer whose frames are all on the test side.
    const db = new Database(path.join(d.project, 'catalog.sqlite'), { readonly: true });
    try {
      const sides = db
        .prepare(
          `SELECT DISTINCT m.side AS side FROM split_members m JOIN frames f ON f.id = m.frame_id JOIN videos v ON v.id = f.video_id
             JOIN signers s ON s.id = v.signer_id WHERE s.code = ?`,
        )
        .all(d.detect.signer) as { side: string }[];
      expect(sides).toEqual([{ side: 'test' }]);
    } finally {
      db.close();
    }
  }, 320_000);

  it('refuses a folder that is not empty, and leaves it as it was', () => {
    const out = path.join(root, 'taken');
    mkdirSync(out);
    writeFileSync(path.join(out, 'notes.txt'), '내 메모');
    const r = ksl(['demo', '--out', out, '--json']);
    expect(r.code).toBe(2); // a usage error: the folder given is the wrong one
    expect(r.stderr).toMatch(/taken is not empty.*--out/);
    expect(r.json()).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('내 메모');
    expect(existsSync(path.join(out, 'project'))).toBe(false);
  });

  it('counts the word said most often from the top detection of each frame', () => {
    const b = (label: string, score: number) => ({ label, score });
    expect(topWordOf([{ boxes: [b('학교', 0.9), b('병원', 0.7)] }, { boxes: [b('병원', 0.8)] }, { boxes: [b('학교', 0.95)] }, { boxes: [] }])).toEqual({ word: '학교', share: 0.5 });
    expect(topWordOf([])).toEqual({ word: null, share: 0 });
  });
});
