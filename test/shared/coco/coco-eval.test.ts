import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COCO_IOU_THRS,
  COCO_REC_THRS,
  COCO_STAT_KEYS,
  evaluateCoco,
  formatCocoSummary,
  validateCocoDt,
  validateCocoGt,
  type CocoDt,
  type CocoGt,
  type CocoGtAnnotation,
  type CocoStats,
} from '../../../src-shared/coco/coco-eval';
import { argsortDescStable, linspace, meanAboveMinusOne, pairwiseSum } from '../../../src-shared/coco/numpy-compat';
import { KslError } from '../../../src-shared/result';
import { fixture } from '../../helpers/fixtures';

const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol;

/**
 * numpy's precision at one true positive and no false positive: tp / (fp + tp + np.spacing(1))
 * = 1 / (1 + 2^-52) = 1 - 2^-52. With two or more true positives the eps is absorbed and
 * precision is exactly 1, so the hand-made cases below use at least two gt per area range
 * whenever they want a clean 1.
 */
const ONE_TP_PRECISION = 1 / (1 + 2 ** -52);

// ---------------------------------------------------------------------------------------------
// Small builders for hand-made data
// ---------------------------------------------------------------------------------------------

type AnnIn = Omit<CocoGtAnnotation, 'id' | 'area'> & { id?: number; area?: number };

function makeGt(anns: AnnIn[], opts: { images?: number[]; cats?: number[] } = {}): CocoGt {
  const images = (opts.images ?? [...new Set(anns.map((a) => a.image_id))]).map((id) => ({ id, width: 1000, height: 1000 }));
  const cats = opts.cats ?? [...new Set(anns.map((a) => a.category_id))];
  return {
    images,
    categories: cats.map((id) => ({ id, name: `cat${id}` })),
    annotations: anns.map((a, i) => ({
      id: a.id ?? i + 1,
      image_id: a.image_id,
      category_id: a.category_id,
      bbox: a.bbox,
      // Default area as COCO would have it for a box annotation.
      area: a.area ?? a.bbox[2] * a.bbox[3],
      iscrowd: a.iscrowd ?? 0,
      ...(a.ignore !== undefined ? { ignore: a.ignore } : {}),
    })),
  };
}

const det = (image_id: number, category_id: number, bbox: [number, number, number, number], score: number): CocoDt => ({
  image_id,
  category_id,
  bbox,
  score,
});

// ---------------------------------------------------------------------------------------------
// 1. The pycocotools fixture
// ---------------------------------------------------------------------------------------------

