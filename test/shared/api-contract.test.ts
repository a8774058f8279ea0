import { describe, expect, it } from 'vitest';
import { apiRequests, EVENT_NAMES, REQUEST_NAMES } from '../../src-shared/api';
import type { JobEvent } from '../../src-shared/jobs';
import { createAppServices } from '../../src-main/services/app-services';
import { initProject } from '../../src-main/services/catalog/project';
import { memoryApi } from '../helpers/memory-transport';
import { useTmpDir } from '../helpers/tmp';

describe('the API contract over an in-memory transport', () => {
  const tmp = useTmpDir();

  it('every request in the contract has a handler, and nothing else does', () => {
    const s = createAppServices(() => {}, { door: 'web' });
    expect(Object.keys(s.handlers).sort()).toEqual([...REQUEST_NAMES].sort());
    for (const name of REQUEST_NAMES) expect(apiRequests[name].args).toBeDefined();
    expect(EVENT_NAMES).toEqual(['job', 'catalog.changed']);
  });

  it('without a project, info says NO_PROJECT; create makes one in the served folder', async () => {
    const dir = tmp();
    const { api } = memoryApi({ door: 'web', servedDir: dir });
    const before = await api.invoke('project.info', {});
    expect(before).toMatchObject({ ok: false, error: { code: 'NO_PROJECT' } });
    const changed: unknown[] = [];
    api.on('catalog.changed', (p) => changed.push(p));
    const created = await api.invoke('project.create', {});
    expect(created.ok).toBe(true);
    if (created.ok) expect(created.value.counts).toEqual({ words: 0, signers: 0, videos: 0, frames: 0, boxes: 0, labelledFrames: 0 });
    expect((await api.invoke('project.info', {})).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(changed.length).toBeGreaterThan(0);
    // a second create in the same folder is refused
    expect(await api.invoke('project.create', {})).toMatchObject({ ok: false, error: { code: 'EXISTS' } });
    // the browser door has no native dialog
    expect(await api.invoke('project.open', {})).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('wrongly shaped payloads get INVALID and reach no handler', async () => {
    const dir = tmp();
    initProject(dir).close();
    const { api, services, sendRaw } = memoryApi({ door: 'web', servedDir: dir });
    services.open(dir);
    const cases: [string, unknown][] = [
      ['project.info', { extra: 1 }],
      ['jobs.cancel', { jobId: 42 }],
      ['jobs.cancel', {}],
      ['jobs.start', { kind: 'extract', params: { fps: -3 } }],
      ['jobs.start', { kind: 'format-disk', params: {} }],
      ['jobs.list', { limit: 1e9 }],
      ['files.list', { dir: 7 }],
      ['no.such.request', {}],
    ];
    for (const [name, args] of cases) {
      const r = await sendRaw({ name, args });
      expect(r, `${name} ${JSON.stringify(args)}`).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    }
    // nothing was started
    const jobs = await api.invoke('jobs.list', {});
    expect(jobs).toEqual({ ok: true, value: [] });
  });

  it('paths outside the project folder are refused', async () => {
    const dir = tmp();
    initProject(dir).close();
    const { api, services } = memoryApi({ door: 'web', servedDir: dir });
    services.open(dir);
    for (const bad of ['../', '../../etc', '/etc', 'frames/../../x', 'C:/Windows', 'a\\..\\b']) {
      const r = await api.invoke('files.list', { dir: bad });
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(['INVALID', 'OUTSIDE_PROJECT']).toContain(r.error.code);
    }
    const inside = await api.invoke('files.list', { dir: '' });
    expect(inside.ok).toBe(true);
    if (inside.ok) expect(inside.value.map((e) => e.name)).toEqual(expect.arrayContaining(['frames', 'runs', 'exports']));
  });

  it('jobs start, stream progress events, and end exactly once over the transport', async () => {
    const dir = tmp();
    initProject(dir).close();
    const { api, services } = memoryApi({ door: 'web', servedDir: dir });
    services.open(dir);
    const events: JobEvent[] = [];
    api.on('job', (e) => events.push(e));
    const started = await api.invoke('jobs.start', { kind: 'check', params: {} });
    expect(started.ok).toBe(true);
    const jobId = started.ok ? started.value.jobId : '';
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'end'); i++) await new Promise((r) => setTimeout(r, 10));
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine.filter((e) => e.type === 'end')).toEqual([expect.objectContaining({ outcome: 'ok', kind: 'check' })]);
    const list = await api.invoke('jobs.list', {});
    expect(list.ok && list.value[0]).toMatchObject({ id: jobId, state: 'ok' });
    expect(await api.invoke('jobs.cancel', { jobId })).toEqual({ ok: true, value: { cancelled: false } });
    await services.close();
  });
});
