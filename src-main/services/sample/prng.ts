/**
 * Seeded pseudo-random numbers for the synthetic sample.
 *
 * Every random decision in `ksl sample` goes through here so that one seed reproduces the same
 * signers, the same motion and therefore the same ground truth byte for byte. Independent streams
 * are derived by hashing (seed, purpose, index) so that, for example, asking for more words does
 * not change what signer 3 looks like.
 */

import { mixSeed, mulberry32 } from '../../../src-shared/random';

export { mulberry32 };
/** Combines integers into one 32-bit seed for an independent stream (the split's mixSeed). */
export const streamSeed = mixSeed;

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