describe('evaluateCoco on the pycocotools fixture (100 COCO val2014 images, fake bbox results)', () => {
  const gtPath = fixture('coco/instances_val2014_100.json');
  const dtPath = fixture('coco/instances_val2014_fakebbox100_results.json');
  const expPath = fixture('coco/expected-bbox-stats.json');

  it.skipIf(!gtPath || !dtPath || !expPath)('reproduces all 12 pycocotools stats to 1e-12', () => {
    const gt = validateCocoGt(JSON.parse(readFileSync(gtPath as string, 'utf8')), 'instances_val2014_100.json');
    const dt = validateCocoDt(JSON.parse(readFileSync(dtPath as string, 'utf8')), 'fakebbox100_results.json');
    const expected = JSON.parse(readFileSync(expPath as string, 'utf8')) as { iouType: string; stats: CocoStats };
    expect(expected.iouType).toBe('bbox');

    const t0 = performance.now();
    const r = evaluateCoco(gt, dt);
    const ms = performance.now() - t0;
    console.log(`${formatCocoSummary(r)}\n(evaluated in ${ms.toFixed(0)} ms)`);

    let worst = 0;
    for (const key of COCO_STAT_KEYS) {
      const diff = Math.abs(r.stats[key] - expected.stats[key]);
      worst = Math.max(worst, diff);
      expect(diff, `${key}: got ${r.stats[key]}, pycocotools ${expected.stats[key]}`).toBeLessThanOrEqual(1e-12);
    }
    console.log(`largest difference from pycocotools over the 12 stats: ${worst}`);
    expect(r.statsArray).toEqual(COCO_STAT_KEYS.map((k) => r.stats[k]));

    // pycocotools' defaults: all gt images (sorted), all 80 categories, maxDets [1, 10, 100].
    expect(r.params.imgIds).toHaveLength(100);
    expect(r.params.imgIds).toEqual([...r.params.imgIds].sort((a, b) => a - b));
    expect(r.params.catIds).toHaveLength(80);
    expect(r.counts).toEqual([10, 101, 80, 4, 3]);
    expect(r.warnings).toEqual([]);

    // 70 of the 80 categories have gt in these images; the other 10 are -1, and the overall AP
    // is the mean over the 70 (each contributes the same 10x101 cells, so mean of means agrees).
    const withGt = r.perCategory.filter((c) => c.gt > 0);
    expect(withGt).toHaveLength(70);
    for (const c of r.perCategory.filter((x) => x.gt === 0)) {
      expect(c.AP).toBe(-1);
      expect(c.AR100).toBe(-1);
      expect(c.pr50.every((v) => v === -1)).toBe(true);
    }
    const meanAp = withGt.reduce((s, c) => s + c.AP, 0) / withGt.length;
    expect(close(meanAp, r.stats.AP, 1e-12)).toBe(true);
    const person = r.perCategory.find((c) => c.name === 'person');
    expect(person && person.gt).toBeGreaterThan(0);
    expect(person?.pr50).toHaveLength(101);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Hand-made edge cases (expected values worked out in the comments)
// ---------------------------------------------------------------------------------------------

describe('evaluateCoco edge cases', () => {
  it('numpy thresholds: linspace values, including 0.8999999999999999', () => {
    expect(COCO_IOU_THRS).toHaveLength(10);
    expect(COCO_IOU_THRS[0]).toBe(0.5);
    expect(COCO_IOU_THRS[5]).toBe(0.75); // so summarize's `iouThr == .75` finds it
    expect(COCO_IOU_THRS[8]).toBe(0.8999999999999999);
    expect(COCO_IOU_THRS[9]).toBe(0.95);
    expect(COCO_REC_THRS).toHaveLength(101);
    expect(COCO_REC_THRS[3]).toBe(0.03);
    expect(COCO_REC_THRS[100]).toBe(1);
  });

  it('empty detections: 0 where gt exists, -1 where an area range has no gt', () => {
    // Category 1: one small gt (area 100) on image 1 and one large gt (area 10000) on image 2,
    // no medium gt. Category 2 has no gt at all. No detections.
    // accumulate: npig(all)=2, npig(small)=1, npig(large)=1, npig(medium)=0 -> medium stays -1.
    // With nd = 0, recall = 0 and searchsorted points past the end for every threshold, so
    // precision keeps its zeros. Means over entries > -1: 0 everywhere except the medium stats.
    const gt = makeGt(
      [
        { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10] },
        { image_id: 2, category_id: 1, bbox: [0, 0, 100, 100] },
      ],
      { cats: [1, 2] },
    );
    const r = evaluateCoco(gt, []);
    expect(r.stats).toEqual({
      AP: 0,
      AP50: 0,
      AP75: 0,
      APs: 0,
      APm: -1,
      APl: 0,
      AR1: 0,
      AR10: 0,
      AR100: 0,
      ARs: 0,
      ARm: -1,
      ARl: 0,
    });
    expect(r.perCategory.map((c) => [c.id, c.AP, c.gt, c.dt])).toEqual([
      [1, 0, 2, 0],
      [2, -1, 0, 0],
    ]);
  });

  it('nothing to evaluate at all gives -1 everywhere', () => {
    const r = evaluateCoco({ images: [{ id: 1 }], annotations: [], categories: [{ id: 1, name: 'a' }] }, []);
    expect(r.statsArray).toEqual(new Array(12).fill(-1));
  });

  it('a perfect detector gives AP 1 (and the one-gt 1 - 2^-52 quirk)', () => {
    // Two images, each with a small (20x20=400), a medium (50x50=2500) and a large
    // (200x200=40000) gt of category 1; every gt gets an identical box, so IoU = 1 at every
    // threshold. Two gt per area range, so the last precision is 2/(2+eps) = 1 exactly and the
    // envelope makes every recall threshold 1: AP = APs = APm = APl = 1, AR10 = AR100 = 1.
    // AR1: only the best detection per image counts. Scores .9/.8/.7 on image 1 and .6/.5/.4
    // on image 2 put the small ones first, so 2 of 6 gt are found: recall 1/3 at every IoU.
    const boxes: [number, number, number, number][] = [
      [0, 0, 20, 20],
      [100, 100, 50, 50],
      [300, 300, 200, 200],
    ];
    const anns = [1, 2].flatMap((img) => boxes.map((bbox) => ({ image_id: img, category_id: 1, bbox })));
    const gt = makeGt(anns);
    const dt = [
      ...boxes.map((b, i) => det(1, 1, b, 0.9 - 0.1 * i)),
      ...boxes.map((b, i) => det(2, 1, b, 0.6 - 0.1 * i)),
    ];
    const r = evaluateCoco(gt, dt);
    expect(r.stats.AP).toBe(1);
    expect(r.stats.AP50).toBe(1);
    expect(r.stats.AP75).toBe(1);
    expect(r.stats.APs).toBe(1);
    expect(r.stats.APm).toBe(1);
    expect(r.stats.APl).toBe(1);
    expect(r.stats.AR10).toBe(1);
    expect(r.stats.AR100).toBe(1);
    expect(r.stats.ARs).toBe(1);
    expect(close(r.stats.AR1, 1 / 3, 1e-15)).toBe(true);

    // A single gt matched perfectly: precision is 1/(1+eps), exactly what pycocotools reports.
    const one = evaluateCoco(makeGt([{ image_id: 1, category_id: 1, bbox: [0, 0, 50, 50] }]), [det(1, 1, [0, 0, 50, 50], 0.5)]);
    expect(one.perCategory[0].pr50).toEqual(new Array(101).fill(ONE_TP_PRECISION));
    // ... and the mean of 101 copies of it rounds to 1 - 2^-53 in the last bit.
    expect(close(one.stats.AP50, ONE_TP_PRECISION, 1e-15)).toBe(true);
    expect(one.stats.AR100).toBe(1);
  });

  it('a detection inside a crowd region is ignored (neither tp nor fp)', () => {
    // Image 1 holds only a crowd region [0,0,100,100]. Image 2 has two ordinary gt, each found
    // by an exact detection (scores .5 and .4). The crowd detection [10,10,20,20] has the best
    // score (.9). Crowd IoU divides by the detection's own area: 400/400 = 1, so it matches the
    // crowd gt, which is ignored, so the detection is ignored. Sorted: [ignored, tp, tp]:
    // tp cumsum [0,1,2], fp [0,0,0], npig = 2 (crowd is not counted), precision after the
    // envelope is 1 everywhere: AP = 1, AR100 = 1. Had it been a false positive, AP would be 2/3.
    const crowd = { image_id: 1, category_id: 1, bbox: [0, 0, 100, 100] as [number, number, number, number], iscrowd: 1 };
    const gt = makeGt([
      crowd,
      { image_id: 2, category_id: 1, bbox: [0, 0, 50, 50] },
      { image_id: 2, category_id: 1, bbox: [100, 100, 50, 50] },
    ]);
    const tps = [det(2, 1, [0, 0, 50, 50], 0.5), det(2, 1, [100, 100, 50, 50], 0.4)];
    const inside = evaluateCoco(gt, [det(1, 1, [10, 10, 20, 20], 0.9), ...tps]);
    expect(inside.stats.AP).toBe(1);
    expect(inside.stats.AR100).toBe(1);
    expect(inside.perCategory[0]).toMatchObject({ gt: 2, crowd: 1, dt: 3 });

    // Same detection moved to straddle the crowd corner: [90,90,20,20] overlaps 10x10 = 100 of
    // its 400, crowd IoU 0.25 < 0.5, so it is an unmatched, in-range detection: a false positive.
    // Sorted [fp, tp, tp]: precision [0, 1/(2+eps), 2/(3+eps)] -> envelope 2/3 at every recall
    // threshold and every IoU: AP = 2/3 (up to the last bits of the mean).
    const straddle = evaluateCoco(gt, [det(1, 1, [90, 90, 20, 20], 0.9), ...tps]);
    expect(close(straddle.stats.AP, 2 / 3, 1e-15)).toBe(true);
    expect(straddle.stats.AR100).toBe(1);

    // An image whose only gt is crowd, with detections only there: npig = 0, so -1 (no data).
    const crowdOnly = evaluateCoco(makeGt([crowd]), [det(1, 1, [10, 10, 20, 20], 0.9)]);
    expect(crowdOnly.stats.AP).toBe(-1);
    expect(crowdOnly.stats.AR100).toBe(-1);
  });

  it('only the top 100 detections per image and category count', () => {
    // One large gt [0,0,100,100]. 100 junk detections far away (no overlap), score .9 each,
    // and one perfect detection.
    const gt = makeGt([{ image_id: 1, category_id: 1, bbox: [0, 0, 100, 100] }]);
    const junk = Array.from({ length: 100 }, (_, i) => det(1, 1, [200 + 3 * i, 500, 2, 2], 0.9));

    // (a) The perfect detection scores .5: it is 101st, cut before matching. tp = 0 everywhere:
    // recall 0, precision 0 -> AP 0 and AR 0 (not -1: the gt exists).
    const cut = evaluateCoco(gt, [...junk, det(1, 1, [0, 0, 100, 100], 0.5)]);
    expect(cut.stats.AP).toBe(0);
    expect(cut.stats.AR100).toBe(0);
    expect(cut.stats.ARl).toBe(0);

    // (b) Same score as the junk but later in the file: the stable (mergesort) order keeps it
    // 101st, so it is cut too.
    const tie = evaluateCoco(gt, [...junk, det(1, 1, [0, 0, 100, 100], 0.9)]);
    expect(tie.stats.AR100).toBe(0);

    // (c) Same score, first in the file: now it is 1st. Sorted [tp, 99 x fp]: precision at
    // position 0 is 1/(1+eps), the envelope carries it to every threshold; AR1 = AR100 = 1.
    const first = evaluateCoco(gt, [det(1, 1, [0, 0, 100, 100], 0.9), ...junk]);
    expect(first.stats.AR1).toBe(1);
    expect(first.stats.AR100).toBe(1);
    expect(first.perCategory[0].pr50).toEqual(new Array(101).fill(ONE_TP_PRECISION));
    expect(close(first.stats.AP50, ONE_TP_PRECISION, 1e-15)).toBe(true);
    expect(close(first.stats.AP, ONE_TP_PRECISION, 1e-15)).toBe(true);

    // (d) pycocotools quirk: with maxDets [1, 10, 101] the 101st detection counts for AP50/AR,
    // but the first summary line asks for the literal maxDets=100, which is not there: -1.
    const wider = evaluateCoco(gt, [...junk, det(1, 1, [0, 0, 100, 100], 0.5)], { maxDets: [1, 10, 101] });
    expect(wider.stats.AP).toBe(-1);
    expect(wider.stats.AR100).toBe(1); // "AR100" is the stat at maxDets[2] = 101
    // Sorted [100 x fp, tp]: precision at the tp is 1/(101+eps) = 1/101 for every threshold.
    expect(wider.perCategory[0].pr50).toEqual(new Array(101).fill(1 / 101));
    expect(close(wider.stats.AP50, 1 / 101, 1e-15)).toBe(true);
  });

  it('a category without gt is -1 for itself and does not move the means', () => {
    // Category 1: two gt found exactly (AP 1). Category 2: no gt, but a confident detection.
    // Category 2's precision/recall stay -1 (npig = 0), so it is left out of every mean.
    const gt = makeGt(
      [
        { image_id: 1, category_id: 1, bbox: [0, 0, 60, 60] },
        { image_id: 1, category_id: 1, bbox: [200, 200, 60, 60] },
      ],
      { cats: [1, 2] },
    );
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 60, 60], 0.8), det(1, 1, [200, 200, 60, 60], 0.7), det(1, 2, [0, 0, 60, 60], 0.99)]);
    const [c1, c2] = r.perCategory;
    expect(c1).toMatchObject({ id: 1, name: 'cat1', AP: 1, AP50: 1, AR100: 1, gt: 2, dt: 2 });
    expect(c2).toMatchObject({ id: 2, name: 'cat2', AP: -1, AP50: -1, AP75: -1, AR100: -1, gt: 0, dt: 1 });
    expect(r.stats.AP).toBe(1);
    expect(r.stats.AR100).toBe(1);
    expect(c1.pr50).toEqual(new Array(101).fill(1));
    expect(c2.pr50).toEqual(new Array(101).fill(-1));
  });

  it('area ranges use the gt `area` field, not the bbox', () => {
    // Two gt with 100x100 boxes but area 500 (e.g. a thin segmentation): both are "small".
    // Perfect detections have area 10000 but match the small gt, so they are true positives
    // for 'small' (APs = 1 with two tp). For 'large' the gt are out of range (ignored), the
    // detections matched to them are ignored too, and npig(large) = 0: APl = -1.
    const gt = makeGt([
      { image_id: 1, category_id: 1, bbox: [0, 0, 100, 100], area: 500 },
      { image_id: 1, category_id: 1, bbox: [300, 300, 100, 100], area: 500 },
    ]);
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 100, 100], 0.9), det(1, 1, [300, 300, 100, 100], 0.8)]);
    expect(r.stats.APs).toBe(1);
    expect(r.stats.APm).toBe(-1);
    expect(r.stats.APl).toBe(-1);
    expect(r.stats.AP).toBe(1);
  });

  it('the gt `ignore` field has no effect (pycocotools overwrites it with iscrowd)', () => {
    const anns = [
      { image_id: 1, category_id: 1, bbox: [0, 0, 60, 60] as [number, number, number, number] },
      { image_id: 1, category_id: 1, bbox: [200, 200, 60, 60] as [number, number, number, number] },
    ];
    const dt = [det(1, 1, [0, 0, 60, 60], 0.9), det(1, 1, [300, 300, 60, 60], 0.8)];
    const plain = evaluateCoco(makeGt(anns), dt);
    const flagged = evaluateCoco(makeGt(anns.map((a) => ({ ...a, ignore: 1 }))), dt);
    expect(flagged.statsArray).toEqual(plain.statsArray);
    expect(plain.stats.AR100).toBe(0.5); // one of two non-ignored gt found
  });

  it('a detection matched to a gt with id 0 counts as a false positive, with a warning', () => {
    // pycocotools stores the matched gt id in dtMatches and tests it for truth; id 0 is "no
    // match". The gt is still consumed, so AP = 0 here, exactly as pycocotools reports.
    const gt = makeGt([{ id: 0, image_id: 1, category_id: 1, bbox: [0, 0, 50, 50] }]);
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 50, 50], 0.9)]);
    expect(r.stats.AP).toBe(0);
    expect(r.stats.AR100).toBe(0);
    expect(r.warnings.join(' ')).toMatch(/id 0/);
  });

  it('images without detections still count; detections on unknown images are refused', () => {
    // Image 2 has a gt and no detection: recall 1/2 (pycocotools iterates over all gt images).
    const gt = makeGt([
      { image_id: 1, category_id: 1, bbox: [0, 0, 50, 50] },
      { image_id: 2, category_id: 1, bbox: [0, 0, 50, 50] },
    ]);
    const dt = [det(1, 1, [0, 0, 50, 50], 0.9)];
    const r = evaluateCoco(gt, dt);
    expect(r.stats.AR100).toBe(0.5);
    // The one tp comes first: precision 1/(1+eps) up to recall .5, nothing beyond: 51 of 101.
    expect(close(r.stats.AP50, (51 * ONE_TP_PRECISION) / 101, 1e-15)).toBe(true);

    // pycocotools' loadRes asserts "Results do not correspond to current coco set".
    const stray = [...dt, det(99, 1, [0, 0, 5, 5], 0.5)];
    expect(() => evaluateCoco(gt, stray)).toThrow(/image_id 99/);
    const lenient = evaluateCoco(gt, stray, { allowUnknownImages: true });
    expect(lenient.statsArray).toEqual(r.statsArray);
    expect(lenient.warnings.join(' ')).toMatch(/1 detection\(s\) refer to images/);
  });

  it('imgIds / catIds / useCats options behave like the pycocotools params', () => {
    const gt = makeGt([
      { image_id: 1, category_id: 1, bbox: [0, 0, 50, 50] },
      { image_id: 2, category_id: 2, bbox: [0, 0, 50, 50] },
    ]);
    // The category-2 detection sits on the category-1 gt of image 1: wrong class.
    const dt = [det(1, 2, [0, 0, 50, 50], 0.9), det(2, 2, [0, 0, 50, 50], 0.8)];
    // Per category: cat 1 has no detection (AP 0), cat 2 finds its gt after one fp
    // (precision 1/(2+eps) = 0.5 at recall 1): AP50 = mean(0, 0.5) = 0.25.
    expect(evaluateCoco(gt, dt).stats.AP50).toBe(0.25);
    // Only image 2 (given unsorted and duplicated, as pycocotools np.unique's them).
    const img2 = evaluateCoco(gt, dt, { imgIds: [2, 2] });
    expect(img2.params.imgIds).toEqual([2]);
    // Cat 1 has no gt there (-1, left out); cat 2 has one tp: 1/(1+eps) at every threshold.
    expect(close(img2.stats.AP50, ONE_TP_PRECISION, 1e-15)).toBe(true);
    expect(img2.perCategory.map((c) => c.AP50 === -1)).toEqual([true, false]);
    // Only category 1.
    expect(evaluateCoco(gt, dt, { catIds: [1] }).stats.AP50).toBe(0);
    // useCats false: classes are ignored, both detections match a gt: AP 1.
    const agnostic = evaluateCoco(gt, dt, { useCats: false });
    expect(agnostic.stats.AP).toBe(1);
    expect(agnostic.counts[2]).toBe(1);
    expect(agnostic.perCategory).toHaveLength(1);
  });
});

