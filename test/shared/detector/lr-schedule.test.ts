import { describe, expect, it } from 'vitest';
import { defaultWarmupSteps, lrAt, resolveLrSchedule } from '../../../src-shared/detector/lr-schedule';

describe('cosine decay with linear warm-up', () => {
  const opts = { base: 0.08, total: 1000, warmup: 100, warmupStart: 0.02 };
  it('starts at warmupStart, peaks at the end of the warm-up and ends at 0', () => {
    expect(lrAt(0, opts)).toBeCloseTo(0.02, 12);
    expect(lrAt(50, opts)).toBeCloseTo(0.05, 12); // half-way: (0.02 + 0.08) / 2
    expect(lrAt(100, opts)).toBeCloseTo(0.08, 12);
    // Half-way through the decay cos(π/2) = 0 → base / 2.
    expect(lrAt(550, opts)).toBeCloseTo(0.04, 12);
    expect(lrAt(1000, opts)).toBe(0);
    expect(lrAt(5000, opts)).toBe(0);
    expect(lrAt(999, opts)).toBeGreaterThan(0);
    expect(lrAt(999, opts)).toBeLessThan(1e-6);
  });
  it('decreases monotonically after the warm-up', () => {
    for (let s = 101; s < 1000; s++) expect(lrAt(s, opts)).toBeLessThanOrEqual(lrAt(s - 1, opts));
  });
  it('sizes the default warm-up from the real run: min(10 % of steps, 1000)', () => {
    expect(defaultWarmupSteps(300)).toBe(30);
    expect(defaultWarmupSteps(50000)).toBe(1000);
    const s = resolveLrSchedule({ base: 0.01, total: 300 });
    expect(s.warmup).toBe(30);
    expect(s.warmupStart).toBeCloseTo(0.01 / 3, 12); // the OD API's 0.08 → 0.026666 ratio
    expect(lrAt(30, s)).toBeCloseTo(0.01, 12);
  });
  it('never lets the warm-up outlast the run, and works without one', () => {
    expect(resolveLrSchedule({ base: 1, total: 10, warmup: 50 }).warmup).toBe(10);
    const noWarm = { base: 1, total: 4, warmup: 0 };
    expect(lrAt(0, noWarm)).toBe(1);
    expect(lrAt(2, noWarm)).toBeCloseTo(0.5, 12);
  });
  it('rejects a warm-up that starts above the peak', () => {
    expect(() => resolveLrSchedule({ base: 0.01, total: 10, warmupStart: 0.1 })).toThrow();
  });
});
