/**
 * Model-assisted labelling with a real trained run: editor.propose over the in-memory transport puts the
 * model's detections on frames nobody labelled as source 'model', unverified, with their scores and the
 * project's words; frames with boxes and skipped frames are left alone; catalog.changed is announced.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../../src-shared/api';
import type { AppServices } from '../../../src-main/services/app-services';
import { classToWord, proposeBoxes } from '../../../src-main/services/inference/propose';
import { memoryApi } from '../../helpers/memory-transport';
import { trainedProject } from './trained-project';

describe('editor.propose', () => {
  let root: string;
  let projectDir: string;
  let runId: string;
  let api: Api;
  let services: AppServices;
  beforeAll(async () => {
    ({ root, projectDir, runId } = await trainedProject('ksl-propose-'));
    ({ api, services } = memoryApi({ door: 'web', servedDir: projectDir }));
    services.open(projectDir);
  }, 240_000);
  afterAll(async () => {
    await services.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('proposes boxes on unlabelled frames only, as unverified model boxes with the right words', async () => {
    const db = services.current()!.project.db;
    const frames = db.prepare('SELECT f.id, f.width, f.height, v.word_id AS wordId FROM frames f JOIN videos v ON v.id = f.video_id ORDER BY f.id LIMIT 5').all() as {
      id: number;
      width: number;
      height: number;
      wordId: number;
    }[];
    const [a, b, skipped, kept, c] = frames as [(typeof frames)[0], (typeof frames)[0], (typeof frames)[0], (typeof frames)[0], (typeof frames)[0]];
    // a, b, c unlabelled; one skipped (no boxes); one keeps its ground-truth boxes.
    db.prepare(`DELETE FROM boxes WHERE frame_id IN (${[a.id, b.id, skipped.id, c.id].join(',')})`).run();
    db.prepare(`UPDATE frames SET status = 'unlabelled' WHERE id IN (${[a.id, b.id, c.id].join(',')})`).run();
    db.prepare(`UPDATE frames SET status = 'skipped' WHERE id = ?`).run(skipped.id);
    const keptBefore = db.prepare('SELECT * FROM boxes WHERE frame_id = ? ORDER BY id').all(kept.id);
    expect(keptBefore.length).toBeGreaterThan(0);

    const changed: string[][] = [];
    api.on('catalog.changed', (e) => changed.push(e.tables));
    // The tiny 20-step model is not confident: threshold 0 with at most 2 boxes per frame. Its second stage
    // reads each of the 2 candidate hands from a close-up and refines its box; two refined boxes of one word
    // on one hand collapse into one, so a frame gets 1 or 2.
    const r = await api.invoke('editor.propose', { modelId: `run:${runId}`, frameIds: [a.id, b.id, skipped.id, kept.id, c.id], settings: { threshold: 0, iou: 0.6, maxDetections: 2 } });
    expect(r).toMatchObject({ ok: true, value: { frames: 3, skipped: 2 } });
    const proposed = r.ok ? r.value.boxes : -1;
    expect(proposed).toBeGreaterThanOrEqual(3);
    expect(proposed).toBeLessThanOrEqual(6);
    await new Promise((res) => setTimeout(res, 20));
    expect(changed).toContainEqual(['frames', 'boxes']);

    const words = classToWord(services.current()!.project, `${projectDir}/runs/${runId}/label_map.pbtxt`);
    // Label-map names map back to the very words training numbered (labelMapItems of the run's level).
    const cfg = JSON.parse(readFileSync(`${projectDir}/runs/${runId}/run.json`, 'utf8')) as { classes: { id: number; text: string }[] };
    const byText = new Map((db.prepare('SELECT id, text FROM words').all() as { id: number; text: string }[]).map((w) => [w.text, w.id]));
    expect([...words.entries()].sort((x, y) => x[0] - y[0])).toEqual(cfg.classes.map((c) => [c.id, byText.get(c.text)]));
    const projectWords = new Set((db.prepare('SELECT id FROM words').pluck().all() as number[]));
    for (const f of [a, b, c]) {
      const boxes = db.prepare('SELECT * FROM boxes WHERE frame_id = ? ORDER BY id').all(f.id) as { source: string; verified: number; score: number; word_id: number; x: number; y: number; w: number; h: number }[];
      expect(boxes.length).toBeGreaterThanOrEqual(1);
      expect(boxes.length).toBeLessThanOrEqual(2);
      for (const bx of boxes) {
        expect(bx.source).toBe('model');
        expect(bx.verified).toBe(0);
        expect(bx.score).toBeGreaterThan(0);
        expect(bx.score).toBeLessThanOrEqual(1);
        expect(projectWords.has(bx.word_id)).toBe(true);
        expect(bx.x).toBeGreaterThanOrEqual(0);
        expect(bx.x + bx.w).toBeLessThanOrEqual(f.width + 1e-6);
        expect(bx.y + bx.h).toBeLessThanOrEqual(f.height + 1e-6);
      }
      if (boxes.length === 2) expect(boxes[0]!.score).toBeGreaterThanOrEqual(boxes[1]!.score);
      expect(db.prepare('SELECT status FROM frames WHERE id = ?').pluck().get(f.id)).toBe('labelled');
    }
    expect(db.prepare('SELECT count(*) FROM boxes WHERE frame_id = ?').pluck().get(skipped.id)).toBe(0);
    expect(db.prepare('SELECT * FROM boxes WHERE frame_id = ? ORDER BY id').all(kept.id)).toEqual(keptBefore);

    // The editor sees them as model proposals; verifying the frame accepts them.
    const ef = await api.invoke('editor.frame', { frameId: a.id });
    expect(ef.ok && ef.value!.boxes.every((bx) => bx.source === 'model' && !bx.verified && bx.score !== null)).toBe(true);
    const v = await api.invoke('editor.verifyFrame', { frameId: a.id });
    expect(v.ok && v.value.boxes.every((bx) => bx.verified)).toBe(true);

    // A second run finds nothing left to do.
    const again = await api.invoke('editor.propose', { modelId: `run:${runId}`, frameIds: [a.id, b.id, c.id], settings: { threshold: 0, iou: 0.6, maxDetections: 2 } });
    expect(again).toMatchObject({ ok: true, value: { frames: 0, boxes: 0, skipped: 3 } });
  }, 120_000);

  it('gives a fixed-input model a frame of its shape stretched to its input, and one of another shape (upright) at its own size to fit', async () => {
    const project = services.current()!.project;
    const db = project.db;
    const [wide, tall] = db.prepare(`SELECT id, file, width, height FROM frames WHERE status != 'skipped' ORDER BY id DESC LIMIT 2`).all() as { id: number; file: string; width: number; height: number }[];
    // the second frame filmed upright: turned a quarter (ffmpeg transpose=1), its boxes gone
    const file = path.join(projectDir, tall!.file);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', file, '-vf', 'transpose=1', '-q:v', '2', `${file}.turned.jpg`]);
    renameSync(`${file}.turned.jpg`, file);
    db.prepare('UPDATE frames SET width = ?, height = ? WHERE id = ?').run(tall!.height, tall!.width, tall!.id);
    db.prepare(`DELETE FROM boxes WHERE frame_id IN (?, ?)`).run(wide!.id, tall!.id);
    db.prepare(`UPDATE frames SET status = 'unlabelled' WHERE id IN (?, ?)`).run(wide!.id, tall!.id);
    // A detector-only model with a 16:9 input (no second stage): what it is given, and a box in the middle.
    const given: string[] = [];
    const r = await proposeBoxes(
      project,
      {
        input: { width: 384, height: 224 },
        labelMap: null,
        detect: async (rgb, w, h) => {
          expect(rgb.length).toBe(w * h * 3);
          given.push(`${w}x${h}`);
          return { detections: [{ classId: 1, label: 'x', score: 0.9, box: [0.25, 0.25, 0.75, 0.75] }] };
        },
      },
      [wide!.id, tall!.id],
      undefined,
    );
    expect(r).toMatchObject({ frames: 2, boxes: 2 });
    expect(given.sort()).toEqual(['360x640', '384x224']);
    // the box is on the frame it was found on, at that frame's size
    const box = db.prepare('SELECT x, y, w, h FROM boxes WHERE frame_id = ?').get(tall!.id) as { x: number; y: number; w: number; h: number };
    expect(box).toEqual({ x: 90, y: 160, w: 180, h: 320 });
  }, 60_000);
});
