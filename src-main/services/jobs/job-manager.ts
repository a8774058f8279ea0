/**
 * Runs long work as jobs: each has an id, an AbortController, throttled progress events (≤ 10 Hz,
 * with rate and ETA) and exactly one end event. State is persisted in the catalog's jobs table so
 * that a job whose process died shows as interrupted, and a resumable one can be started again
 * with the same parameters (its handler skips what is already done).
 */
import { randomUUID } from 'node:crypto';
import type { JobEnd, JobEvent, JobOutcome, JobRecord, JobState } from '../../../src-shared/jobs';
import { ProgressMeter } from '../../../src-shared/progress';
import { KslError, toApiError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';

export interface JobContext {
  project: Project;
  jobId: string;
  signal: AbortSignal;
  /** Report progress; cheap to call often (events are throttled). */
  progress(done: number, total: number, message?: string, metrics?: Record<string, number>): void;
  /** Tell screens that catalog tables changed (e.g. after a video's frames were registered). */
  changed(tables: string[]): void;
}

export interface JobDefinition<P = unknown> {
  kind: string;
  resumable: boolean;
  run(ctx: JobContext, params: P): Promise<unknown>;
}

export interface JobManagerOptions {
  emit(event: JobEvent): void;
  emitChanged?(tables: string[]): void;
  now?: () => number;
  /** Minimum milliseconds between progress events of one job (default 100: ≤ 10 Hz). */
  throttleMs?: number;
}

interface Running {
  controller: AbortController;
  done: Promise<JobEnd>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class JobManager {
  private readonly running = new Map<string, Running>();
  /** Recent end events, so that wait() after a fast job's end still gets its outcome. */
  private readonly ended = new Map<string, JobEnd>();
  private readonly now: () => number;
  private readonly throttleMs: number;

  constructor(
    private readonly project: Project,
    private readonly definitions: Record<string, JobDefinition<any>>,
    private readonly opts: JobManagerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.throttleMs = opts.throttleMs ?? 100;
    this.markInterrupted();
  }

  /** Jobs left 'running' by a process that no longer exists were interrupted (crash, kill, power). */
  private markInterrupted(): void {
    const rows = this.project.db.prepare("SELECT id, pid FROM jobs WHERE state = 'running'").all() as { id: string; pid: number | null }[];
    const mark = this.project.db.prepare(
      "UPDATE jobs SET state = 'interrupted', message = 'Interrupted: the app stopped while this job ran.', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
    );
    for (const r of rows) if (r.pid === null || r.pid === process.pid || !isAlive(r.pid)) mark.run(r.id);
  }

  start(kind: string, params: unknown): string {
    const def = this.definitions[kind];
    if (!def) throw new KslError('INVALID', `Unknown job kind ${JSON.stringify(kind)}.`);
    const id = randomUUID();
    this.project.db
      .prepare("INSERT INTO jobs (id, kind, params, state, resumable, pid) VALUES (?, ?, ?, 'running', ?, ?)")
      .run(id, kind, JSON.stringify(params ?? {}), def.resumable ? 1 : 0, process.pid);
    this.launch(id, def, params);
    return id;
  }

  /** Starts an interrupted, cancelled or failed resumable job again under the same id. */
  resume(id: string): string {
    const row = this.project.db.prepare('SELECT kind, params, state, resumable FROM jobs WHERE id = ?').get(id) as
      | { kind: string; params: string; state: JobState; resumable: number }
      | undefined;
    if (!row) throw new KslError('NOT_FOUND', `No job ${id} in this project.`);
    if (this.running.has(id) || row.state === 'running') throw new KslError('CONFLICT', `Job ${id} is already running.`);
    if (!row.resumable) throw new KslError('INVALID', `Job ${id} (${row.kind}) cannot be resumed; start it again instead.`);
    if (row.state === 'ok') throw new KslError('CONFLICT', `Job ${id} already finished.`);
    const def = this.definitions[row.kind];
    if (!def) throw new KslError('INVALID', `Job ${id} has an unknown kind ${row.kind}.`);
    this.project.db
      .prepare("UPDATE jobs SET state = 'running', error = NULL, pid = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?")
      .run(process.pid, id);
    this.launch(id, def, JSON.parse(row.params));
    return id;
  }

  cancel(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.controller.abort();
    return true;
  }

  /** Resolves with the end event of a job started by this manager. */
  wait(id: string): Promise<JobEnd> {
    const r = this.running.get(id);
    if (r) return r.done;
    const end = this.ended.get(id);
    if (end) return Promise.resolve(end);
    throw new KslError('NOT_FOUND', `Job ${id} was not started by this process.`);
  }

  list(limit = 50): JobRecord[] {
    const rows = this.project.db
      .prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(limit) as Record<string, any>[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      params: JSON.parse(r.params),
      state: r.state,
      done: r.done,
      total: r.total,
      message: r.message,
      error: r.error,
      resumable: r.resumable === 1,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** Cancels every running job and waits for them to end (used on shutdown). */
  async shutdown(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) r.controller.abort();
    await Promise.allSettled(all.map((r) => r.done));
  }

  private launch(id: string, def: JobDefinition<any>, params: unknown): void {
    const controller = new AbortController();
    let meter = new ProgressMeter(this.now);
    let meterTotal = -1;
    let lastEmit = -Infinity;
    let lastSave = -Infinity;
    let state = { done: 0, total: 0, message: '' };
    const save = this.project.db.prepare(
      "UPDATE jobs SET done = ?, total = ?, message = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
    );
    const ctx: JobContext = {
      project: this.project,
      jobId: id,
      signal: controller.signal,
      progress: (done, total, message = state.message, metrics) => {
        state = { done, total, message };
        // A job with phases (e.g. features, then steps) reports a new total per phase: the rate and
        // ETA start afresh with it.
        if (total !== meterTotal) {
          meterTotal = total;
          meter = new ProgressMeter(this.now, done);
        }
        const rate = meter.update(done);
        const t = this.now();
        const final = total > 0 && done >= total;
        if (t - lastEmit >= this.throttleMs || final) {
          lastEmit = t;
          this.opts.emit({ type: 'progress', jobId: id, kind: def.kind, done, total, rate, etaSeconds: meter.eta(done, total), message, ...(metrics ? { metrics } : {}) });
        }
        if (t - lastSave >= 1000 || final) {
          lastSave = t;
          save.run(done, total, message, id);
        }
      },
      changed: (tables) => this.opts.emitChanged?.(tables),
    };
    const done = (async (): Promise<JobEnd> => {
      let outcome: JobOutcome;
      let result: unknown;
      let error: { code: string; message: string } | undefined;
      try {
        result = await def.run(ctx, params);
        outcome = controller.signal.aborted ? 'cancelled' : 'ok';
      } catch (e) {
        const err = toApiError(e);
        if (controller.signal.aborted || err.code === 'CANCELLED') outcome = 'cancelled';
        else {
          outcome = 'failed';
          error = { code: err.code, message: err.message };
        }
      }
      this.project.db
        .prepare(
          "UPDATE jobs SET state = ?, done = ?, total = ?, message = ?, error = ?, result = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
        )
        .run(outcome, state.done, state.total, state.message, error?.message ?? null, result === undefined ? null : JSON.stringify(result), id);
      this.running.delete(id);
      const end: JobEnd = { type: 'end', jobId: id, kind: def.kind, outcome, ...(error ? { error } : {}), ...(result !== undefined ? { result } : {}) };
      this.ended.set(id, end);
      if (this.ended.size > 100) this.ended.delete(this.ended.keys().next().value!);
      this.opts.emit(end);
      return end;
    })();
    this.running.set(id, { controller, done });
  }
}
