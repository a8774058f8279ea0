/**
 * Seeded pseudo-random numbers for the synthetic sample.
 *
 * Every random decision in `ksl sample` goes through here so that one seed reproduces the same
 * signers, the same motion and therefore the same ground truth byte for byte. Independent streams
 * are derived by hashing (seed, purpose, index) so that, for example, asking for more words does
 * not change what signer 3 looks like.
 */

/** mulberry32: tiny, fast, good enough for procedural graphics; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Combines integers into one 32-bit seed (murmur3-style mixing) for an independent stream. */
export function streamSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Convenience wrapper with the handful of draws the generator needs. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  return {
    next,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    pick: (items) => items[Math.floor(items.length * next())],
  };
}

/** Stream purposes, so two call sites never share a stream by accident. */
export const STREAM = {
  signer: 1,
  video: 2,
  frameNoise: 3,
} as const;
