/**
 * Training end to end on generated frames, in seconds: real frames from a sample dataset, the real
 * pretrained backbone in onnxruntime, the head trained with TensorFlow.js, metrics from the app's
 * COCO evaluation; cancel keeps a checkpoint and resume finishes the same schedule.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainParams } from '../../../src-shared/api';
import { COCO_STAT_KEYS } from '../../../src-shared/coco/coco-eval';
import type { JobEvent, JobProgress } from '../../../src-shared/jobs';
import { openProject } from '../../../src-main/services/catalog/project';
import { JobManager } from '../../../src-main/services/jobs/job-manager';
import { evaluateRun } from '../../../src-main/services/training/evaluate-run';
import { trainJob, type TrainResult } from '../../../src-main/services/training/train-job';
import { HEAD_WEIGHT_NAMES } from '../../../src-main/services/detector/head/ssd-head';
import { buildSampleProject } from '../../helpers/sample-project';
import { useTmpDir } from '../../helpers/tmp';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { inputDims, type AnchorConfig } from '../../../src-shared/detector/anchors';
import { frameFit } from '../../../src-shared/frame-fit';
import { getSplit } from '../../../src-main/services/dataset/split';
import { labelMapItems } from '../../../src-main/services/dataset/label-maps';
import { splitExamples } from '../../../src-main/services/dataset/split-examples';

describe('training the fast preset', () => {
  let projectDir: string;
  beforeAll(() => {
    projectDir = buildSampleProject(mkdtempSync(path.join(os.tmpdir(), 'ksl-train-')));
  }, 180_000);
  afterAll(() => rmSync(projectDir, { recursive: true, force: true }));
  const tmp = useTmpDir();

  it('trains a tiny model: the loss falls and the metrics come from the COCO evaluation', async () => {
    const p = openProject(projectDir);
    const events: JobEvent[] = [];
    const m = new JobManager(p, { train: trainJob }, { emit: (e) => events.push(e), throttleMs: 0 });
    const id = m.start('train', TrainParams.parse({ steps: 60, batch: 8, copies: 1, checkpoints: 2, lr: 0.005 }));
    const end = await m.wait(id);
    expect(end.outcome, end.error?.message).toBe('ok');
    const r = end.result as TrainResult;
    const losses = events.filter((e): e is JobProgress => e.type === 'progress' && e.metrics?.loss !== undefined).map((e) => e.metrics!.loss!);
    const head = losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(tail).toBeLessThan(head * 0.7);
    expect(Object.keys(r.metrics).sort()).toEqual([...COCO_STAT_KEYS].sort());
    expect(r.metrics.AP50).toBeGreaterThanOrEqual(0);
    expect(r.perWord).toHaveLength(2);
    expect(r.featureBackend).toBe('onnxruntime-node');
    // the run record: config with the pretrained model and its licence, status and metrics
    const row = p.db.prepare('SELECT status, config, metrics FROM runs WHERE id = ?').get(r.run) as { status: string; config: string; metrics: string };
    expect(row.status).toBe('ok');
    expect(JSON.parse(row.config).pretrained).toMatchObject({ package: 'handtrackjs@0.1.5', licence: 'ISC' });
    expect(JSON.parse(row.metrics).AP).toBe(r.metrics.AP);
    // progress events carry step, losses, learning rate and throughput
    const last = events.filter((e): e is JobProgress => e.type === 'progress').pop()!;
    expect(last.metrics).toMatchObject({ step: 60 });
    expect(last.metrics!.lr).toBeGreaterThanOrEqual(0);
    expect(last.metrics!.samplesPerSecond).toBeGreaterThan(0);
    // `ksl eval` recomputes the same numbers from freshly decoded frames
    const again = await evaluateRun(p, r.run);
    for (const k of COCO_STAT_KEYS) expect(again.metrics[k], k).toBeCloseTo(r.metrics[k]!, 6);
    // the second stage (close-ups of the hands) was trained and the metrics are the two-stage model's,
    // with the detector's own beside them, in training and in `ksl eval` alike
    expect(r.secondStage!.crops).toBeGreaterThan(0);
    const cropHeader = JSON.parse(readFileSync(path.join(projectDir, r.runDir, 'crop-classifier.json'), 'utf8')) as { extra: Record<string, unknown> };
    // crops of the labelled hands plus those mined from the detector's own candidates on the training frames
    expect(cropHeader.extra.minedHands as number).toBeGreaterThanOrEqual(0);
    expect(cropHeader.extra.crops as number).toBeGreaterThanOrEqual((cropHeader.extra.minedHands as number) + (cropHeader.extra.noSign as number));
    expect(cropHeader.extra.background).toBe((cropHeader.extra.noSign as number) > 0);
    expect(Object.keys(r.secondStage!.detector).sort()).toEqual([...COCO_STAT_KEYS].sort());
    for (const k of COCO_STAT_KEYS) expect(again.detector![k], k).toBeCloseTo(r.secondStage!.detector[k]!, 6);
    expect(events.some((e) => e.type === 'progress' && /Close-ups of the hands: \d+\/\d+/.test(e.message ?? ''))).toBe(true);
    p.close();
  }, 180_000);

  it('cancel saves a checkpoint; resume finishes the same schedule', async () => {
    const p = openProject(projectDir);
    const events: JobEvent[] = [];
    const m = new JobManager(p, { train: trainJob }, { emit: (e) => events.push(e), throttleMs: 0 });
    const id = m.start('train', TrainParams.parse({ steps: 80, batch: 8, copies: 1, checkpoints: 1 }));
    // cancel once training (not feature extraction) has taken a few steps
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const s = events.filter((e): e is JobProgress => e.type === 'progress' && (e.metrics?.step ?? 0) >= 5);
        if (s.length) {
          clearInterval(t);
          m.cancel(id);
          resolve();
        }
      }, 5);
    });
    const end = await m.wait(id);
    expect(end.outcome).toBe('cancelled');
    const runId = (JSON.parse(readFileSync(path.join(projectDir, 'runs', `.job-${id}.json`), 'utf8')) as { runId: string }).runId;
    const ckpt = JSON.parse(readFileSync(path.join(projectDir, 'runs', runId, 'checkpoint.json'), 'utf8')) as { step: number };
    expect(ckpt.step).toBeGreaterThanOrEqual(5);
    expect(ckpt.step).toBeLessThan(80);
    // Adam's moments at that step are kept beside it, so that the resumed run takes the same steps
    const opt = JSON.parse(readFileSync(path.join(projectDir, 'runs', runId, 'checkpoint-optimizer.json'), 'utf8')) as { step: number; weights: { name: string; length: number }[] };
    expect(opt.step).toBe(ckpt.step);
    expect(opt.weights.map((w) => w.name)).toEqual(['iter', ...['m', 'v'].flatMap((k) => HEAD_WEIGHT_NAMES.map((n) => `${k}/${n}`))]);
    events.length = 0;
    m.resume(id);
    const end2 = await m.wait(id);
    expect(end2.outcome, end2.error?.message).toBe('ok');
    const steps = events.filter((e): e is JobProgress => e.type === 'progress' && e.metrics?.step !== undefined).map((e) => e.metrics!.step!);
    expect(Math.min(...steps)).toBe(ckpt.step + 1); // continued, not restarted
    expect(events.some((e) => e.type === 'progress' && /fresh optimiser moments/.test(e.message ?? ''))).toBe(false);
    expect(Math.max(...steps)).toBe(80);
    expect((end2.result as TrainResult).run).toBe(runId);
    expect(existsSync(path.join(projectDir, 'runs', runId, 'best.bin'))).toBe(true);
    // The note that let the cancelled job find its run again goes once the job has finished.
    expect(existsSync(path.join(projectDir, 'runs', `.job-${id}.json`))).toBe(false);
    p.close();
  }, 180_000);

  it('fits frames of another shape (portrait beside 16:9) into the input padded, not stretched, in training and in `ksl eval` alike', async () => {
    // A copy of the project in which one training video and one test video were filmed upright: their
    // frames turned a quarter clockwise (ffmpeg transpose=1), boxes turned with them.
    const dir = path.join(tmp(), 'mixed');
    cpSync(projectDir, dir, { recursive: true });
    const p = openProject(dir);
    const split = (p.db.prepare('SELECT MAX(id) AS id FROM splits').get() as { id: number }).id;
    const videoOf = (side: string) =>
      (p.db.prepare(`SELECT f.video_id AS v FROM split_members m JOIN frames f ON f.id = m.frame_id WHERE m.split_id = ? AND m.side = ? ORDER BY f.id LIMIT 1`).get(split, side) as { v: number }).v;
    const upright = [videoOf('train'), videoOf('test')];
    const frames = p.db.prepare(`SELECT id, file, width, height FROM frames WHERE video_id IN (?, ?)`).all(...upright) as { id: number; file: string; width: number; height: number }[];
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames) {
      const file = path.join(dir, f.file);
      const turned = file.replace(/(\.\w+)$/, '.turned$1');
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', file, '-vf', 'transpose=1', '-q:v', '2', turned]);
      renameSync(turned, file);
      // a point (x, y) of the W×H frame is at (H − y, x) in the turned H×W frame
      p.db.prepare('UPDATE frames SET width = ?, height = ? WHERE id = ?').run(f.height, f.width, f.id);
      p.db.prepare('UPDATE boxes SET x = ? - (y + h), y = x, w = h, h = w WHERE frame_id = ?').run(f.height, f.id);
    }
    const m = new JobManager(p, { train: trainJob }, { emit: () => {}, throttleMs: 0 });
    const end = await m.wait(m.start('train', TrainParams.parse({ steps: 20, batch: 8, copies: 1, checkpoints: 1 })));
    expect(end.outcome, end.error?.message).toBe('ok');
    const r = end.result as TrainResult;
    // The input follows the (16:9) majority; the upright frames' boxes in the cached training copies lie
    // where the frame was placed in the input: scaled with its shape kept, in the middle, bars either side.
    const cfg = JSON.parse(readFileSync(path.join(dir, r.runDir, 'run.json'), 'utf8')) as { anchors: AnchorConfig };
    const dims = inputDims(cfg.anchors);
    expect(dims.width / dims.height).toBeGreaterThan(1.5);
    const cache = JSON.parse(readFileSync(path.join(dir, r.runDir, 'features.json'), 'utf8')) as { augKey: { fit?: string }; trainBoxes: { xmin: number; xmax: number; ymin: number; ymax: number }[][] };
    expect(cache.augKey.fit).toBe('pad');
    const train = splitExamples(p, split, 'train', labelMapItems(p, getSplit(p, split).level)).examples;
    const src = { width: Math.round(dims.width * 1.25), height: Math.round(dims.height * 1.25) };
    let checked = 0;
    train.forEach((e, i) => {
      const fit = frameFit(e.width, e.height, src.width, src.height);
      if (e.height <= e.width) {
        expect(fit.mode).toBe('stretch');
        return;
      }
      if (fit.mode !== 'pad') throw new Error(`an upright ${e.width}×${e.height} frame is stretched into ${src.width}×${src.height}`);
      // one copy per frame (copies: 1), unaugmented: the frame's boxes, placed as the frame was
      const boxes = cache.trainBoxes[i]!;
      expect(boxes).toHaveLength(e.boxes.length);
      e.boxes.forEach((b, k) => {
        const at = boxes[k]!;
        expect(at.xmin).toBeCloseTo((fit.x + (b.x / e.width) * fit.width) / src.width, 6);
        expect(at.xmax).toBeCloseTo((fit.x + ((b.x + b.w) / e.width) * fit.width) / src.width, 6);
        expect(at.ymin).toBeCloseTo(b.y / e.height, 6);
        // inside the band the frame fills, clear of the bars
        expect(at.xmin).toBeGreaterThanOrEqual(fit.x / src.width - 1e-9);
        expect(at.xmax).toBeLessThanOrEqual((fit.x + fit.width) / src.width + 1e-9);
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(0);
    // `ksl eval` decodes the test frames afresh, fits them the same way and maps the boxes back onto the
    // frames: the same metrics as training's, detector and two-stage model alike.
    const again = await evaluateRun(p, r.run);
    for (const k of COCO_STAT_KEYS) expect(again.metrics[k], k).toBeCloseTo(r.metrics[k]!, 6);
    for (const k of COCO_STAT_KEYS) expect(again.detector![k], k).toBeCloseTo(r.secondStage!.detector[k]!, 6);
    p.close();
  }, 180_000);

  it('refuses a split that leaks unless forced', async () => {
    const p = openProject(projectDir);
    const { makeSplit } = await import('../../../src-main/services/dataset/split');
    makeSplit(p, { by: 'frame', test: 0.3, seed: 1 });
    const m = new JobManager(p, { train: trainJob }, { emit: () => {} });
    const end = await m.wait(m.start('train', TrainParams.parse({ steps: 2, batch: 4, copies: 1 })));
    expect(end).toMatchObject({ outcome: 'failed', error: { code: 'CONFLICT' } });
    expect(end.error!.message).toMatch(/leaks/);
    p.close();
  }, 60_000);
});
