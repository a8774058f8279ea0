/**
 * The supervisor's relay and crash policy over an in-memory host (the smoke test runs the same
 * supervisor against the real built host; here the timing of a crash is under the test's control).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ok } from '../../../src-shared/result';
import type { FromHost, ToHost } from '../../../src-main/electron/services-messages';
import { ServicesSupervisor, type CrashReport, type SupervisorOptions } from '../../../src-main/electron/services-supervisor';

class FakeHost extends EventEmitter {
  readonly received: ToHost[] = [];
  constructor(readonly pid: number) {
    super();
  }
  postMessage(m: ToHost) {
    this.received.push(m);
  }
  kill() {
    this.emit('exit', 143);
    return true;
  }
  reply(m: FromHost) {
    this.emit('message', m);
  }
  /** Answers every open request so far with ok(value). */
  answerAll(value: unknown) {
    for (const m of this.received) if (m.t === 'invoke' || m.t === 'open') this.reply({ t: 'result', id: m.id, result: ok(value) });
  }
}

function setup(over: Partial<SupervisorOptions> = {}) {
  const hosts: FakeHost[] = [];
  const crashes: CrashReport[] = [];
  const projects: (string | null)[] = [];
  const events: [string, unknown][] = [];
  let now = 1_000_000;
  const sup = new ServicesSupervisor({
    fork: () => {
      const h = new FakeHost(100 + hosts.length);
      hosts.push(h);
      return h;
    },
    onEvent: (n, p) => events.push([n, p]),
    onProject: (d) => projects.push(d),
    chooseDir: async () => '/chosen',
    onCrash: (r) => crashes.push(r),
    now: () => now,
    ...over,
  });
  return { sup, hosts, crashes, projects, events, tick: (ms: number) => (now += ms) };
}

describe('ServicesSupervisor', () => {
  it('queues requests until the host is ready, then relays them and their results', async () => {
    const { sup, hosts } = setup();
    sup.start();
    const p = sup.invoke('project.info', {});
    expect(hosts[0]!.received).toEqual([]);
    hosts[0]!.reply({ t: 'ready', pid: 100 });
    expect(hosts[0]!.received).toEqual([{ t: 'invoke', id: 1, name: 'project.info', args: {} }]);
    hosts[0]!.reply({ t: 'result', id: 1, result: ok({ name: 'p' }) });
    expect(await p).toEqual({ ok: true, value: { name: 'p' } });
  });

  it('ignores malformed messages from the host', () => {
    const { sup, hosts, events } = setup();
    sup.start();
    hosts[0]!.emit('message', { t: 'event' });
    hosts[0]!.emit('message', 'nonsense');
    hosts[0]!.emit('message', { t: 'result', id: 'x', result: {} });
    expect(events).toEqual([]);
  });

  it('answers the requests in flight when the host dies, restarts it and reopens its project', async () => {
    const { sup, hosts, crashes, projects } = setup();
    sup.start('/p');
    hosts[0]!.reply({ t: 'ready', pid: 100 });
    hosts[0]!.reply({ t: 'project', dir: '/p' });
    expect(sup.projectDir()).toBe('/p');
    const inFlight = sup.invoke('jobs.list', {});
    hosts[0]!.emit('exit', 9);
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringContaining('jobs.list') } });
    expect(sup.projectDir()).toBe(null);
    expect(projects).toEqual(['/p', null]);
    expect(hosts).toHaveLength(2);
    expect(crashes).toEqual([{ code: 9, interrupted: ['open', 'jobs.list'], reopened: '/p', gaveUp: false }]);
    hosts[1]!.reply({ t: 'ready', pid: 101 });
    expect(hosts[1]!.received).toEqual([{ t: 'open', id: 3, dir: '/p' }]);
  });

  it('does not reopen a project that kills the host right after opening, and gives up on a crash loop', () => {
    const { sup, hosts, crashes, tick } = setup({ maxRestarts: 3 });
    sup.start('/bad');
    hosts[0]!.reply({ t: 'ready', pid: 100 });
    hosts[0]!.reply({ t: 'project', dir: '/bad' });
    tick(60_000);
    hosts[0]!.emit('exit', 1); // long after opening: reopen
    expect(crashes.at(-1)).toMatchObject({ reopened: '/bad', gaveUp: false });
    hosts[1]!.reply({ t: 'ready', pid: 101 });
    hosts[1]!.reply({ t: 'project', dir: '/bad' });
    tick(500);
    hosts[1]!.emit('exit', 1); // second crash, right after reopening: start without the project
    expect(crashes.at(-1)).toMatchObject({ reopened: undefined, gaveUp: false });
    expect(hosts[2]!.received).toEqual([]);
    tick(500);
    hosts[2]!.emit('exit', 1);
    tick(500);
    hosts[3]!.emit('exit', 1);
    expect(crashes.at(-1)).toMatchObject({ gaveUp: true });
    expect(hosts).toHaveLength(4);
    return expect(sup.invoke('project.info', {})).resolves.toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('answers the host’s dialog requests, but not a dead host’s', async () => {
    let release!: (d: string) => void;
    const { sup, hosts } = setup({ chooseDir: (kind) => new Promise((r) => (release = (d) => r(`${d}-${kind}`))) });
    sup.start();
    hosts[0]!.reply({ t: 'ready', pid: 100 });
    hosts[0]!.reply({ t: 'dialog', id: 7, kind: 'open' });
    release('/x');
    await new Promise((r) => setTimeout(r, 0));
    expect(hosts[0]!.received).toContainEqual({ t: 'dialog-result', id: 7, dir: '/x-open' });
    hosts[0]!.reply({ t: 'dialog', id: 8, kind: 'new' });
    hosts[0]!.emit('exit', 1);
    hosts[1]!.reply({ t: 'ready', pid: 101 });
    release('/y');
    await new Promise((r) => setTimeout(r, 0));
    expect(hosts[1]!.received.filter((m) => m.t === 'dialog-result')).toEqual([]);
  });

  it('stops without restarting: shutdown first, kill after the grace period', async () => {
    const { sup, hosts, crashes } = setup();
    sup.start();
    hosts[0]!.reply({ t: 'ready', pid: 100 });
    const stopped = sup.stop(20);
    expect(hosts[0]!.received).toContainEqual({ t: 'shutdown' });
    await stopped; // the fake ignores shutdown: kill() after 20 ms ends it
    expect(hosts).toHaveLength(1);
    expect(crashes).toEqual([]);
  });
});
