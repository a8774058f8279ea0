/**
 * `ksl eval`: the metrics of a run's best checkpoint, recomputed from scratch — test frames
 * decoded and passed through the backbone again, the saved head applied, detections scored by the
 * app's COCO evaluation. Training reports the same numbers from its cached features. A run with a second
 * stage (crop-classifier.ts) is scored as the two-stage model, the detector's own metrics beside.
 */
import path from 'node:path';
import { featureMapShapes, generateAnchors, inputDims } from '../../../src-shared/detector/anchors';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { cocoForSplit } from '../dataset/export-coco';
import { labelMapItems } from '../dataset/label-maps';
import { getSplit } from '../dataset/split';
import { splitExamples } from '../dataset/split-examples';
import { decodeFittedRgb } from './decode-frames';
import { toModelInput } from './augment';
import { createFeatureExtractor, featureChannels, featurePositions } from './features';
import { contextChannels, NO_CONTEXT } from './neighbourhood';
import { loadWeights, readJson, runDir } from './run-store';
import { evaluate, selectBackend, type EvalResult, type RunConfig } from './train-job';
import { loadCropClassifier } from './crop-classifier';

export interface EvalRunResult {
  run: string;
  split: 'test' | 'train';
  splitId: number;
  step: number;
  metrics: Record<string, number>;
  perWord: EvalResult['perWord'];
  confusion: number[][];
  /** Detections scoring ≥ 0.5 by what they hit (EvalResult.errors). */
  errors?: EvalResult['errors'];
  featureBackend: string;
  /** For a two-stage run (detector + second stage, crop-classifier.ts): the detector's metrics alone. */
  detector?: Record<string, number>;
}

export async function evaluateRun(project: Project, runId: string, side: 'test' | 'train' = 'test', signal?: AbortSignal): Promise<EvalRunResult> {
  const dir = runDir(project, runId);
  const cfg = readJson<RunConfig>(path.join(dir, 'run.json'));
  if (!cfg) throw new KslError('NOT_FOUND', `No training run ${runId} in ${path.join(project.dir, 'runs')}.`);
  const best = loadWeights(dir, 'best');
  if (!best) throw new KslError('NOT_FOUND', `Run ${runId} has no evaluated checkpoint yet.`);
  const split = getSplit(project, cfg.splitId);
  const labelMap = labelMapItems(project, split.level);
  const examples = splitExamples(project, split.id, side, labelMap).examples;
  await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('../detector/head/ssd-head');
  const { createTrainer } = await import('../detector/head/train-step');
  const { anchorsPerPosition } = await import('../../../src-shared/detector/anchors');
  const K = featureChannels(cfg.features);
  const dims = inputDims(cfg.anchors);
  const positions = featurePositions(dims);
  const pool = new Float32Array(examples.length * positions * K);
  const extractor = await createFeatureExtractor('auto', path.join(project.dir, 'runs', '.cache'), cfg.features, dims);
  try {
    // Fitted as training fitted them: frames far from the input's shape padded, not stretched.
    await decodeFittedRgb(
      examples.map((e) => ({ file: path.join(project.dir, e.file), width: e.width, height: e.height })),
      dims.width,
      dims.height,
      async (i, rgb) => extractor.run(toModelInput(rgb), pool, i * positions * K),
      signal,
    );
  } finally {
    await extractor.close();
  }
  const anchors = generateAnchors(cfg.anchors);
  const context = cfg.context ?? NO_CONTEXT;
  const head = createHead({ channels: contextChannels(context, K), hidden: cfg.hidden, anchorsPerPosition: anchorsPerPosition(cfg.anchors), numClasses: labelMap.length, seed: cfg.seed });
  head.setWeights(best.weights);
  const trainer = createTrainer(head, { schedule: { base: cfg.lr, total: cfg.steps }, anchors });
  try {
    const gt = cocoForSplit(project, { splitId: split.id, side }).coco;
    const cache = { train: new Uint16Array(0), test: pool, channels: K, dims, positions, trainBoxes: [], nTrain: 0, nTest: examples.length, backend: extractor.backend };
    const second = loadCropClassifier(dir);
    const ev = await evaluate(tf, trainer, cache, examples, gt, labelMap, best.header.step, context, featureMapShapes(cfg.anchors), second ? { stage: second, projectDir: project.dir, signal } : undefined);
    return {
      run: runId,
      split: side,
      splitId: split.id,
      step: best.header.step,
      metrics: ev.stats,
      perWord: ev.perWord,
      confusion: ev.confusion,
      errors: ev.errors,
      featureBackend: extractor.backend,
      ...(ev.detector ? { detector: ev.detector } : {}),
    };
  } finally {
    trainer.dispose();
    head.dispose();
  }
}
