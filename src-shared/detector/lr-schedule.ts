/**
 * Cosine learning-rate decay with a linear warm-up, as the OD API's `cosine_decay_learning_rate`:
 *
 *   step < warmup:          warmupStart + (base − warmupStart)·step/warmup
 *   warmup ≤ step < total:  base·½·(1 + cos(π·(step − warmup)/(total − warmup)))
 *   step ≥ total:           0
 *
 * The OD API configs hard-code warm-up lengths (1000–2000 steps) meant for 25k–50k-step runs. Our runs are
 * a few hundred to a few thousand steps, so by default the warm-up follows the real run length:
 * min(10 % of the steps, 1000). Copying the config's 1000 into a 300-step run would spend the whole run
 * warming up and never decay.
 */

export interface LrScheduleOptions {
  /** Peak learning rate, reached at the end of the warm-up. */
  base: number;
  /** Total number of optimiser steps in the run. */
  total: number;
  /** Warm-up steps; default min(round(0.1·total), 1000), and never more than total. */
  warmup?: number;
  /**
   * Learning rate at step 0; default base/3 (the OD API fpnlite configs use 0.08 → 0.026666).
   */
  warmupStart?: number;
}

export interface LrSchedule {
  base: number;
  total: number;
  warmup: number;
  warmupStart: number;
}

export function defaultWarmupSteps(total: number): number {
  return Math.min(Math.round(0.1 * Math.max(0, total)), 1000);
}

/** Fills in the defaults and checks the numbers once, so lrAt can be called every step cheaply. */
export function resolveLrSchedule(opts: LrScheduleOptions): LrSchedule {
  const { base, total } = opts;
  if (!(base >= 0) || !Number.isFinite(base)) throw new Error(`lr schedule: base must be ≥ 0 (got ${base})`);
  if (!(total >= 0) || !Number.isFinite(total)) throw new Error(`lr schedule: total must be ≥ 0 (got ${total})`);
  const warmup = Math.min(Math.max(0, Math.round(opts.warmup ?? defaultWarmupSteps(total))), total);
  const warmupStart = opts.warmupStart ?? base / 3;
  if (!(warmupStart >= 0) || warmupStart > base) {
    // Same check as the OD API: a warm-up that starts above the peak is a configuration mistake.
    throw new Error(`lr schedule: warmupStart must be in [0, base] (got ${warmupStart} for base ${base})`);
  }
  return { base, total, warmup, warmupStart };
}

/** Learning rate for optimiser step `step` (0-based). */
export function lrAt(step: number, opts: LrScheduleOptions | LrSchedule): number {
  const s = resolveLrSchedule(opts);
  if (step >= s.total) return 0;
  if (step < s.warmup) return s.warmupStart + ((s.base - s.warmupStart) * Math.max(0, step)) / s.warmup;
  const progress = (step - s.warmup) / (s.total - s.warmup);
  return 0.5 * s.base * (1 + Math.cos(Math.PI * progress));
}
