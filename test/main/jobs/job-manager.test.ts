import { describe, expect, it } from 'vitest';
import type { JobEnd, JobEvent, JobProgress } from '../../../src-shared/jobs';
import { KslError } from '../../../src-shared/result';
import { initProject, openProject } from '../../../src-main/services/catalog/project';
import { JobManager, type JobDefinition } from '../../../src-main/services/jobs/job-manager';
import { useTmpDir } from '../../helpers/tmp';

/** A job over a real work list: counts items, honours cancel, and (resumable) skips done ones. */
function countingJob(done: Set<number>, items: number, failAt?: number): JobDefinition<{ items: number }> {
  return {
    kind: 'count',
    resumable: true,
    async run(ctx, params) {
      for (let i = 0; i < params.items; i++) {
        if (ctx.signal.aborted) throw new KslError('CANCELLED', 'Cancelled.');
        if (i === failAt) throw new KslError('FAILED', `item ${i} is broken`);
        if (!done.has(i)) {
          done.add(i);
          await new Promise((r) => setTimeout(r, 2));
        }
        ctx.progress(i + 1, params.items, `item ${i}`);
      }
      return { counted: done.size, items };
    },
  };
}

describe('JobManager', () => {
  const tmp = useTmpDir();

  it('emits throttled progress with rate and ETA, then exactly one end event, and persists the outcome', async () => {
    const p = initProject(tmp());
    const events: JobEvent[] = [];
    let clock = 0;
    const m = new JobManager(p, { count: countingJob(new Set(), 50) }, { emit: (e) => events.push(e), now: () => (clock += 10) });
    const id = m.start('count', { items: 50 });
    const end = await m.wait(id);
    expect(end.outcome).toBe('ok');
    expect(end.result).toEqual({ counted: 50, items: 50 });
    const progress = events.filter((e): e is JobProgress => e.type === 'progress');
    const ends = events.filter((e) => e.type === 'end');
    expect(ends).toHaveLength(1);
    expect(events[events.length - 1]).toBe(ends[0]);
    // each progress call reads the fake clock twice (+20 ms); throttle is 100 ms: ~1 event per 5 items
    expect(progress.length).toBeLessThan(25);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress[progress.length - 1]).toMatchObject({ done: 50, total: 50 });
    expect(progress.some((e) => e.rate > 0 && e.etaSeconds !== null)).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    const [row] = m.list();
    expect(row).toMatchObject({ id, kind: 'count', state: 'ok', done: 50, total: 50, resumable: true });
    p.close();
  });

  it('cancel ends a job as cancelled; resume continues it under the same id', async () => {
    const p = initProject(tmp());
    const done = new Set<number>();
    const events: JobEvent[] = [];
    const m = new JobManager(p, { count: countingJob(done, 200) }, { emit: (e) => events.push(e) });
    const id = m.start('count', { items: 200 });
    await new Promise((r) => setTimeout(r, 60));
    expect(m.cancel(id)).toBe(true);
    const end = await m.wait(id);
    expect(end.outcome).toBe('cancelled');
    expect(done.size).toBeGreaterThan(0);
    expect(done.size).toBeLessThan(200);
    expect(m.list()[0]!.state).toBe('cancelled');
    expect(m.cancel(id)).toBe(false);

    expect(m.resume(id)).toBe(id);
    const end2: JobEnd = await m.wait(id);
    expect(end2.outcome).toBe('ok');
    expect(done.size).toBe(200);
    expect(events.filter((e) => e.type === 'end')).toHaveLength(2);
    expect(() => m.resume(id)).toThrow(/already finished/);
    p.close();
  });

  it('a failure is reported with its message and does not throw out of the manager', async () => {
    const p = initProject(tmp());
    const m = new JobManager(p, { count: countingJob(new Set(), 10, 4) }, { emit: () => {} });
    const id = m.start('count', { items: 10 });
    const end = await m.wait(id);
    expect(end).toMatchObject({ outcome: 'failed', error: { code: 'FAILED', message: 'item 4 is broken' } });
    expect(m.list()[0]).toMatchObject({ state: 'failed', error: 'item 4 is broken' });
    p.close();
  });

  it('a job left running by a dead process shows as interrupted and can be resumed', async () => {
    const dir = tmp();
    const p = initProject(dir);
    // what a killed process leaves behind: state running, a pid that no longer exists
    p.db.prepare("INSERT INTO jobs (id, kind, params, state, done, total, resumable, pid) VALUES ('dead-job-1', 'count', '{\"items\":5}', 'running', 2, 5, 1, 2147483646)").run();
    p.close();
    const p2 = openProject(dir);
    const done = new Set<number>([0, 1]);
    const m = new JobManager(p2, { count: countingJob(done, 5) }, { emit: () => {} });
    expect(m.list()[0]).toMatchObject({ id: 'dead-job-1', state: 'interrupted', done: 2, total: 5 });
    m.resume('dead-job-1');
    expect((await m.wait('dead-job-1')).outcome).toBe('ok');
    expect(done.size).toBe(5);
    p2.close();
  });

  it('refuses unknown kinds and resuming a non-resumable job', () => {
    const p = initProject(tmp());
    const m = new JobManager(p, { once: { kind: 'once', resumable: false, run: async () => 1 } }, { emit: () => {} });
    expect(() => m.start('nope', {})).toThrow(/Unknown job kind/);
    p.db.prepare("INSERT INTO jobs (id, kind, state, resumable) VALUES ('old-job-1', 'once', 'interrupted', 0)").run();
    expect(() => m.resume('old-job-1')).toThrow(/cannot be resumed/);
    expect(() => m.resume('missing-1')).toThrow(/No job/);
    p.close();
  });

  it('starts rate and ETA afresh when a job reports a new total (a new phase)', async () => {
    const p = initProject(tmp());
    const events: JobEvent[] = [];
    let clock = 0;
    const phased: JobDefinition<Record<string, never>> = {
      kind: 'phased',
      resumable: false,
      async run(ctx) {
        for (let i = 1; i <= 100; i++) ctx.progress(i, 100, 'fast phase'); // 100 items in 10 s
        for (let i = 1; i <= 5; i++) {
          clock += 1000; // then 1 item per ~second
          ctx.progress(i, 5, 'slow phase');
        }
      },
    };
    const m = new JobManager(p, { phased }, { emit: (e) => events.push(e), now: () => (clock += 50), throttleMs: 0 });
    await m.wait(m.start('phased', {}));
    const slow = events.filter((e): e is JobProgress => e.type === 'progress' && e.message === 'slow phase');
    const lastSlow = slow[slow.length - 2]!;
    // about 1 item/s, not the ~10/s of the first phase
    expect(lastSlow.rate).toBeGreaterThan(0.5);
    expect(lastSlow.rate).toBeLessThan(2);
    p.close();
  });
});