describe('formatCocoSummary', () => {
  it('prints the 12 pycocotools lines, rounding exact ties half to even like Python', () => {
    const gt = makeGt([
      { image_id: 1, category_id: 1, bbox: [0, 0, 60, 60] },
      { image_id: 1, category_id: 1, bbox: [200, 200, 60, 60] },
    ]);
    const r = evaluateCoco(gt, [det(1, 1, [0, 0, 60, 60], 0.9), det(1, 1, [200, 200, 60, 60], 0.8)]);
    const lines = formatCocoSummary(r).split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000');
    expect(lines[1]).toBe(' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000');
    expect(lines[3]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000');
    expect(lines[6]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.500');
    // '{:0.3f}'.format(0.0625) == '0.062' and 0.1875 -> '0.188' in Python; toFixed gives 0.063.
    const ties = formatCocoSummary({ ...r, statsArray: [0.0625, 0.1875, 0.3125, 0.9375, 0.1, 2 / 3, 0, -1, 0.0005, 1, 0.5, 0.25] })
      .split('\n')
      .map((l) => l.split('= ').pop());
    expect(ties).toEqual(['0.062', '0.188', '0.312', '0.938', '0.100', '0.667', '0.000', '-1.000', '0.001', '1.000', '0.500', '0.250']);
  });
});

// ---------------------------------------------------------------------------------------------
// 2b. A deliberately naive transliteration of COCOeval as an oracle on random data: lists,
//     per-cell filtering, full sorts, the in-place envelope and a binary searchsorted. The fast
//     evaluator's precision/recall/scores tensors must equal it bit for bit.
// ---------------------------------------------------------------------------------------------

interface RefOut {
  precision: number[];
  recall: number[];
  scores: number[];
}

function referenceEval(gt: CocoGt, dts: CocoDt[], o: { maxDets?: number[]; useCats?: boolean; imgIds?: number[]; catIds?: number[] } = {}): RefOut {
  const useCats = o.useCats ?? true;
  const imgIds = [...new Set(o.imgIds ?? gt.images.map((i) => i.id))].sort((a, b) => a - b);
  const allCats = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const catIds = o.catIds ? (useCats ? [...new Set(o.catIds)].sort((a, b) => a - b) : o.catIds) : allCats;
  const maxDets = [...(o.maxDets ?? [1, 10, 100])].sort((a, b) => a - b);
  const step = (0.95 - 0.5) / 9;
  const iouThrs = Array.from({ length: 10 }, (_, k) => (k === 9 ? 0.95 : k * step + 0.5));
  const recThrs = Array.from({ length: 101 }, (_, k) => (k === 100 ? 1 : k * 0.01));
  const areaRng = [
    [0, 1e10],
    [0, 1024],
    [1024, 9216],
    [9216, 1e10],
  ];
  type G = { id: number; bbox: number[]; area: number; crowd: number; image_id: number; category_id: number };
  type D = { id: number; bbox: number[]; area: number; score: number; image_id: number; category_id: number };
  const G_: G[] = gt.annotations.map((a) => ({ ...a, crowd: a.iscrowd ? 1 : 0 }));
  const D_: D[] = dts.map((d, i) => ({ ...d, id: i + 1, area: d.bbox[2] * d.bbox[3] }));
  const gtsOf = (img: number, cat: number): G[] =>
    useCats ? G_.filter((g) => g.image_id === img && g.category_id === cat) : catIds.flatMap((c) => G_.filter((g) => g.image_id === img && g.category_id === c));
  const dtsOf = (img: number, cat: number): D[] =>
    useCats ? D_.filter((d) => d.image_id === img && d.category_id === cat) : catIds.flatMap((c) => D_.filter((d) => d.image_id === img && d.category_id === c));
  const iou = (d: number[], g: number[], crowd: number): number => {
    const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
    if (w <= 0) return 0;
    const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
    if (h <= 0) return 0;
    const i = w * h;
    const da = d[2] * d[3];
    return i / (crowd ? da : da + g[2] * g[3] - i);
  };
  const evalCats = useCats ? catIds : [-1];
  type E = { scores: number[]; dtm: number[][]; dtIg: number[][]; gtIg: number[] } | null;
  const evaluateImg = (img: number, cat: number, aRng: number[], maxDet: number): E => {
    const g0 = gtsOf(img, cat);
    const d0 = dtsOf(img, cat);
    if (g0.length === 0 && d0.length === 0) return null;
    const ign = g0.map((g) => (g.crowd || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0));
    const gi = g0.map((_, i) => i).sort((a, b) => ign[a] - ign[b]);
    const gs = gi.map((i) => g0[i]);
    const gIg = gi.map((i) => ign[i]);
    const ds = d0
      .map((d, i) => ({ d, i }))
      .sort((a, b) => b.d.score - a.d.score || a.i - b.i)
      .map((x) => x.d)
      .slice(0, maxDet);
    const dtm = iouThrs.map(() => ds.map(() => 0));
    const dtIg = iouThrs.map(() => ds.map(() => 0));
    iouThrs.forEach((t, ti) => {
      const gtm = gs.map(() => 0);
      ds.forEach((d, di) => {
        let best = Math.min(t, 1 - 1e-10);
        let m = -1;
        for (let j = 0; j < gs.length; j++) {
          if (gtm[j] > 0 && !gs[j].crowd) continue;
          if (m > -1 && gIg[m] === 0 && gIg[j] === 1) break;
          const v = iou(d.bbox, gs[j].bbox, gs[j].crowd);
          if (v < best) continue;
          best = v;
          m = j;
        }
        if (m === -1) return;
        dtIg[ti][di] = gIg[m];
        dtm[ti][di] = gs[m].id;
        gtm[m] = d.id;
      });
      ds.forEach((d, di) => {
        if (dtm[ti][di] === 0 && (d.area < aRng[0] || d.area > aRng[1])) dtIg[ti][di] = 1;
      });
    });
    return { scores: ds.map((d) => d.score), dtm, dtIg, gtIg: gIg };
  };
  const T = 10;
  const R = 101;
  const K = evalCats.length;
  const A = 4;
  const M = maxDets.length;
  const precision = new Array<number>(T * R * K * A * M).fill(-1);
  const scores = new Array<number>(T * R * K * A * M).fill(-1);
  const recall = new Array<number>(T * K * A * M).fill(-1);
  evalCats.forEach((cat, k) => {
    areaRng.forEach((aRng, a) => {
      const Es = imgIds.map((img) => evaluateImg(img, cat, aRng, maxDets[M - 1])).filter((e): e is NonNullable<E> => e !== null);
      if (Es.length === 0) return;
      maxDets.forEach((maxDet, m) => {
        const sc = Es.flatMap((e) => e.scores.slice(0, maxDet));
        const order = sc.map((_, i) => i).sort((x, y) => -sc[x] - -sc[y] || x - y);
        const dtm = iouThrs.map((_, t) => {
          const row = Es.flatMap((e) => e.dtm[t].slice(0, maxDet));
          return order.map((i) => row[i]);
        });
        const dtIg = iouThrs.map((_, t) => {
          const row = Es.flatMap((e) => e.dtIg[t].slice(0, maxDet));
          return order.map((i) => row[i]);
        });
        const npig = Es.flatMap((e) => e.gtIg).filter((v) => v === 0).length;
        if (npig === 0) return;
        for (let t = 0; t < T; t++) {
          let tp = 0;
          let fp = 0;
          const rc: number[] = [];
          const pr: number[] = [];
          for (let i = 0; i < order.length; i++) {
            if (dtm[t][i] !== 0 && !dtIg[t][i]) tp++;
            if (dtm[t][i] === 0 && !dtIg[t][i]) fp++;
            rc.push(tp / npig);
            pr.push(tp / (fp + tp + Number.EPSILON));
          }
          const nd = rc.length;
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          const q = new Array<number>(R).fill(0);
          const ss = new Array<number>(R).fill(0);
          for (let r = 0; r < R; r++) {
            let lo = 0;
            let hi = nd;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (rc[mid] < recThrs[r]) lo = mid + 1;
              else hi = mid;
            }
            if (lo >= nd) break;
            q[r] = pr[lo];
            ss[r] = sc[order[lo]];
          }
          for (let r = 0; r < R; r++) {
            precision[(((t * R + r) * K + k) * A + a) * M + m] = q[r];
            scores[(((t * R + r) * K + k) * A + a) * M + m] = ss[r];
          }
        }
      });
    });
  });
  return { precision, recall, scores };
}

function randomCase(seed: number): { gt: CocoGt; dt: CocoDt[] } {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32: deterministic, so a failure can be replayed from its seed.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const cats = [1, 2, 3, 5];
  const anns: CocoGtAnnotation[] = [];
  const dt: CocoDt[] = [];
  let nextId = 1;
  // Sizes straddling the small/medium/large limits, including exactly 32x32 and 96x96.
  const sides = [4, 20, 31, 32, 33, 60, 95, 96, 97, 150, 300];
  for (let img = 1; img <= 12; img++) {
    const nGt = Math.floor(rnd() * 7);
    for (let j = 0; j < nGt; j++) {
      const w = pick(sides);
      const h = pick(sides);
      const x = Math.floor(rnd() * 600);
      const y = Math.floor(rnd() * 600);
      const cat = pick(cats);
      const crowd = rnd() < 0.15 ? 1 : 0;
      // Area sometimes differs from the box (segmentation area) and sometimes sits on a limit.
      const area = rnd() < 0.3 ? pick([1024, 9216, w * h * 0.6]) : w * h;
      anns.push({ id: img === 3 && j === 0 ? 0 : nextId++, image_id: img, category_id: cat, bbox: [x, y, w, h], area, iscrowd: crowd });
      const nDet = Math.floor(rnd() * 4);
      for (let k = 0; k < nDet; k++) {
        const jit = (): number => (rnd() - 0.5) * w * 0.6;
        dt.push({
          image_id: img,
          category_id: rnd() < 0.8 ? cat : pick([...cats, 7]),
          bbox: [x + jit(), y + jit(), Math.max(0, w + jit()), Math.max(0, h + jit())],
          // Coarse scores so that ties are common and the stable order matters.
          score: Math.round(rnd() * 20) / 20,
        });
      }
    }
    const junk = img === 5 ? 130 : Math.floor(rnd() * 8);
    for (let k = 0; k < junk; k++) {
      dt.push({
        image_id: img,
        category_id: img === 5 ? 1 : pick(cats),
        bbox: [Math.floor(rnd() * 700), Math.floor(rnd() * 700), pick(sides), pick(sides)],
        score: Math.round(rnd() * 20) / 20,
      });
    }
  }
  // Image 13 has neither gt nor detections; category 9 is declared but never used.
  const images = Array.from({ length: 13 }, (_, i) => ({ id: 13 - i }));
  return { gt: { images, annotations: anns, categories: [...cats, 9].map((id) => ({ id, name: `c${id}` })) }, dt };
}

describe('evaluateCoco against a naive COCOeval transliteration (random data)', () => {
  const variants: { name: string; opts: { maxDets?: [number, number, number]; useCats?: boolean; imgIds?: number[]; catIds?: number[] } }[] = [
    { name: 'defaults', opts: {} },
    { name: 'maxDets [1,3,20]', opts: { maxDets: [20, 1, 3] } },
    { name: 'useCats false', opts: { useCats: false } },
    { name: 'image and category subsets', opts: { imgIds: [5, 3, 2, 11, 42], catIds: [5, 1, 9] } },
  ];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    for (const v of variants) {
      it(`seed ${seed}, ${v.name}: identical tensors`, () => {
        const { gt, dt } = randomCase(seed * 7919);
        const fast = evaluateCoco(gt, dt, v.opts);
        const ref = referenceEval(gt, dt, v.opts);
        expect(Array.from(fast.recall)).toEqual(ref.recall);
        expect(Array.from(fast.precision)).toEqual(ref.precision);
        expect(Array.from(fast.scores)).toEqual(ref.scores);
        // The data must actually exercise the interesting paths.
        expect(fast.statsArray.filter((x) => x > 0).length).toBeGreaterThan(3);
      });
    }
  }
});

