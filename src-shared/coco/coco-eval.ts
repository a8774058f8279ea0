import {
  COCO_STAT_KEYS,
  type CocoCategoryResult,
  type CocoDt,
  type CocoEvalOptions,
  type CocoEvalParams,
  type CocoEvalResult,
  type CocoGt,
  type CocoStats,
} from './coco-types';
import { KslError } from '../result';
import { argsortDescStable, linspace, meanAboveMinusOne } from './numpy-compat';

export type {
  CocoBox,
  CocoCategory,
  CocoCategoryResult,
  CocoDt,
  CocoEvalOptions,
  CocoEvalParams,
  CocoEvalResult,
  CocoGt,
  CocoGtAnnotation,
  CocoImage,
  CocoStats,
} from './coco-types';
export { COCO_STAT_KEYS } from './coco-types';
export { validateCocoDt, validateCocoGt } from './coco-validate';

/**
 * COCO bbox evaluation that reproduces pycocotools' COCOeval (iouType 'bbox') number for number.
 * Every rule below exists because pycocotools does it that way, including its oddities, so a
 * result from this app can be put next to a paper's pycocotools number without caveats:
 *
 *  - detections are loaded as loadRes does: area = w*h, ids 1..n in file order, never crowd;
 *  - a gt is ignored iff it is crowd (pycocotools overwrites any `ignore` field with `iscrowd`)
 *    or its `area` field (not its bbox) lies outside the area range, bounds inclusive;
 *  - IoU against a crowd region divides by the detection's area only;
 *  - per image and category, detections are sorted by score with a stable sort and cut to the
 *    largest maxDets before matching; greedy matching follows evaluateImg line by line;
 *  - a detection matched to a gt whose id is 0 counts as unmatched, because pycocotools stores
 *    the matched gt id and tests it for truthiness;
 *  - accumulation, the precision envelope, searchsorted and the summary means follow numpy.
 *
 * The work is organised per category so that only one category's match table is alive at a
 * time, with typed arrays throughout: 5,000 images x 30 categories with 500,000 detections takes
 * about a second even on a busy two-core machine (pycocotools needs about a minute).
 */

export const COCO_AREA_RNG: readonly (readonly [number, number])[] = [
  [0, 1e10],
  [0, 32 * 32],
  [32 * 32, 96 * 96],
  [96 * 96, 1e10],
];
export const COCO_AREA_LBL: readonly string[] = ['all', 'small', 'medium', 'large'];
/** np.linspace(.5, .95, 10), with numpy's exact floating-point values. */
export const COCO_IOU_THRS: readonly number[] = linspace(0.5, 0.95, 10);
/** np.linspace(0, 1, 101). */
export const COCO_REC_THRS: readonly number[] = linspace(0, 1, 101);
export const COCO_MAX_DETS: readonly [number, number, number] = [1, 10, 100];

/** np.spacing(1): pycocotools adds it to tp+fp so that 0/0 (only ignored detections so far) is 0. */
const EPS = 2.220446049250313e-16;

const byNumber = (a: number, b: number): number => a - b;
const sortedUnique = (xs: readonly number[]): number[] => [...new Set(xs)].sort(byNumber);

/** Compressed rows: members of bucket b are items[start[b] .. start[b+1]), in input order. */
interface Buckets {
  start: Int32Array;
  items: Int32Array;
}

function bucketize(keys: Int32Array, nBuckets: number): Buckets {
  const start = new Int32Array(nBuckets + 1);
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) start[keys[i] + 1]++;
  for (let b = 0; b < nBuckets; b++) start[b + 1] += start[b];
  const fill = start.slice(0, nBuckets);
  const items = new Int32Array(start[nBuckets]);
  // Walking the input in order keeps each bucket in file order, which pycocotools' ties rely on.
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) items[fill[keys[i]]++] = i;
  return { start, items };
}

/**
 * id -> position lookup. COCO ids are small non-negative integers in practice (image ids below a
 * million, category ids below a hundred), where a dense table beats a Map several times over on
 * the half-million lookups of a large evaluation; anything else falls back to a Map.
 */
class IdIndex {
  private readonly table: Int32Array | null;
  private readonly map: Map<number, number> | null;

