/**
 * `ksl export onnx` with a second stage: a run with a crop classifier (crop-classifier.json + .bin, trained
 * by the run or, where training does not write one, saved here with deterministic random weights) also
 * exports `<stem>.crop.onnx`, which agrees with the app's second stage (ONNX backbone at 128×128 →
 * poolCropFeatures → classifyCrop) to 1e-4 on crops of real frames; its metadata carries cropSize, pad and
 * pool. A run without one exports no crop model, and removes a stale one at the output. The model catalog
 * re-exports a run whose crop model is missing or older than its crop classifier.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src-shared/random';
import { openProject, type Project } from '../../../src-main/services/catalog/project';
import { exportRunOnnx } from '../../../src-main/services/detector/export-onnx';
import { cropModelFile, readCropMeta } from '../../../src-main/services/inference/detector';
import { ensureRunModel, listModels, locateModel } from '../../../src-main/services/inference/model-catalog';
import { CROP_CLASSIFIER_FILE, CROP_META, cropFeatureLength, loadCropClassifier, saveCropClassifier, type CropClassifierWeights } from '../../../src-main/services/training/crop-classifier';
import { readJson, runDir } from '../../../src-main/services/training/run-store';
import type { RunConfig } from '../../../src-main/services/training/train-job';
import { trainedProject } from '../inference/trained-project';

function randomWeights(classes: number, seed = 7): CropClassifierWeights {
  const rand = mulberry32(seed);
  const inputs = cropFeatureLength();
  const hidden = 32;
  const r = (n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, () => offset + (rand() * 2 - 1) * scale);
  return {
    inputs,
    hidden,
    classes,
    mean: r(inputs, 0.5),
    invStd: r(inputs, 0.5, 1),
    w1: r(inputs * hidden, 0.05),
    b1: r(hidden, 0.1),
    w2: r(hidden * classes, 1),
    b2: r(classes, 0.1),
    wBox: r(hidden * 4, 0.1),
    bBox: r(4, 0.1),
  };
}

describe('exporting a run with a second stage', () => {
  let root: string;
  let projectDir: string;
  let runId: string;
  let p: Project;
  let dir: string;
  beforeAll(async () => {
    ({ root, projectDir, runId } = await trainedProject('ksl-export-crop-'));
    p = openProject(projectDir);
    dir = runDir(p, runId);
    // Training may already write the second stage; where it does not, give the run one.
    if (!loadCropClassifier(dir)) saveCropClassifier(dir, randomWeights(readJson<RunConfig>(path.join(dir, 'run.json'))!.classes.length));
  }, 300_000);
  afterAll(() => {
    p?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes <stem>.crop.onnx beside the model, matching the app pipeline to 1e-4, with its metadata', async () => {
    const out = path.join(mkdtempSync(path.join(root, 'export-')), 'detector.onnx');
    const r = await exportRunOnnx(p, runId, out, { parityFrames: 3 });
    const C = r.classes.length;
    // The detector's own result is unchanged.
    expect(r.out).toBe(out);
    expect(r.parity.frames).toBeGreaterThan(0);
    expect(r.parity.maxAbsScores).toBeLessThanOrEqual(1e-4);

    const crop = r.crop!;
    expect(crop.out).toBe(path.join(path.dirname(out), 'detector.crop.onnx'));
    expect(existsSync(crop.out)).toBe(true);
    expect(crop.parity.crops).toBeGreaterThan(0);
    expect(crop.parity.maxAbsProbs).toBeLessThanOrEqual(1e-4);
    expect(crop.parity.maxAbsBox).toBeLessThanOrEqual(1e-4);
    const meta = loadCropClassifier(dir)!.meta;
    expect(crop.meta).toEqual(meta);
    expect(readCropMeta(readFileSync(crop.out))).toEqual(meta);
    expect(meta).toEqual(CROP_META);
    // Any number of crops per run (the first dimension is named).
    expect(crop.inputs.map((t) => [t.name, t.shape])).toEqual([['crop', ['crops', 128, 128, 3]]]);
    expect(crop.outputs.map((t) => [t.name, t.shape])).toEqual([
      ['word_probs', ['crops', C]],
      ['box_offsets', ['crops', 4]],
    ]);

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const session = await ort.InferenceSession.create(crop.out);
    try {
      expect(session.inputNames).toEqual(['crop']);
      expect(session.outputNames).toEqual(['word_probs', 'box_offsets']);
      const res = await session.run({ crop: new ort.Tensor('float32', new Float32Array(128 * 128 * 3), [1, 128, 128, 3]) });
      expect(res.word_probs!.dims).toEqual([1, C]);
      expect(res.box_offsets!.dims).toEqual([1, 4]);
      const three = await session.run({ crop: new ort.Tensor('float32', new Float32Array(3 * 128 * 128 * 3), [3, 128, 128, 3]) });
      expect(three.word_probs!.dims).toEqual([3, C]);
      expect(three.box_offsets!.dims).toEqual([3, 4]);
      const probs = res.word_probs!.data as Float32Array;
      const sum = probs.reduce((a, b) => a + b, 0);
      // With a "no sign" output (the run mined the detector's mistakes) the words share 1 − P(no sign).
      if (loadCropClassifier(dir)!.weights.background) expect(sum).toBeLessThanOrEqual(1 + 1e-6);
      else expect(sum).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
    // eslint-disable-next-line no-console
    console.log(`crop parity over ${crop.parity.crops} crops: probs ${crop.parity.maxAbsProbs.toExponential(2)}, box ${crop.parity.maxAbsBox.toExponential(2)}`);

    // Without a crop classifier: no crop model, and the one an earlier export left at OUT is removed.
    const files = ['json', 'bin'].map((e) => path.join(dir, `${CROP_CLASSIFIER_FILE}.${e}`)).filter((f) => existsSync(f));
    for (const f of files) renameSync(f, `${f}.away`);
    try {
      const again = await exportRunOnnx(p, runId, out, { parityFrames: 0 });
      expect(again.crop).toBeNull();
      expect(existsSync(crop.out)).toBe(false);
    } finally {
      for (const f of files) renameSync(`${f}.away`, f);
    }
  }, 300_000);

  it('the model catalog exports the crop model with model.onnx, and again when it is missing or stale', async () => {
    const loc = locateModel(p, `run:${runId}`);
    const crop = cropModelFile(loc.file);
    const listed = () => listModels(p).find((m) => m.id === `run:${runId}`)!.ready;
    expect(await ensureRunModel(p, loc)).toEqual({ exported: true });
    expect(existsSync(loc.file) && existsSync(crop)).toBe(true);
    expect(listed()).toBe(true);
    let calls = 0;
    const counting = async (id: string, out: string) => {
      calls++;
      return exportRunOnnx(p, id, out, { parityFrames: 0 });
    };
    expect(await ensureRunModel(p, loc, counting)).toEqual({ exported: false });

    rmSync(crop);
    expect(listed()).toBe(false);
    expect(await ensureRunModel(p, loc, counting)).toEqual({ exported: true });
    expect(existsSync(crop)).toBe(true);

    // A retrained second stage (crop-classifier.json newer than model.crop.onnx).
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, `${CROP_CLASSIFIER_FILE}.json`), later, later);
    expect(await ensureRunModel(p, loc, counting)).toEqual({ exported: true });
    expect(calls).toBe(2);
  }, 120_000);
});
