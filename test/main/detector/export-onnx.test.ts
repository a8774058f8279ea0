/**
 * `ksl export onnx`: a tiny trained run exported as one ONNX detector (backbone + head + box decoding)
 * agrees with the app's own pipeline (ONNX backbone features → TensorFlow.js head → trainer.predict) to
 * 1e-4 on real frames, with the documented input/output names and shapes and a label map beside it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainParams } from '../../../src-shared/api';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { openProject } from '../../../src-main/services/catalog/project';
import { exportRunOnnx } from '../../../src-main/services/detector/export-onnx';
import { JobManager } from '../../../src-main/services/jobs/job-manager';
import { readJson, runDir } from '../../../src-main/services/training/run-store';
import { createTrainJob, trainJob, type RunConfig, type TrainResult } from '../../../src-main/services/training/train-job';
import { buildSampleProject } from '../../helpers/sample-project';

describe('exporting a run as one ONNX detector', () => {
  let root: string;
  let projectDir: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ksl-export-onnx-'));
    projectDir = buildSampleProject(root);
  }, 180_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // The default head at the automatic input (the sample's 640×360 frames → 384×224: 48×28 + 24×14 + 12×7
  // positions), and a head with the other options at the square 320×320 input: a dilated 3×3
  // neighbourhood (Pad + Slice + Concat in the graph) over FPN features followed by the pretrained
  // detector's class logits.
  const heads = [
    ['the default head (384×224 input)', trainJob, 'auto', [224, 384], 1764],
    ['a context head on FPN features and pretrained scores (320×320 input)', createTrainJob({ context: { radius: 1, dilation: 2 }, features: 'fpn+scores' }), '320x320', [320, 320], 2100],
  ] as const;
  it.each(heads)('%s matches the app pipeline to 1e-4, with the documented outputs and a label map', async (_name, job, input, [IH, IW], positions) => {
    const p = openProject(projectDir);
    try {
      const m = new JobManager(p, { train: job }, { emit: () => {}, throttleMs: 0 });
      const id = m.start('train', TrainParams.parse({ steps: 20, batch: 8, copies: 1, checkpoints: 1, input }));
      const end = await m.wait(id);
      expect(end.outcome, end.error?.message).toBe('ok');
      const run = (end.result as TrainResult).run;
      const cfg = readJson<RunConfig>(path.join(runDir(p, run), 'run.json'))!;
      const C = cfg.classes.length;
      expect(C).toBe(2);

      const out = path.join(root, 'export', 'detector.onnx');
      const r = await exportRunOnnx(p, run, out);
      expect(r.out).toBe(out);
      expect(r.parity.frames).toBeGreaterThan(0);
      expect(r.parity.maxAbsBoxes).toBeLessThanOrEqual(1e-4);
      expect(r.parity.maxAbsScores).toBeLessThanOrEqual(1e-4);

      const N = positions * 6;
      expect(r.inputs.map((t) => [t.name, t.shape])).toEqual([['image', [1, IH, IW, 3]]]);
      expect(r.inputs[0]!.description).toContain(`stretched to ${IW}×${IH}`);
      expect(r.inputs[0]!.description).toMatch(/NHWC.*RGB.*\[-1,1\]/);
      expect(r.outputs.map((t) => [t.name, t.shape])).toEqual([
        ['scores', [1, N, C]],
        ['boxes', [1, N, 4]],
      ]);

      // The file itself: names and shapes in onnxruntime, the input documented in doc_string.
      const bytes = readFileSync(out);
      expect(bytes.includes(Buffer.from('NHWC, RGB in [-1,1]'))).toBe(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
      const session = await ort.InferenceSession.create(out);
      try {
        expect(session.inputNames).toEqual(['image']);
        expect(session.outputNames).toEqual(['scores', 'boxes']);
        const res = await session.run({ image: new ort.Tensor('float32', new Float32Array(IH * IW * 3), [1, IH, IW, 3]) });
        expect(res.scores!.dims).toEqual([1, N, C]);
        expect(res.boxes!.dims).toEqual([1, N, 4]);
        const scores = res.scores!.data as Float32Array;
        const boxes = res.boxes!.data as Float32Array;
        expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
        expect(boxes.every((v) => v >= 0 && v <= 1)).toBe(true);
        for (let i = 0; i < N; i++) {
          expect(boxes[4 * i + 2]! >= boxes[4 * i]! && boxes[4 * i + 3]! >= boxes[4 * i + 1]!).toBe(true);
        }
      } finally {
        await session.release();
      }

      // label_map.pbtxt beside the model, with the run's classes.
      expect(r.labelMap).toBe(path.join(root, 'export', 'label_map.pbtxt'));
      const items = parseLabelMap(readFileSync(r.labelMap, 'utf8'), r.labelMap);
      expect(items.map((i) => [i.id, i.name])).toEqual(cfg.classes.map((c) => [c.id, c.name]));
      expect(r.classes).toEqual(cfg.classes.map((c) => ({ id: c.id, name: c.name })));
    } finally {
      p.close();
    }
  }, 240_000);
});
