/**
 * Chooses which groups (signers, or videos) go to the test side so that every word gets about the target
 * fraction of its frames in test, while each group stays whole on one side.
 *
 * Groups span words (a signer signs many words), so per-word fractions cannot be hit independently; this is
 * a small combinatorial problem. The sizes are small (KETI has tens of signers, a word a handful of videos),
 * so a greedy pass followed by single flips and pairwise swaps until nothing improves finds a good answer
 * quickly. The visiting order is the caller's seeded shuffle: among equally good answers the seed decides,
 * which is what makes two seeds give two different (equally fair) splits.
 */

export interface Group {
  key: string;
  /** word id → frames of this group for that word */
  counts: ReadonlyMap<number, number>;
}

/** Improvements smaller than this are float noise between equally good answers. */
const EPS = 1e-9;
/** Above this many groups, pairwise swaps (quadratic) are skipped; flips alone are then good enough. */
const MAX_GROUPS_FOR_SWAPS = 200;
const MAX_PASSES = 50;

/**
 * Returns the keys of the groups chosen for test. `order` is every group key, in the (seeded) order to visit.
 * Cost, lower is better:
 *  - per word, the squared gap between its test fraction and the target, averaged over words;
 *  - per word with two or more groups, a penalty of 1 when one side gets none of it (such a word could have
 *    been tested, so an empty side is worse than any imbalance);
 *  - the squared gap of the overall test fraction;
 *  - a large penalty when all groups end on one side although there are two or more.
 */
export function chooseTestGroups(groups: readonly Group[], order: readonly string[], target: number): Set<string> {
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const wordTotal = new Map<number, number>();
  const wordGroups = new Map<number, number>();
  const groupSize = new Map<string, number>();
  let total = 0;
  for (const g of groups) {
    let size = 0;
    for (const [w, n] of g.counts) {
      wordTotal.set(w, (wordTotal.get(w) ?? 0) + n);
      wordGroups.set(w, (wordGroups.get(w) ?? 0) + 1);
      size += n;
    }
    groupSize.set(g.key, size);
    total += size;
  }
  const wordCount = Math.max(1, wordTotal.size);
  const groupCount = groups.length;

  const testByWord = new Map<number, number>();
  const inTest = new Set<string>();
  let testTotal = 0;

  const wordCost = (w: number, x: number): number => {
    const t = wordTotal.get(w)!;
    const gap = x / t - target;
    const emptySide = wordGroups.get(w)! >= 2 && (x === 0 || x === t) ? 1 : 0;
    return (gap * gap + emptySide) / wordCount;
  };
  const globalCost = (x: number): number => (total === 0 ? 0 : (x / total - target) ** 2);
  const sidePenalty = (k: number): number => (groupCount >= 2 && (k === 0 || k === groupCount) ? 100 : 0);

  const deltaFlip = (key: string): number => {
    const g = byKey.get(key)!;
    const sign = inTest.has(key) ? -1 : 1;
    let d = 0;
    for (const [w, n] of g.counts) {
      const x = testByWord.get(w) ?? 0;
      d += wordCost(w, x + sign * n) - wordCost(w, x);
    }
    d += globalCost(testTotal + sign * groupSize.get(key)!) - globalCost(testTotal);
    d += sidePenalty(inTest.size + sign) - sidePenalty(inTest.size);
    return d;
  };
  const flip = (key: string): void => {
    const g = byKey.get(key)!;
    const sign = inTest.has(key) ? -1 : 1;
    for (const [w, n] of g.counts) testByWord.set(w, (testByWord.get(w) ?? 0) + sign * n);
    testTotal += sign * groupSize.get(key)!;
    if (sign > 0) inTest.add(key);
    else inTest.delete(key);
  };

  // Greedy: take groups in the seeded order while each one brings the split closer to the target.
  for (const key of order) if (deltaFlip(key) < -EPS) flip(key);

  // Local search: single moves, then swaps (a test group for a train group keeps the count of test groups,
  // which single moves cannot improve on once the overall fraction is right).
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let improved = false;
    for (const key of order) {
      if (deltaFlip(key) < -EPS) {
        flip(key);
        improved = true;
      }
    }
    if (groupCount <= MAX_GROUPS_FOR_SWAPS) {
      for (const a of order) {
        if (!inTest.has(a)) continue;
        for (const b of order) {
          if (inTest.has(b) || !inTest.has(a)) continue;
          const da = deltaFlip(a);
          flip(a);
          const db = deltaFlip(b);
          if (da + db < -EPS) {
            flip(b);
            improved = true;
            break; // a is in train now; continue with the next test group
          }
          flip(a); // undo
        }
      }
    }
    if (!improved) break;
  }
  return inTest;
}