describe('numpy helpers', () => {
  it('argsortDescStable equals a stable sort of -v (ties by position, -0 == +0)', () => {
    let seed = 99;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pool = [0, -0, 1, -1, 0.5, 0.25, 1e-300, -1e-300, 3.5e10, -7, 0.1 + 0.2, 0.3, Number.MIN_VALUE, -Number.MAX_VALUE];
    for (const n of [0, 1, 2, 31, 32, 33, 200, 5000]) {
      const v = Float64Array.from({ length: n }, () => (rnd() < 0.5 ? pool[Math.floor(rnd() * pool.length)] : (rnd() - 0.5) * 1e3));
      const out = new Int32Array(n);
      argsortDescStable(v, n, out);
      const want = Array.from({ length: n }, (_, i) => i).sort((x, y) => -v[x] - -v[y] || x - y);
      expect(Array.from(out)).toEqual(want);
    }
  });

  it('linspace and the summary mean follow numpy', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, 2, 3)).toEqual([2, 2, 2]);
    expect(meanAboveMinusOne([-1, -1])).toBe(-1);
    expect(meanAboveMinusOne([-1, 0.5, 1, -1])).toBe(0.75);
    // numpy sums with 8 interleaved accumulators: for 1 followed by fifteen 2^-53 (half an ulp
    // of 1), left to right every addition ties back to 1; numpy's accumulators are
    // r0 = 1 + e -> 1 and r1..r7 = 2e each, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
    // = 1 + 7 * 2^-52 exactly.
    const e = 2 ** -53;
    const v = [1, ...new Array<number>(15).fill(e)];
    let naive = 0;
    for (const x of v) naive += x;
    expect(naive).toBe(1);
    expect(pairwiseSum(v, 0, v.length)).toBe(1 + 7 * 2 ** -52);
  });
});

