/**
 * Rate and ETA for progress reports: an exponentially smoothed rate over recent updates, so a
 * slow first item does not dominate the estimate. Pure; the clock is injected for tests.
 */
export class ProgressMeter {
  private lastT: number;
  private lastDone: number;
  private smoothed = 0;
  constructor(private readonly now: () => number, startDone = 0) {
    this.lastT = now();
    this.lastDone = startDone;
  }
  /** Feed the current count; returns items/s (0 until two distinct updates have been seen). */
  update(done: number): number {
    const t = this.now();
    const dt = (t - this.lastT) / 1000;
    if (dt >= 0.2 && done >= this.lastDone) {
      const inst = (done - this.lastDone) / dt;
      this.smoothed = this.smoothed === 0 ? inst : 0.7 * this.smoothed + 0.3 * inst;
      this.lastT = t;
      this.lastDone = done;
    }
    return this.smoothed;
  }
  eta(done: number, total: number): number | null {
    if (this.smoothed <= 0 || total <= 0) return null;
    return Math.max(0, (total - done) / this.smoothed);
  }
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
