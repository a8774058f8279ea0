/**
 * Second-stage lab: trains the second stage (crop-classifier.ts, second-stage.ts) for a finished detector
 * run of the bench's project (its best checkpoint) and scores the test split as the detector alone and as
 * the two-stage model, with the same functions the train job uses.
 *
 *   node scripts/run-ts.mjs scripts/bench/crop-lab.ts RUN_ID '{"copies":3,"steps":600,"mine":true}'
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { openProject } from '../../src-main/services/catalog/project';
import { labelMapItems } from '../../src-main/services/dataset/label-maps';
import { getSplit } from '../../src-main/services/dataset/split';
import { splitExamples, type SplitExample } from '../../src-main/services/dataset/split-examples';
import { cocoForSplit } from '../../src-main/services/dataset/export-coco';
import { decodeFittedRgb } from '../../src-main/services/training/decode-frames';
import { frameFit } from '../../src-shared/frame-fit';
import { toModelInput } from '../../src-main/services/training/augment';
import { createFeatureExtractor, featureChannels, featurePositions } from '../../src-main/services/training/features';
import { loadWeights, readJson, runDir } from '../../src-main/services/training/run-store';
import { scoreDetections, selectBackend, stageOne, type RunConfig } from '../../src-main/services/training/train-job';
import { NO_CONTEXT } from '../../src-main/services/training/neighbourhood';
import { CROP_META, EVAL_CANDIDATES, MINING_CANDIDATES, trainCropClassifier } from '../../src-main/services/training/crop-classifier';
import { cropTrainingSet, openCropNet, readWords } from '../../src-main/services/training/second-stage';
import { anchorsPerPosition, featureMapShapes, generateAnchors, inputDims } from '../../src-shared/detector/anchors';

async function main() {
  const [runId, json = '{}'] = process.argv.slice(2);
  const spec = { copies: 3, hidden: 128, steps: 600, top: 2, mine: false, ...JSON.parse(json) };
  const dir = process.env.LAB_DIR ?? '/tmp/ksl-lab';
  const p = openProject(path.join(dir, 'project'));
  const rdir = runDir(p, runId!);
  const cfg = readJson<RunConfig>(path.join(rdir, 'run.json'))!;
  const best = loadWeights(rdir, 'best')!;
  const split = getSplit(p, cfg.splitId);
  const labelMap = labelMapItems(p, split.level);
  const C = labelMap.length;
  const train = splitExamples(p, split.id, 'train', labelMap).examples;
  const test = splitExamples(p, split.id, 'test', labelMap).examples;
  const backend = await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const { createHead } = await import('../../src-main/services/detector/head/ssd-head');
  const { createTrainer } = await import('../../src-main/services/detector/head/train-step');
  const { contextChannels } = await import('../../src-main/services/training/neighbourhood');
  const K = featureChannels(cfg.features);
  const dims = inputDims(cfg.anchors);
  const positions = featurePositions(dims);
  const context = cfg.context ?? NO_CONTEXT;
  const head = createHead({ channels: contextChannels(context, K), hidden: cfg.hidden, anchorsPerPosition: anchorsPerPosition(cfg.anchors), numClasses: C, seed: cfg.seed });
  head.setWeights(best.weights);
  const trainer = createTrainer(head, { schedule: { base: cfg.lr, total: cfg.steps }, anchors: generateAnchors(cfg.anchors) });
  const stage1 = async (list: SplitExample[], candidates = EVAL_CANDIDATES) => {
    const pool = new Float32Array(list.length * positions * K);
    const ex = await createFeatureExtractor('auto', path.join(p.dir, 'runs', '.cache'), cfg.features, dims);
    await decodeFittedRgb(list.map((e) => ({ file: path.join(p.dir, e.file), width: e.width, height: e.height })), dims.width, dims.height, async (i, rgb) => ex.run(toModelInput(rgb), pool, i * positions * K));
    await ex.close();
    const cache = { train: new Uint16Array(0), test: pool, channels: K, dims, positions, trainBoxes: [], nTrain: 0, nTest: list.length, backend: '' };
    const fits = list.map((e) => frameFit(e.width, e.height, dims.width, dims.height));
    return stageOne(tf, trainer, cache, list.length, C, context, featureMapShapes(cfg.anchors), candidates, { fits, ...dims });
  };

  const t0 = Date.now();
  const mined = spec.mine ? (await stage1(train, MINING_CANDIDATES)).hands : undefined;
  const cropNet = await openCropNet(path.join(p.dir, 'runs', '.cache'));
  const set = await cropTrainingSet(cropNet, p.dir, train, spec.copies, cfg.seed, () => undefined, undefined, CROP_META, mined, C);
  const cropSeconds = (Date.now() - t0) / 1000;
  const background = set.mined.noSign > 0;
  const t1 = Date.now();
  const weights = await trainCropClassifier(tf, set.x, set.labels, set.boxTargets, C + (background ? 1 : 0), { hidden: spec.hidden, steps: spec.steps, background, ...(spec.opts ?? {}) }, undefined, set.boxWeights);
  const fitSeconds = (Date.now() - t1) / 1000;

  const { words, hands } = await stage1(test);
  const read = await readWords(cropNet, weights, p.dir, test, hands, spec.top);
  await cropNet.close();
  const gt = cocoForSplit(p, { splitId: split.id, side: 'test' }).coco;
  const short = (r: Record<string, number>) => ({ AP50: +r.AP50!.toFixed(3), AP: +r.AP!.toFixed(3), AP75: +r.AP75!.toFixed(3) });
  const two = scoreDetections(read, test, gt, labelMap, 0);
  const line = JSON.stringify({
    run: runId,
    spec,
    backend,
    crops: set.labels.length,
    mined: set.mined,
    cropSeconds: +cropSeconds.toFixed(0),
    fitSeconds: +fitSeconds.toFixed(0),
    detector: short(scoreDetections(words, test, gt, labelMap, 0).stats),
    twoStage: short(two.stats),
    errors: two.errors,
    perWordAP50: two.perWord.map((w) => +w.AP50.toFixed(2)),
  });
  console.log(line);
  appendFileSync(path.join(dir, 'crop-results.jsonl'), line + '\n');
  trainer.dispose();
  head.dispose();
  p.close();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