  constructor(ids: readonly number[]) {
    let max = -1;
    let dense = true;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) dense = false;
      else if (id > max) max = id;
    }
    if (dense && max < Math.max(1 << 20, 8 * ids.length)) {
      this.table = new Int32Array(max + 1).fill(-1);
      this.map = null;
      ids.forEach((id, i) => {
        if (this.table && this.table[id] === -1) this.table[id] = i;
      });
    } else {
      this.table = null;
      this.map = new Map();
      ids.forEach((id, i) => {
        if (this.map && !this.map.has(id)) this.map.set(id, i);
      });
    }
  }

  /** Position of the first occurrence of `id`, or -1. */
  get(id: number): number {
    if (this.table) return id >= 0 && id < this.table.length && Number.isInteger(id) ? this.table[id] : -1;
    const v = (this.map as Map<number, number>).get(id);
    return v === undefined ? -1 : v;
  }
}

/** Everything the per-category passes read, flattened into typed arrays once. */
interface Prepared {
  I: number;
  K: number;
  T: number;
  R: number;
  A: number;
  M: number;
  maxDets: Int32Array;
  /** min(iouThr, 1 - 1e-10), the starting "best IoU" of evaluateImg. */
  iouStart: Float64Array;
  recThrs: Float64Array;
  areaLo: Float64Array;
  areaHi: Float64Array;
  gBox: Float64Array;
  gArea: Float64Array;
  gCrowd: Uint8Array;
  /** pycocotools tests the matched gt *id* for truth, so a gt with id 0 never counts as matched. */
  gIdNonZero: Uint8Array;
  dBox: Float64Array;
  dArea: Float64Array;
  dScore: Float64Array;
  gB: Buckets;
  dB: Buckets;
  /** Per evaluated category k, the category slots pooled into it (one unless useCats is false). */
  evalSlots: Int32Array[];
}

/** Reusable per-cell buffers, grown on demand, so the image loop allocates almost nothing. */
class Scratch {
  cellG = new Int32Array(64);
  cellD = new Int32Array(64);
  cellScore = new Float64Array(64);
  dPos = new Int32Array(64);
  dSorted = new Int32Array(64);
  dOut = new Uint8Array(64);
  ious = new Float64Array(1024);
  gOrder = new Int32Array(64);
  gIgS = new Uint8Array(64);
  gCrowdS = new Uint8Array(64);
  gIdNonZeroS = new Uint8Array(64);
  /** gt "already matched" marks: equal to `stamp` means matched in the current (area, IoU) pass. */
  gtm = new Int32Array(64);
  stamp = 0;
  /** Sizes written by cellSizes(), kept here to avoid allocating a tuple per image. */
  G = 0;
  D = 0;

  ensure(G: number, D: number): void {
    if (this.cellG.length < G) {
      const n = 2 * G;
      this.cellG = new Int32Array(n);
      this.gOrder = new Int32Array(n);
      this.gIgS = new Uint8Array(n);
      this.gCrowdS = new Uint8Array(n);
      this.gIdNonZeroS = new Uint8Array(n);
      this.gtm = new Int32Array(n);
      this.stamp = 0;
    }
    if (this.cellD.length < D) {
      const n = 2 * D;
      this.cellD = new Int32Array(n);
      this.cellScore = new Float64Array(n);
      this.dPos = new Int32Array(n);
      this.dSorted = new Int32Array(n);
      this.dOut = new Uint8Array(n);
    }
    if (this.ious.length < G * D) this.ious = new Float64Array(2 * G * D);
  }

