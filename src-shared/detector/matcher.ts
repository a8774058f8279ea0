/**
 * IoU argmax matcher, after the TF OD API's `argmax_matcher` with the SSD config's settings
 * (matched_threshold 0.5, unmatched_threshold 0.5, force_match_for_each_row true).
 *
 * For every anchor (column) the ground-truth box (row) with the highest IoU is taken: IoU ≥ matched →
 * matched to it; IoU < unmatched → background; in between → ignored (only when the two thresholds
 * differ). Then every ground-truth box is forced onto its best anchor, whatever that IoU is: a 10 px hand
 * has IoU < 0.5 with every 16 px anchor and would otherwise never be a positive.
 *
 * One deliberate difference from the OD API: when two boxes share the same best anchor, the OD API keeps
 * only the first and the second box may end up with no anchor at all (two hands close together at a
 * coarse level do this). Here the second box takes its best anchor not already forced, so each box
 * really gets at least one anchor.
 *
 * Boxes are [ymin, xmin, ymax, xmax]; anchors [cy, cx, h, w] (see anchors.ts); same units.
 */

export interface MatcherOptions {
  matchedThreshold: number;
  unmatchedThreshold: number;
  forceMatchForEachRow: boolean;
}

export const DEFAULT_MATCHER: Readonly<MatcherOptions> = Object.freeze({
  matchedThreshold: 0.5,
  unmatchedThreshold: 0.5,
  forceMatchForEachRow: true,
});

/** Anchor label for background: every class target is 0. */
export const BACKGROUND = -1;
/** Anchor label for "between the thresholds": contributes no loss at all. */
export const IGNORED = -2;

export interface MatchResult {
  /** Per anchor: the matched ground-truth index, or BACKGROUND / IGNORED. */
  gtIndex: Int32Array;
  /** Per anchor: the matched box's class, or BACKGROUND / IGNORED. */
  cls: Int32Array;
  /** Number of anchors with a ground-truth match (the loss normaliser). */
  numMatched: number;
}

/** [cy, cx, h, w] rows → [ymin, xmin, ymax, xmax] rows. */
export function anchorsToCorners(anchors: ArrayLike<number>): Float32Array {
  const n = anchors.length / 4;
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const cy = anchors[4 * i];
    const cx = anchors[4 * i + 1];
    const h2 = anchors[4 * i + 2] / 2;
    const w2 = anchors[4 * i + 3] / 2;
    out[4 * i] = cy - h2;
    out[4 * i + 1] = cx - w2;
    out[4 * i + 2] = cy + h2;
    out[4 * i + 3] = cx + w2;
  }
  return out;
}

/** IoU of two [ymin, xmin, ymax, xmax] boxes given by offsets; 0 for empty boxes (never NaN). */
export function boxIouAt(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): number {
  const areaA = Math.max(0, a[ai + 2] - a[ai]) * Math.max(0, a[ai + 3] - a[ai + 1]);
  const areaB = Math.max(0, b[bi + 2] - b[bi]) * Math.max(0, b[bi + 3] - b[bi + 1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const ih = Math.min(a[ai + 2], b[bi + 2]) - Math.max(a[ai], b[bi]);
  if (ih <= 0) return 0;
  const iw = Math.min(a[ai + 3], b[bi + 3]) - Math.max(a[ai + 1], b[bi + 1]);
  if (iw <= 0) return 0;
  const inter = ih * iw;
  return inter / (areaA + areaB - inter);
}

/** IoU of every row of `a` (K×4 corners) with every row of `b` (M×4 corners): a K×M row-major matrix. */
export function iouMatrix(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const k = a.length / 4;
  const m = b.length / 4;
  const out = new Float32Array(k * m);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < m; j++) out[i * m + j] = boxIouAt(a, 4 * i, b, 4 * j);
  }
  return out;
}

// The trainer matches thousands of images against the same anchor array: convert it to corners once.
const cornerCache = new WeakMap<object, Float32Array>();
function cornersOf(anchors: Float32Array): Float32Array {
  let c = cornerCache.get(anchors);
  if (!c) {
    c = anchorsToCorners(anchors);
    cornerCache.set(anchors, c);
  }
  return c;
}

/**
 * Matches ground-truth boxes (G×4 corners, classes G) to anchors (M×4 [cy, cx, h, w]).
 * Boxes with zero area are skipped (they have IoU 0 with everything and would force-match anchor 0).
 */
export function matchAnchors(
  gtBoxes: ArrayLike<number>,
  gtClasses: ArrayLike<number>,
  anchors: Float32Array,
  options: Partial<MatcherOptions> = {},
): MatchResult {
  const opts = { ...DEFAULT_MATCHER, ...options };
  if (opts.unmatchedThreshold > opts.matchedThreshold) {
    throw new Error('matcher: unmatchedThreshold must not exceed matchedThreshold');
  }
  const g = gtBoxes.length / 4;
  if (!Number.isInteger(g) || gtClasses.length !== g) {
    throw new Error(`matcher: ${gtBoxes.length / 4} boxes but ${gtClasses.length} classes`);
  }
  const m = anchors.length / 4;
  const gtIndex = new Int32Array(m).fill(BACKGROUND);
  const cls = new Int32Array(m).fill(BACKGROUND);
  if (g === 0) return { gtIndex, cls, numMatched: 0 };

  const corners = cornersOf(anchors);
  const iou = iouMatrix(gtBoxes, corners);

  // Column-wise argmax (first box wins a tie, like tf.argmax).
  for (let j = 0; j < m; j++) {
    let best = -1;
    let bestIou = -1;
    for (let i = 0; i < g; i++) {
      const v = iou[i * m + j];
      if (v > bestIou) {
        bestIou = v;
        best = i;
      }
    }
    if (bestIou >= opts.matchedThreshold) gtIndex[j] = best;
    else if (bestIou >= opts.unmatchedThreshold) gtIndex[j] = IGNORED;
  }

  if (opts.forceMatchForEachRow) {
    const forced = new Uint8Array(m);
    for (let i = 0; i < g; i++) {
      let best = -1;
      let bestIou = 0;
      for (let j = 0; j < m; j++) {
        const v = iou[i * m + j];
        if (v > bestIou && !forced[j]) {
          bestIou = v;
          best = j;
        }
      }
      // bestIou 0: an empty box or one outside the image; nothing sensible to force.
      if (best >= 0) {
        forced[best] = 1;
        gtIndex[best] = i;
      }
    }
  }

  let numMatched = 0;
  for (let j = 0; j < m; j++) {
    const i = gtIndex[j];
    if (i >= 0) {
      cls[j] = gtClasses[i];
      numMatched++;
    } else {
      cls[j] = i;
    }
  }
  return { gtIndex, cls, numMatched };
}
