/**
 * Second-stage lab: trains the crop classifier (crop-classifier.ts) on the bench's training split and scores
 * a finished detector run (its best checkpoint) on the test split three ways: the detector alone, with the
 * crops' words, and with the crops' words and boxes.
 *
 *   node scripts/run-ts.mjs scripts/bench/crop-lab.ts RUN_ID '{"copies":3,"hidden":128,"steps":1500}'
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { openProject } from '../../src-main/services/catalog/project';
import { labelMapItems } from '../../src-main/services/dataset/label-maps';
import { getSplit } from '../../src-main/services/dataset/split';
import { splitExamples, type SplitExample } from '../../src-main/services/dataset/split-examples';
import { cocoForSplit } from '../../src-main/services/dataset/export-coco';
import { decodeFramesRgb } from '../../src-main/services/training/decode-frames';
import { jitterRgb, toModelInput } from '../../src-main/services/training/augment';
import { createOnnxFeatureExtractor, pretrainedBackboneOnnx } from '../../src-main/services/detector/pretrained';
import { createFeatureExtractor, featureChannels, featurePositions } from '../../src-main/services/training/features';
import { loadWeights, readJson, runDir } from '../../src-main/services/training/run-store';
import { selectBackend, type RunConfig } from '../../src-main/services/training/train-job';
import { contextChannels, contextRows, neighbourTable, NO_CONTEXT } from '../../src-main/services/training/neighbourhood';
import { anchorsPerPosition, featureMapShapes, generateAnchors, inputDims } from '../../src-shared/detector/anchors';
import { EVAL_NMS, nonMaxSuppression } from '../../src-shared/detector/nms';
import { evaluateCoco, type CocoDt } from '../../src-shared/coco/coco-eval';
import { mulberry32 } from '../../src-shared/random';
import {
  classifyCrop,
  CROP_SIZE,
  cropFeatureLength,
  cropRgb,
  cropWindow,
  decodeCropBox,
  encodeCropBox,
  handScores,
  jitteredWindow,
  poolCropFeatures,
  trainCropClassifier,
  type CropWindow,
} from '../../src-main/services/training/crop-classifier';

async function main() {
  const [runId, json = '{}'] = process.argv.slice(2);
  const spec = { copies: 3, hidden: 128, steps: 1500, candidates: 5, candIou: 0.5, top: 2, ...JSON.parse(json) };
  const dir = process.env.LAB_DIR ?? '/tmp/ksl-lab';
  const p = openProject(path.join(dir, 'project'));
  const rdir = runDir(p, runId!);
  const cfg = readJson<RunConfig>(path.join(rdir, 'run.json'))!;
  const best = loadWeights(rdir, 'best')!;
  const split = getSplit(p, cfg.splitId);
  const labelMap = labelMapItems(p, split.level);
  const C = labelMap.length;
  const train = splitExamples(p, split.id, 'train', labelMap).examples.filter((e) => e.boxes.length > 0);
  const test = splitExamples(p, split.id, 'test', labelMap).examples;
  const cdims = { height: CROP_SIZE, width: CROP_SIZE };
  const cropNet = await createOnnxFeatureExtractor(await pretrainedBackboneOnnx(path.join(p.dir, 'runs', '.cache'), false, cdims), undefined, cdims, 1);
  const rand = mulberry32(7);
  const D = cropFeatureLength();
  const t0 = Date.now();

  // 1. training crops
  const feats: Float32Array[] = [];
  const labels: number[] = [];
  const targets: number[] = [];
  const native = (list: SplitExample[]) => ({ W: list[0]!.width, H: list[0]!.height });
  {
    const { W, H } = native(train);
    await decodeFramesRgb(train.map((e) => path.join(p.dir, e.file)), W, H, async (i, rgb) => {
      for (const b of train[i]!.boxes) {
        for (let c = 0; c < spec.copies; c++) {
          const win = c === 0 ? cropWindow(b) : jitteredWindow(b, rand, spec.shift ?? 0.12, spec.scale ?? 0.15);
          const crop = cropRgb(rgb, W, H, win);
          if (c > 0) jitterRgb(crop, rand);
          feats.push(poolCropFeatures(await cropNet.run(toModelInput(crop))));
          labels.push(b.classId - 1);
          targets.push(...encodeCropBox(b, win));
        }
      }
    });
  }
  const cropSeconds = (Date.now() - t0) / 1000;
  const backend = await selectBackend();
  const tf = await import('@tensorflow/tfjs');
  const x = new Float32Array(feats.length * D);
  feats.forEach((f, i) => x.set(f, i * D));
  const t1 = Date.now();
  const weights = await trainCropClassifier(tf, x, Int32Array.from(labels), Float32Array.from(targets), C, { hidden: spec.hidden, steps: spec.steps, ...(spec.opts ?? {}) });
  const fitSeconds = (Date.now() - t1) / 1000;

  // 2. stage 1 on test
  const K = featureChannels(cfg.features);
  const dims = inputDims(cfg.anchors);
  const positions = featurePositions(dims);
  const pool = new Float32Array(test.length * positions * K);
  const ex = await createFeatureExtractor('auto', path.join(p.dir, 'runs', '.cache'), cfg.features, dims);
  await decodeFramesRgb(test.map((e) => path.join(p.dir, e.file)), dims.width, dims.height, async (i, rgb) => ex.run(toModelInput(rgb), pool, i * positions * K));
  await ex.close();
  const { createHead } = await import('../../src-main/services/detector/head/ssd-head');
  const { createTrainer } = await import('../../src-main/services/detector/head/train-step');
  const context = cfg.context ?? NO_CONTEXT;
  const anchors = generateAnchors(cfg.anchors);
  const head = createHead({ channels: contextChannels(context, K), hidden: cfg.hidden, anchorsPerPosition: anchorsPerPosition(cfg.anchors), numClasses: C, seed: cfg.seed });
  head.setWeights(best.weights);
  const trainer = createTrainer(head, { schedule: { base: cfg.lr, total: cfg.steps }, anchors });
  const table = neighbourTable(context, featureMapShapes(cfg.anchors));
  const base: CocoDt[] = [];
  const cands: { frame: number; score: number; box: { x: number; y: number; w: number; h: number } }[][] = [];
  for (let s = 0; s < test.length; s += 4) {
    const n = Math.min(4, test.length - s);
    const xs = tf.tensor3d(contextRows(pool, s, n, context, table, K, positions), [n, positions, contextChannels(context, K)]);
    const preds = trainer.predict(xs);
    xs.dispose();
    for (let k = 0; k < n; k++) {
      const e = test[s + k]!;
      const px = (b: number[]) => {
        const x0 = Math.max(0, b[1]!) * e.width;
        const y0 = Math.max(0, b[0]!) * e.height;
        return { x: x0, y: y0, w: Math.max(0, Math.min(1, b[3]!) * e.width - x0), h: Math.max(0, Math.min(1, b[2]!) * e.height - y0) };
      };
      for (const d of nonMaxSuppression(preds[k]!.boxes, preds[k]!.scores, EVAL_NMS)) {
        const b = px(d.box);
        base.push({ image_id: e.frameId, category_id: d.cls + 1, bbox: [b.x, b.y, b.w, b.h], score: d.score });
      }
      const hs = handScores(preds[k]!.scores, C);
      cands.push(
        nonMaxSuppression(preds[k]!.boxes, hs, { iouThreshold: spec.candIou, scoreThreshold: 0.05, maxDetections: spec.candidates }).map((d) => ({ frame: e.frameId, score: d.score, box: px(d.box) })),
      );
    }
  }
  // 3. stage 2 on the candidates
  const words: CocoDt[] = [];
  const boxed: CocoDt[] = [];
  let correctTop = 0;
  const { W, H } = native(test);
  await decodeFramesRgb(test.map((e) => path.join(p.dir, e.file)), W, H, async (i, rgb) => {
    for (const c of cands[i]!) {
      if (c.box.w < 1 || c.box.h < 1) continue;
      const win: CropWindow = cropWindow(c.box);
      let pred = classifyCrop(weights, poolCropFeatures(await cropNet.run(toModelInput(cropRgb(rgb, W, H, win)))));
      let rb = decodeCropBox(pred.box, win);
      for (let pass = 1; pass < (spec.passes ?? 1); pass++) {
        const win2 = cropWindow(rb);
        const p2 = classifyCrop(weights, poolCropFeatures(await cropNet.run(toModelInput(cropRgb(rgb, W, H, win2)))));
        rb = decodeCropBox(p2.box, win2);
        pred = { probs: spec.avg ? pred.probs.map((v, k) => (v + p2.probs[k]!) / 2) : p2.probs, box: p2.box };
      }
      const order = Array.from(pred.probs.keys()).sort((a, b) => pred.probs[b]! - pred.probs[a]!).slice(0, spec.top);
      for (const k of order) {
        words.push({ image_id: c.frame, category_id: k + 1, bbox: [c.box.x, c.box.y, c.box.w, c.box.h], score: c.score * pred.probs[k]! });
        boxed.push({ image_id: c.frame, category_id: k + 1, bbox: [rb.x, rb.y, rb.w, rb.h], score: c.score * pred.probs[k]! });
      }
      const gtb = test[i]!.boxes[0];
      if (gtb && c === cands[i]![0] && order[0] === gtb.classId - 1) correctTop++;
    }
  });
  await cropNet.close();
  const gt = cocoForSplit(p, { splitId: split.id, side: 'test' }).coco;
  const m = (d: CocoDt[]) => {
    const r = evaluateCoco(gt, d).stats;
    return { AP50: +r.AP50!.toFixed(3), AP: +r.AP!.toFixed(3), AP75: +r.AP75!.toFixed(3) };
  };
  const line = JSON.stringify({
      run: runId,
      spec,
      backend,
      crops: labels.length,
      cropSeconds: +cropSeconds.toFixed(0),
      fitSeconds: +fitSeconds.toFixed(0),
      detector: m(base),
      words: m(words),
      wordsAndBoxes: m(boxed),
      topCandidateWordAcc: +(correctTop / test.filter((e) => e.boxes.length).length).toFixed(3),
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