  /** A fresh "nothing matched yet" state for the gt marks, without clearing the array. */
  nextStamp(): number {
    if (this.stamp >= 0x3fffffff) {
      this.gtm.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

/** One category's evaluateImg output over all images, laid out for accumulate(). */
interface CategoryMatches {
  /** False when no image has gt or dt for the category (pycocotools: every E is None). */
  anyCell: boolean;
  /** Detections kept after the per-image largest-maxDets cut, concatenated in image order. */
  nDk: number;
  kScore: Float64Array;
  /** Rank of each kept detection within its own image (0 = best), for the smaller maxDets. */
  kRank: Int32Array;
  /**
   * Outcome per (area, IoU threshold, kept detection), index (a*T + t)*nDk + j:
   * 0 = false positive, 1 = true positive, 2 = ignored (neither).
   */
  code: Uint8Array;
  /** Non-ignored gt per area range: the recall denominator. */
  npig: Int32Array;
  gt: number;
  crowd: number;
  dt: number;
}

function cellSizes(P: Prepared, slots: Int32Array, i: number, sc: Scratch): void {
  let g = 0;
  let d = 0;
  for (let q = 0; q < slots.length; q++) {
    const b = slots[q] * P.I + i;
    g += P.gB.start[b + 1] - P.gB.start[b];
    d += P.dB.start[b + 1] - P.dB.start[b];
  }
  sc.G = g;
  sc.D = d;
}

/** computeIoU + evaluateImg for every image of category k, all area ranges and thresholds. */
function matchCategory(P: Prepared, k: number, sc: Scratch): CategoryMatches {
  const { I, T, A, gB, dB } = P;
  const slots = P.evalSlots[k];
  const maxDetLast = P.maxDets[P.M - 1];

  // Pass 1: sizes, so the match table can be allocated once.
  const dOff = new Int32Array(I + 1);
  let anyCell = false;
  let dtTotal = 0;
  for (let i = 0; i < I; i++) {
    cellSizes(P, slots, i, sc);
    if (sc.G > 0 || sc.D > 0) anyCell = true;
    dtTotal += sc.D;
    dOff[i + 1] = dOff[i] + Math.min(sc.D, maxDetLast);
  }
  const nDk = dOff[I];
  const out: CategoryMatches = {
    anyCell,
    nDk,
    kScore: new Float64Array(nDk),
    kRank: new Int32Array(nDk),
    code: new Uint8Array(A * T * nDk),
    npig: new Int32Array(A),
    gt: 0,
    crowd: 0,
    dt: dtTotal,
  };
  if (!anyCell) return out;

  for (let i = 0; i < I; i++) {
    cellSizes(P, slots, i, sc);
    const G = sc.G;
    const D0 = sc.D;
    // pycocotools returns None for a cell with neither gt nor dt: it contributes nothing.
    if (G === 0 && D0 === 0) continue;
    sc.ensure(G, D0);
    const { cellG, cellD } = sc;
    let g = 0;
    let d = 0;
    for (let q = 0; q < slots.length; q++) {
      const b = slots[q] * I + i;
      for (let p = gB.start[b]; p < gB.start[b + 1]; p++) cellG[g++] = gB.items[p];
      for (let p = dB.start[b]; p < dB.start[b + 1]; p++) cellD[d++] = dB.items[p];
    }
    matchCell(P, sc, G, D0, dOff[i], out);
  }
  return out;
}

function matchCell(P: Prepared, sc: Scratch, G: number, D0: number, off: number, out: CategoryMatches): void {
  const { T, A, gBox, gArea, gCrowd, gIdNonZero, dBox, dArea, dScore, iouStart, areaLo, areaHi } = P;
  const { cellG, cellD, cellScore, dPos, dSorted, dOut, ious, gOrder, gIgS, gCrowdS, gIdNonZeroS, gtm } = sc;
  const { kScore, kRank, code, npig, nDk } = out;

  // np.argsort(-score, kind='mergesort'), then keep the best maxDets[-1].
  for (let p = 0; p < D0; p++) cellScore[p] = dScore[cellD[p]];
  argsortDescStable(cellScore, D0, dPos);
  const D = Math.min(D0, P.maxDets[P.M - 1]);
  for (let p = 0; p < D; p++) {
    const j = cellD[dPos[p]];
    dSorted[p] = j;
    kScore[off + p] = dScore[j];
    kRank[off + p] = p;
  }

  let crowdHere = 0;
  for (let g = 0; g < G; g++) crowdHere += gCrowd[cellG[g]];
  out.crowd += crowdHere;

  // maskApi.c bbIou: rows = kept detections (sorted), columns = gt in cell order.
  if (D > 0 && G > 0) {
    for (let g = 0; g < G; g++) {
      const gj = 4 * cellG[g];
      const gx = gBox[gj];
      const gy = gBox[gj + 1];
      const gw = gBox[gj + 2];
      const gh = gBox[gj + 3];
      const ga = gw * gh;
      const crowd = gCrowd[cellG[g]] !== 0;
      for (let d = 0; d < D; d++) {
        const dj = 4 * dSorted[d];
        const dx = dBox[dj];
        const dy = dBox[dj + 1];
        const dw = dBox[dj + 2];
        const dh = dBox[dj + 3];
        let v = 0;
        const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
        if (w > 0) {
          const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
          if (h > 0) {
            const inter = w * h;
            const da = dw * dh;
            // A crowd region is judged by how much of the detection falls inside it.
            v = inter / (crowd ? da : da + ga - inter);
          }
        }
        ious[d * G + g] = v;
      }
    }
  }

  for (let a = 0; a < A; a++) {
    const lo = areaLo[a];
    const hi = areaHi[a];

    // Stable "ignored last" order of the gt (np.argsort(_ignore, kind='mergesort')).
    let n = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let g = 0; g < G; g++) {
        const gj = cellG[g];
        const ig = gCrowd[gj] !== 0 || gArea[gj] < lo || gArea[gj] > hi ? 1 : 0;
        if (ig !== pass) continue;
        gOrder[n] = g;
        gIgS[n] = ig;
        gCrowdS[n] = gCrowd[gj];
        gIdNonZeroS[n] = gIdNonZero[gj];
        n++;
      }
    }
    let notIgnored = 0;
    for (let g = 0; g < G; g++) if (gIgS[g] === 0) notIgnored++;
    npig[a] += notIgnored;
    if (a === 0) out.gt += notIgnored;
    if (D === 0) continue;

    // Unmatched detections outside the area range are not held against the detector.
    for (let d = 0; d < D; d++) {
      const ar = dArea[dSorted[d]];
      dOut[d] = ar < lo || ar > hi ? 1 : 0;
    }

    if (G === 0) {
      // Nothing to match (pycocotools' empty-ious path): every detection is a false positive
      // unless it is outside the area range.
      for (let t = 0; t < T; t++) {
        const base = (a * T + t) * nDk + off;
        // The table starts zeroed (= false positive), so only ignored entries need writing.
        for (let d = 0; d < D; d++) if (dOut[d]) code[base + d] = 2;
      }
      continue;
    }

    for (let t = 0; t < T; t++) {
      const base = (a * T + t) * nDk + off;
      const stamp = sc.nextStamp();
      for (let d = 0; d < D; d++) {
        let best = iouStart[t];
        let m = -1;
        const row = d * G;
        for (let g = 0; g < G; g++) {
          // A non-crowd gt can be taken only once; crowd regions absorb any number.
          if (gtm[g] === stamp && gCrowdS[g] === 0) continue;
          // Once matched to a real gt, never trade it for an ignored one.
          if (m > -1 && gIgS[m] === 0 && gIgS[g] === 1) break;
          const v = ious[row + gOrder[g]];
          if (v < best) continue;
          best = v;
          m = g;
        }
        let c: number;
        if (m === -1) {
          c = dOut[d] ? 2 : 0;
        } else {
          gtm[m] = stamp;
          if (gIgS[m]) c = 2;
          else if (gIdNonZeroS[m]) c = 1;
          else c = dOut[d] ? 2 : 0; // matched a gt with id 0: pycocotools sees "no match"
        }
        code[base + d] = c;
      }
    }
  }
}

/** accumulate() for one category: fills precision/recall/scores at [.., k, .., ..]. */
function accumulateCategory(
  P: Prepared,
  k: number,
  cm: CategoryMatches,
  precision: Float64Array,
  recall: Float64Array,
  scores: Float64Array,
): void {
  const { T, R, K, A, M, recThrs, maxDets } = P;
  const { nDk, kScore, kRank, code, npig } = cm;

  // One global order by (score desc, concatenation position) serves every maxDets: dropping the
  // detections ranked >= maxDet in their image leaves the rest in the same relative order, which
  // is exactly what np.argsort(-scores, kind='mergesort') of the shorter concatenation gives.
  const orderAll = new Int32Array(nDk);
  argsortDescStable(kScore, nDk, orderAll);

  const sel = new Int32Array(nDk);
  const selScore = new Float64Array(nDk);
  // need[r]: the fewest true positives whose recall tp/npig reaches recThrs[r], computed with the
  // same float division, so "tp >= need[r]" is exactly numpy's `rc >= thr` test and the first
  // such position is searchsorted(rc, thr, side='left').
  const need = new Int32Array(R);
  // Precision right after the j-th true positive (1-based), its position, and the running max
  // from the end (the precision envelope) over these values.
  const tpPr = new Float64Array(nDk + 1);
  const tpPos = new Int32Array(nDk + 1);
  const rStride = K * A * M; // distance between consecutive recall thresholds in `precision`
  let prevNd = -1;
  for (let m = 0; m < M; m++) {
    const maxDet = maxDets[m];
    let nd = 0;
    for (let p = 0; p < nDk; p++) {
      const q = orderAll[p];
      if (kRank[q] < maxDet) {
        sel[nd] = q;
        selScore[nd] = kScore[q];
        nd++;
      }
    }
    if (nd === prevNd) {
      // Same detections as the previous maxDets (no image had more): same numbers.
      for (let t = 0; t < T; t++) {
        for (let a = 0; a < A; a++) {
          const ri = ((t * K + k) * A + a) * M + m;
          recall[ri] = recall[ri - 1];
          for (let r = 0, at = ((t * R * K + k) * A + a) * M + m; r < R; r++, at += rStride) {
            precision[at] = precision[at - 1];
            scores[at] = scores[at - 1];
          }
        }
      }
      continue;
    }
    prevNd = nd;

    for (let a = 0; a < A; a++) {
      const npigA = npig[a];
      if (npigA === 0) continue; // no gt in this range: stays -1
      for (let r = 0; r < R; r++) {
        const thr = recThrs[r];
        let c = Math.max(0, Math.min(npigA, Math.ceil(thr * npigA)));
        while (c > 0 && (c - 1) / npigA >= thr) c--;
        while (c <= npigA && c / npigA < thr) c++;
        need[r] = c; // npigA + 1 when unreachable
      }
      for (let t = 0; t < T; t++) {
        const base = (a * T + t) * nDk;
        // numpy computes tp/(fp+tp+eps) at every position and then takes the running max from
        // the end. Between two true positives precision can only fall (fp grows, or an ignored
        // detection repeats the previous value), so that envelope, read at any threshold's
        // position, equals the max over the true positives from there on: only those positions
        // need a division. This is exact, not an approximation: each quantity is the same
        // float64 expression numpy evaluates.
        let tp = 0;
        let fp = 0;
        for (let p = 0; p < nd; p++) {
          const c = code[base + sel[p]];
          if (c === 1) {
            tp++;
            tpPr[tp] = tp / (fp + tp + EPS);
            tpPos[tp] = p;
          } else if (c === 0) {
            fp++;
          }
        }
        // Ignored detections still occupy positions, so recall is read at the last position.
        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? tp / npigA : 0;
        for (let j = tp - 1; j >= 1; j--) if (tpPr[j + 1] > tpPr[j]) tpPr[j] = tpPr[j + 1];
        for (let r = 0, at = ((t * R * K + k) * A + a) * M + m; r < R; r++, at += rStride) {
          const c = need[r];
          if (nd === 0 || c > tp) {
            // searchsorted ran past the end: pycocotools swallows the IndexError, leaving 0.
            precision[at] = 0;
            scores[at] = 0;
          } else if (c === 0) {
            // Threshold 0 sits at position 0, whatever is there; its envelope covers everything.
            precision[at] = tp > 0 ? tpPr[1] : 0;
            scores[at] = selScore[0];
          } else {
            precision[at] = tpPr[c];
            scores[at] = selScore[tpPos[c]];
          }
        }
      }
    }
  }
}

export function evaluateCoco(gt: CocoGt, dt: CocoDt[], opts: CocoEvalOptions = {}): CocoEvalResult {
  const warnings: string[] = [];
  const useCats = opts.useCats ?? true;

  // ---- Params, as COCOeval.__init__ and evaluate() set them up ---------------------------------
  const gtImageIds = new Set<number>(gt.images.map((im) => im.id));
  const imgIds = sortedUnique(opts.imgIds ?? [...gtImageIds]);
  const gtCatIds = sortedUnique(gt.categories.map((c) => c.id));
  // With useCats=0 pycocotools does not np.unique catIds; it pools categories in the given order.
  const catIds = opts.catIds ? (useCats ? sortedUnique(opts.catIds) : [...opts.catIds]) : gtCatIds;
  const maxDets = [...(opts.maxDets ?? COCO_MAX_DETS)].sort(byNumber);
  // summarize() reads maxDets[0..2], so exactly three are needed, as in pycocotools.
  if (maxDets.length !== 3 || maxDets.some((m) => !Number.isSafeInteger(m) || m < 1)) {
    throw new KslError('INVALID', `maxDets must be three positive integers (got ${JSON.stringify(opts.maxDets)})`, { field: 'maxDets' });
  }
  const iouThrs = [...COCO_IOU_THRS];
  const recThrs = [...COCO_REC_THRS];
  const areaRng = COCO_AREA_RNG.map(([lo, hi]) => [lo, hi] as [number, number]);
  const I = imgIds.length;
  const K = useCats ? catIds.length : 1;
  const T = iouThrs.length;
  const R = recThrs.length;
  const A = areaRng.length;
  const M = maxDets.length;

  // ---- Grouping into (category, image) cells, as _prepare does ---------------------------------
  // Distinct categories get a "slot"; a cell is (slot, image). With useCats=0 an evaluation cell
  // is the concatenation of an image's slots in catIds order (duplicates included, as in Python).
  const uniqueCats = [...new Set(catIds)];
  const slotOfCat = new IdIndex(uniqueCats);
  const S = uniqueCats.length;
  const imgIndex = new IdIndex(imgIds);
  const evalSlots: Int32Array[] = useCats
    ? catIds.map((_, k) => Int32Array.of(k))
    : [Int32Array.from(catIds, (c) => slotOfCat.get(c))];

  const knownCats = new Set(gtCatIds);
  const gtImageIdx = new IdIndex([...gtImageIds]);
  const nG = gt.annotations.length;
  const gBox = new Float64Array(4 * nG);
  const gArea = new Float64Array(nG);
  const gCrowd = new Uint8Array(nG);
  const gIdNonZero = new Uint8Array(nG);
  const gKey = new Int32Array(nG);
  let gtUnknownImage = 0;
  let gtUnknownCat = 0;
  for (let j = 0; j < nG; j++) {
    const a = gt.annotations[j];
    gBox[4 * j] = a.bbox[0];
    gBox[4 * j + 1] = a.bbox[1];
    gBox[4 * j + 2] = a.bbox[2];
    gBox[4 * j + 3] = a.bbox[3];
    gArea[j] = a.area;
    // The `ignore` field is deliberately not read: pycocotools replaces it with `iscrowd`.
    gCrowd[j] = a.iscrowd ? 1 : 0;
    gIdNonZero[j] = a.id !== 0 ? 1 : 0;
    // The "unknown id" checks run only on a miss, so the common case costs two table lookups.
    const i = imgIndex.get(a.image_id);
    const s = slotOfCat.get(a.category_id);
    if (i < 0 && gtImageIdx.get(a.image_id) < 0) gtUnknownImage++;
    if (s < 0 && !knownCats.has(a.category_id)) gtUnknownCat++;
    gKey[j] = i < 0 || s < 0 ? -1 : s * I + i;
  }
  let zeroIds = 0;
  for (let j = 0; j < nG; j++) if (gIdNonZero[j] === 0) zeroIds++;
  if (zeroIds > 0) {
    warnings.push(
      `${zeroIds} ground-truth annotation(s) have id 0; pycocotools (and therefore this evaluation) counts a detection matched to them as a false positive. Number annotations from 1.`,
    );
  }
  if (gtUnknownImage > 0) {
    warnings.push(`${gtUnknownImage} ground-truth annotation(s) refer to images not listed in "images"; they were not evaluated.`);
  }
  if (gtUnknownCat > 0) {
    warnings.push(`${gtUnknownCat} ground-truth annotation(s) refer to categories not listed in "categories"; they were not evaluated.`);
  }

  const nD = dt.length;
  const dBox = new Float64Array(4 * nD);
  const dArea = new Float64Array(nD);
  const dScore = new Float64Array(nD);
  const dKey = new Int32Array(nD);
  const unknownDtCats = new Set<number>();
  let dtUnknownCat = 0;
  let unknownImageDt = 0;
  let firstUnknownImage = 0;
  for (let j = 0; j < nD; j++) {
    const d = dt[j];
    dBox[4 * j] = d.bbox[0];
    dBox[4 * j + 1] = d.bbox[1];
    dBox[4 * j + 2] = d.bbox[2];
    dBox[4 * j + 3] = d.bbox[3];
    // loadRes: area = w*h, whatever the file says.
    dArea[j] = d.bbox[2] * d.bbox[3];
    dScore[j] = d.score;
    const i = imgIndex.get(d.image_id);
    const s = slotOfCat.get(d.category_id);
    if (i < 0 && gtImageIdx.get(d.image_id) < 0) {
      if (unknownImageDt === 0) firstUnknownImage = d.image_id;
      unknownImageDt++;
    }
    if (s < 0 && !knownCats.has(d.category_id)) {
      dtUnknownCat++;
      unknownDtCats.add(d.category_id);
    }
    dKey[j] = i < 0 || s < 0 ? -1 : s * I + i;
  }
  // pycocotools' loadRes asserts that every detection's image exists in the ground truth.
  if (unknownImageDt > 0) {
    const msg = `${unknownImageDt} detection(s) refer to images that are not in the ground truth (first: image_id ${firstUnknownImage})`;
    if (!opts.allowUnknownImages) {
      throw new KslError('INVALID', `${msg}; the detections do not belong to this ground truth.`, {
        field: 'image_id',
        count: unknownImageDt,
        first: firstUnknownImage,
      });
    }
    warnings.push(`${msg}; they were skipped.`);
  }
  if (dtUnknownCat > 0) {
    const some = [...unknownDtCats].slice(0, 5).join(', ');
    warnings.push(
      `${dtUnknownCat} detection(s) have category ids not in the ground truth (${some}${unknownDtCats.size > 5 ? ', …' : ''}); they were not evaluated.`,
    );
  }

  const P: Prepared = {
    I,
    K,
    T,
    R,
    A,
    M,
    maxDets: Int32Array.from(maxDets),
    iouStart: Float64Array.from(iouThrs, (t) => Math.min(t, 1 - 1e-10)),
    recThrs: Float64Array.from(recThrs),
    areaLo: Float64Array.from(areaRng, (r) => r[0]),
    areaHi: Float64Array.from(areaRng, (r) => r[1]),
    gBox,
    gArea,
    gCrowd,
    gIdNonZero,
    dBox,
    dArea,
    dScore,
    gB: bucketize(gKey, S * I),
    dB: bucketize(dKey, S * I),
    evalSlots,
  };

  // ---- evaluate() + accumulate(), one category at a time ----------------------------------------
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  const gtCount = new Int32Array(K);
  const crowdCount = new Int32Array(K);
  const dtCount = new Int32Array(K);
  const sc = new Scratch();
  for (let k = 0; k < K; k++) {
    const cm = matchCategory(P, k, sc);
    gtCount[k] = cm.gt;
    crowdCount[k] = cm.crowd;
    dtCount[k] = cm.dt;
    if (cm.anyCell) accumulateCategory(P, k, cm, precision, recall, scores);
  }

  // ---- summarize() -------------------------------------------------------------------------------
  const big = maxDets[2];
  const S12 = (ap: boolean, iouThr: number | undefined, area: string, maxDet: number): number =>
    meanAboveMinusOne(gatherForSummary(P, precision, recall, iouThrs, maxDets, ap, iouThr, area, maxDet));
  const statsArray = [
    // pycocotools' first line uses the literal default maxDets=100, not params.maxDets[2].
    S12(true, undefined, 'all', 100),
    S12(true, 0.5, 'all', big),
    S12(true, 0.75, 'all', big),
    S12(true, undefined, 'small', big),
    S12(true, undefined, 'medium', big),
    S12(true, undefined, 'large', big),
    S12(false, undefined, 'all', maxDets[0]),
    S12(false, undefined, 'all', maxDets[1]),
    S12(false, undefined, 'all', big),
    S12(false, undefined, 'small', big),
    S12(false, undefined, 'medium', big),
    S12(false, undefined, 'large', big),
  ];
  const stats = {} as CocoStats;
  COCO_STAT_KEYS.forEach((key, i) => (stats[key] = statsArray[i]));

  // ---- Per-category table: the same means restricted to one category ----------------------------
  const t50 = iouThrs.indexOf(0.5);
  const t75 = iouThrs.indexOf(0.75);
  const allT = iouThrs.map((_, t) => t);
  const catName = new Map(gt.categories.map((c) => [c.id, c.name]));
  const pAt = (t: number, r: number, k: number, a: number, m: number): number => precision[(((t * R + r) * K + k) * A + a) * M + m];
  const perCategory: CocoCategoryResult[] = [];
  for (let k = 0; k < K; k++) {
    const apOf = (ts: number[], a: number): number => {
      const v: number[] = [];
      for (const t of ts) for (let r = 0; r < R; r++) v.push(pAt(t, r, k, a, M - 1));
      return meanAboveMinusOne(v);
    };
    const arOf = (m: number): number => {
      const v: number[] = [];
      for (let t = 0; t < T; t++) v.push(recall[((t * K + k) * A + 0) * M + m]);
      return meanAboveMinusOne(v);
    };
    const curve = (t: number): number[] => {
      const v: number[] = [];
      for (let r = 0; r < R; r++) v.push(t < 0 ? -1 : pAt(t, r, k, 0, M - 1));
      return v;
    };
    const id = useCats ? catIds[k] : -1;
    perCategory.push({
      id,
      name: useCats ? (catName.get(id) ?? String(id)) : 'all categories',
      AP: apOf(allT, 0),
      AP50: t50 < 0 ? -1 : apOf([t50], 0),
      AP75: t75 < 0 ? -1 : apOf([t75], 0),
      APs: apOf(allT, 1),
      APm: apOf(allT, 2),
      APl: apOf(allT, 3),
      AR1: arOf(0),
      AR10: arOf(1),
      AR100: arOf(2),
      gt: gtCount[k],
      crowd: crowdCount[k],
      dt: dtCount[k],
      pr50: curve(t50),
      pr75: curve(t75),
    });
  }

  const params: CocoEvalParams = { imgIds, catIds, iouThrs, recThrs, areaRng, areaRngLbl: [...COCO_AREA_LBL], maxDets, useCats };
  return { stats, statsArray, perCategory, params, counts: [T, R, K, A, M], precision, recall, scores, warnings };
}

/**
 * `s = precision[t?][:, :, :, aind, mind]` (or recall's) flattened in numpy's C order, ready for
 * `np.mean(s[s > -1])`. The order matters only for the last bits of the pairwise sum.
 */
function gatherForSummary(
  P: Prepared,
  precision: Float64Array,
  recall: Float64Array,
  iouThrs: number[],
  maxDets: number[],
  ap: boolean,
  iouThr: number | undefined,
  areaLbl: string,
  maxDet: number,
): Float64Array {
  const { T, R, K, A, M } = P;
  const aind = COCO_AREA_LBL.flatMap((l, i) => (l === areaLbl ? [i] : []));
  const mind = maxDets.flatMap((v, i) => (v === maxDet ? [i] : []));
  // numpy broadcasts the two index lists against each other; a maxDet that is not among
  // params.maxDets selects nothing, and the statistic becomes -1 (as pycocotools prints).
  const nPairs = aind.length === 1 ? mind.length : Math.min(aind.length, mind.length);
  const pairs: number[] = [];
  for (let j = 0; j < nPairs; j++) pairs.push(aind[aind.length === 1 ? 0 : j], mind[mind.length === 1 ? 0 : j]);
  // np.where(iouThr == p.iouThrs): exact float equality, which .5 and .75 satisfy.
  const ts = iouThr === undefined ? iouThrs.map((_, t) => t) : iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
  const out = new Float64Array(ts.length * (ap ? R : 1) * K * nPairs);
  let o = 0;
  for (const t of ts) {
    if (ap) {
      for (let r = 0; r < R; r++) {
        for (let k = 0; k < K; k++) {
          const base = ((t * R + r) * K + k) * A;
          for (let j = 0; j < pairs.length; j += 2) out[o++] = precision[(base + pairs[j]) * M + pairs[j + 1]];
        }
      }
    } else {
      for (let k = 0; k < K; k++) {
        const base = (t * K + k) * A;
        for (let j = 0; j < pairs.length; j += 2) out[o++] = recall[(base + pairs[j]) * M + pairs[j + 1]];
      }
    }
  }
  return out;
}

/**
 * Python's '{:0.3f}'. toFixed agrees except on exact binary ties, which at three decimals are the
 * odd multiples of 1/16 (0.0625, 0.1875, ...): Python rounds those half to even, toFixed up.
 */
function f3(x: number): string {
  const x16 = x * 16; // exact: a power-of-two scaling
  if (Number.isInteger(x16) && x16 % 2 !== 0) {
    const thousandths = Math.abs(x) * 1000; // exact: an odd multiple of 62.5
    let n = Math.floor(thousandths);
    if (n % 2 !== 0) n++; // the tie goes to the even neighbour
    const sign = x < 0 && n !== 0 ? '-' : '';
    return `${sign}${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`;
  }
  return x.toFixed(3);
}

/**
 * The 12 lines COCOeval.summarize() prints, for CLI output and logs that people will diff
 * against a pycocotools run.
 */
export function formatCocoSummary(result: CocoEvalResult): string {
  const md = result.params.maxDets;
  const rows: [boolean, string, string, number][] = [
    [true, '0.50:0.95', 'all', 100],
    [true, '0.50', 'all', md[2]],
    [true, '0.75', 'all', md[2]],
    [true, '0.50:0.95', 'small', md[2]],
    [true, '0.50:0.95', 'medium', md[2]],
    [true, '0.50:0.95', 'large', md[2]],
    [false, '0.50:0.95', 'all', md[0]],
    [false, '0.50:0.95', 'all', md[1]],
    [false, '0.50:0.95', 'all', md[2]],
    [false, '0.50:0.95', 'small', md[2]],
    [false, '0.50:0.95', 'medium', md[2]],
    [false, '0.50:0.95', 'large', md[2]],
  ];
  return rows
    .map(([ap, iou, area, maxDet], i) => {
      const title = (ap ? 'Average Precision' : 'Average Recall').padEnd(18);
      const type = ap ? '(AP)' : '(AR)';
      return ` ${title} ${type} @[ IoU=${iou.padEnd(9)} | area=${area.padStart(6)} | maxDets=${String(maxDet).padStart(3)} ] = ${f3(result.statsArray[i])}`;
    })
    .join('\n');
}