describe('ids that are not small integers', () => {
  it('huge image and category ids give the same tensors as small ones', () => {
    // Exercises the Map fallback of the id lookup; the mapping keeps the id order.
    const { gt, dt } = randomCase(4242);
    const bigImg = (id: number): number => id * 1_000_000_007;
    const bigCat = (id: number): number => id + 1e12;
    const gt2: CocoGt = {
      images: gt.images.map((im) => ({ ...im, id: bigImg(im.id) })),
      categories: gt.categories.map((c) => ({ ...c, id: bigCat(c.id) })),
      annotations: gt.annotations.map((a) => ({ ...a, image_id: bigImg(a.image_id), category_id: bigCat(a.category_id) })),
    };
    const dt2 = dt.map((d) => ({ ...d, image_id: bigImg(d.image_id), category_id: bigCat(d.category_id) }));
    const a = evaluateCoco(gt, dt);
    const b = evaluateCoco(gt2, dt2);
    expect(Array.from(b.precision)).toEqual(Array.from(a.precision));
    expect(b.statsArray).toEqual(a.statsArray);
    expect(b.perCategory.map((c) => c.id)).toEqual(a.perCategory.map((c) => bigCat(c.id)));
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Validation
// ---------------------------------------------------------------------------------------------

describe('validateCocoGt / validateCocoDt', () => {
  const good = {
    info: { year: 2024 },
    images: [{ id: 1, width: 640, height: 480, file_name: 'a.jpg', license: 3 }],
    annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: false, segmentation: [[1, 2, 3, 4]] }],
    categories: [{ id: 1, name: '안녕하세요', supercategory: 'greeting' }],
  };
  const clone = (): typeof good => JSON.parse(JSON.stringify(good)) as typeof good;

  const expectInvalid = (fn: () => unknown, ...parts: string[]): void => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err, 'expected a validation error').toBeInstanceOf(KslError);
    const e = err as KslError;
    expect(e.code).toBe('INVALID');
    for (const p of parts) expect(e.message).toContain(p);
  };

  it('accepts a COCO file and keeps only what evaluation needs', () => {
    const gt = validateCocoGt(good, 'gt.json');
    expect(gt).toEqual({
      images: [{ id: 1, width: 640, height: 480, file_name: 'a.jpg' }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 }],
      categories: [{ id: 1, name: '안녕하세요' }],
    });
    const dt = validateCocoDt([{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], score: 0.5, area: 999, id: 7 }], 'dt.json');
    expect(dt).toEqual([{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], score: 0.5 }]);
    expect(validateCocoDt([], 'dt.json')).toEqual([]);
  });

  it('names the source and the offending field', () => {
    expectInvalid(() => validateCocoGt(null, 'gt.json'), 'gt.json', 'top level');
    expectInvalid(() => validateCocoGt({ ...clone(), images: undefined }, 'gt.json'), 'gt.json: images must be an array');
    const badBox = clone();
    badBox.annotations[0].bbox = [1, 2, -3, 4];
    expectInvalid(() => validateCocoGt(badBox, 'val.json'), 'val.json', 'annotations[0].bbox[2]', 'negative');
    const shortBox = clone();
    shortBox.annotations[0].bbox = [1, 2, 3];
    expectInvalid(() => validateCocoGt(shortBox, 'val.json'), 'annotations[0].bbox', 'got 3');
    const noArea = clone() as unknown as { annotations: Record<string, unknown>[] };
    delete noArea.annotations[0].area;
    expectInvalid(() => validateCocoGt(noArea, 'val.json'), 'annotations[0].area', 'got nothing');
    const dupAnn = clone();
    dupAnn.annotations.push({ ...dupAnn.annotations[0] });
    expectInvalid(() => validateCocoGt(dupAnn, 'val.json'), 'annotations[1].id', 'duplicates annotations[0].id');
    const dupImg = clone();
    dupImg.images.push({ ...dupImg.images[0] });
    expectInvalid(() => validateCocoGt(dupImg, 'val.json'), 'images[1].id');
    const strId = clone() as unknown as { images: Record<string, unknown>[] };
    strId.images[0].id = 'a.jpg';
    expectInvalid(() => validateCocoGt(strId, 'val.json'), 'images[0].id must be an integer', '"a.jpg"');
    const crowd2 = clone() as unknown as { annotations: Record<string, unknown>[] };
    crowd2.annotations[0].iscrowd = 2;
    expectInvalid(() => validateCocoGt(crowd2, 'val.json'), 'annotations[0].iscrowd', '0 or 1');
    const noName = clone() as unknown as { categories: Record<string, unknown>[] };
    delete noName.categories[0].name;
    expectInvalid(() => validateCocoGt(noName, 'val.json'), 'categories[0].name');

    expectInvalid(() => validateCocoDt({ annotations: [] }, 'results.json'), 'results.json', 'list of detections');
    expectInvalid(
      () => validateCocoDt([{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: '0.5' }], 'results.json'),
      'results.json: [0].score must be a finite number',
    );
    expectInvalid(
      () =>
        validateCocoDt(
          [
            { image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 },
            { image_id: 1, category_id: 1, bbox: [0, 0, Infinity, 1], score: 0.5 },
          ],
          'results.json',
        ),
      '[1].bbox[2]',
    );
    expectInvalid(() => validateCocoDt([{ category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 }], 'r.json'), '[0].image_id', 'got nothing');
  });

  it('carries the field in the error details for the transports', () => {
    try {
      validateCocoDt([{ image_id: 1.5, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }], 'r.json');
      expect.unreachable();
    } catch (e) {
      expect((e as KslError).details).toEqual({ source: 'r.json', field: '[0].image_id' });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Performance: 5,000 images x 30 categories, 100 detections per image (500,000 detections)
// ---------------------------------------------------------------------------------------------

describe('evaluateCoco performance', () => {
  it('evaluates 5,000 images x 30 categories with 500k detections quickly', () => {
    let s = 12345;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x7fffffff;
    };
    const gt: CocoGt = { images: [], annotations: [], categories: [] };
    for (let c = 1; c <= 30; c++) gt.categories.push({ id: c, name: `c${c}` });
    const dt: CocoDt[] = [];
    let id = 1;
    for (let img = 1; img <= 5000; img++) {
      gt.images.push({ id: img });
      const nGt = 1 + Math.floor(rnd() * 12);
      for (let g = 0; g < nGt; g++) {
        const w = 5 + rnd() * 300;
        const h = 5 + rnd() * 300;
        const x = rnd() * 400;
        const y = rnd() * 300;
        const c = 1 + Math.floor(rnd() * 30);
        gt.annotations.push({ id: id++, image_id: img, category_id: c, bbox: [x, y, w, h], area: w * h, iscrowd: rnd() < 0.02 ? 1 : 0 });
        for (let k = 0; k < 3; k++) {
          dt.push(det(img, rnd() < 0.8 ? c : 1 + Math.floor(rnd() * 30), [x + (rnd() - 0.5) * 20, y + (rnd() - 0.5) * 20, w * (0.8 + rnd() * 0.4), h * (0.8 + rnd() * 0.4)], rnd()));
        }
      }
      for (let k = 3 * nGt; k < 100; k++) {
        dt.push(det(img, 1 + Math.floor(rnd() * 30), [rnd() * 500, rnd() * 400, 5 + rnd() * 200, 5 + rnd() * 200], Math.round(rnd() * 100) / 100));
      }
    }
    expect(dt).toHaveLength(500_000);
    const t0 = performance.now();
    const r = evaluateCoco(gt, dt);
    const ms = performance.now() - t0;
    console.log(`5,000 images x 30 categories, ${dt.length} detections: ${ms.toFixed(0)} ms (AP ${r.stats.AP.toFixed(4)})`);
    expect(r.stats.AP).toBeGreaterThan(0);
    // Typically well under a second; the bound leaves room for a loaded CI machine.
    expect(ms).toBeLessThan(4000);
  });
});
