/**
 * The few numpy behaviours that pycocotools' numbers depend on, reproduced bit for bit so the
 * TypeScript evaluator agrees with pycocotools to the last ulp rather than "about 1e-15".
 */

/**
 * np.linspace(start, stop, num) (endpoint=True). numpy computes `k * step + start` with
 * step = (stop - start) / (num - 1) and then forces the last element to `stop`; e.g. the IoU
 * threshold 0.9 is really 0.8999999999999999, and that is what pycocotools compares against.
 */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let k = 0; k < num; k++) {
    // numpy's denormal guard (gh-5437): with a zero step it scales k/div by delta instead.
    out[k] = (step === 0 ? (k / div) * delta : k * step) + start;
  }
  out[num - 1] = stop;
  return out;
}

/** Below this many elements numpy's pairwise summation falls back to 8 interleaved accumulators. */
const PW_BLOCKSIZE = 128;

/**
 * numpy's pairwise summation of a float64 run (what np.sum / np.mean use for a contiguous 1-D
 * array). Plain left-to-right addition would differ in the last bits for long arrays.
 */
export function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = -0; // numpy starts from -0.0 so that a sum of -0.0 stays -0.0
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[start];
    let r1 = a[start + 1];
    let r2 = a[start + 2];
    let r3 = a[start + 3];
    let r4 = a[start + 4];
    let r5 = a[start + 5];
    let r6 = a[start + 6];
    let r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    // Same association as numpy: ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)).
    let res = (r0 + r1 + (r2 + r3)) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  // Split in two halves, keeping the first a multiple of the 8-way unroll, as numpy does.
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * pycocotools' summarize step: `np.mean(s[s > -1])`, or -1 when nothing is above -1
 * (-1 marks "no ground truth here").
 */
export function meanAboveMinusOne(values: ArrayLike<number>): number {
  const kept = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > -1) kept[n++] = v;
  }
  if (n === 0) return -1;
  // np.add.reduce starts from the identity 0.0 and adds the pairwise sum of the whole run.
  return (0 + pairwiseSum(kept, 0, n)) / n;
}

// Views used to read a double's bits for the radix sort below. Typed arrays use the platform's
// byte order, so find out which half of the double holds the sign and exponent.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** Below this size insertion sort beats the radix passes. */
const SMALL_SORT = 32;

/**
 * Stable argsort by descending value: `np.argsort(-v, kind='mergesort')` for v[0..n). Writes the
 * positions to `out`. Ties keep ascending position, which is what a stable sort of -v gives, and
 * +0/-0 count as equal as they do in numpy. Values must not be NaN.
 *
 * Sorting is the evaluator's biggest cost (every category's detections, pooled over all images),
 * so rather than a comparator sort this uses an LSD radix sort on the 64-bit pattern, which is
 * stable by construction and linear in n.
 */
export function argsortDescStable(v: ArrayLike<number>, n: number, out: Int32Array): void {
  if (n <= SMALL_SORT) {
    // Insertion sort moves an element only past strictly smaller ones, so ties stay in order.
    for (let i = 0; i < n; i++) {
      const x = v[i];
      let j = i - 1;
      while (j >= 0 && v[out[j]] < x) {
        out[j + 1] = out[j];
        j--;
      }
      out[j + 1] = i;
    }
    return;
  }
  // 64-bit keys (hi, lo) whose unsigned ascending order is the values' descending order.
  let kHi = new Uint32Array(n);
  let kLo = new Uint32Array(n);
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    F64[0] = v[i] + 0; // -0 + 0 is +0, so the two zeros share one key
    const hi = U32[HI];
    const lo = U32[LO];
    if (hi & 0x80000000) {
      // Negative: the raw pattern (sign set, so after all non-negatives) grows as the value falls.
      kHi[i] = hi;
      kLo[i] = lo;
    } else {
      // Non-negative: invert so that larger values get smaller keys; clear the sign bit.
      kHi[i] = ~hi & 0x7fffffff;
      kLo[i] = ~lo;
    }
    idx[i] = i;
  }
  let tHi = new Uint32Array(n);
  let tLo = new Uint32Array(n);
  let tIdx = new Int32Array(n);
  const count = new Int32Array(257);
  for (let pass = 0; pass < 8; pass++) {
    const src = pass < 4 ? kLo : kHi;
    const shift = (pass & 3) * 8;
    count.fill(0);
    for (let i = 0; i < n; i++) count[((src[i] >>> shift) & 0xff) + 1]++;
    // A digit shared by every key would leave the order unchanged: skip the scatter.
    let b0 = 1;
    while (count[b0] === 0) b0++;
    if (count[b0] === n) continue;
    for (let b = 0; b < 256; b++) count[b + 1] += count[b];
    for (let i = 0; i < n; i++) {
      const p = count[(src[i] >>> shift) & 0xff]++;
      tHi[p] = kHi[i];
      tLo[p] = kLo[i];
      tIdx[p] = idx[i];
    }
    [kHi, tHi] = [tHi, kHi];
    [kLo, tLo] = [tLo, kLo];
    [idx, tIdx] = [tIdx, idx];
  }
  out.set(idx.subarray(0, n));
}
