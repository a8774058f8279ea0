/**
 * The built preload (dist/main/preload.cjs) with a stand-in `electron`: it exposes exactly
 * `window.ksl = { invoke, on }`, forwards only the contract's request names over the one channel,
 * and delivers only the contract's events (checklist item 20: no Electron API reaches the page).
 */
import Module from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES } from '../../../src-shared/api';
import { repoRoot } from '../../helpers/fixtures';

type Listener = (e: unknown, name: string, payload: unknown) => void;

describe('the built preload', () => {
  const exposed = new Map<string, Record<string, unknown>>();
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const loaded: string[] = [];
  const load = (Module as unknown as { _load: (...a: unknown[]) => unknown })._load;
  const bundle = path.join(repoRoot, 'dist', 'main', 'preload.cjs');
  let ksl: { invoke: (n: unknown, a: unknown) => Promise<unknown>; on: (n: unknown, l: unknown) => () => void };

  beforeAll(() => {
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: async (...a: unknown[]) => {
          invoked.push(a);
          return { ok: true, value: 'from main' };
        },
        on: (ch: string, l: Listener) => (listeners.get(ch) ?? listeners.set(ch, new Set()).get(ch)!).add(l),
        removeListener: (ch: string, l: Listener) => listeners.get(ch)?.delete(l),
      },
    };
    (Module as unknown as { _load: (...a: unknown[]) => unknown })._load = function (request: unknown, parent: unknown, ...rest: unknown[]) {
      if ((parent as { filename?: string } | undefined)?.filename === bundle) loaded.push(String(request));
      if (request === 'electron') return electron;
      return load.call(this, request, parent, ...rest);
    };
    delete require.cache[bundle];
    require(bundle);
    ksl = exposed.get('ksl') as typeof ksl;
  });
  afterAll(() => {
    (Module as unknown as { _load: unknown })._load = load;
  });

  it('exposes only window.ksl with invoke and on, and requires nothing but electron (a sandboxed preload can require nothing else)', () => {
    expect([...exposed.keys()]).toEqual(['ksl']);
    expect(Object.keys(ksl).sort()).toEqual(['invoke', 'on']);
    expect(loaded).toEqual(['electron']);
  });

  it('forwards the contract’s requests over ksl:invoke and refuses any other name without asking main', async () => {
    for (const name of REQUEST_NAMES) expect(await ksl.invoke(name, { a: 1 })).toEqual({ ok: true, value: 'from main' });
    expect(invoked).toHaveLength(REQUEST_NAMES.length);
    expect(invoked.every((a) => a[0] === 'ksl:invoke')).toBe(true);
    for (const bad of ['ksl:invoke', 'constructor', '__proto__', 'project.delete', 42, null]) {
      expect(await ksl.invoke(bad, {})).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    }
    expect(invoked).toHaveLength(REQUEST_NAMES.length);
  });

  it('delivers only the subscribed contract event, and unsubscribes', () => {
    const got: unknown[] = [];
    const off = ksl.on(EVENT_NAMES[0], (p: unknown) => got.push(p));
    expect(ksl.on('not.an.event', () => got.push('bad'))).toBeTypeOf('function');
    expect(ksl.on(EVENT_NAMES[0], 'not a function')).toBeTypeOf('function');
    const subs = [...(listeners.get('ksl:event') ?? [])];
    expect(subs).toHaveLength(1);
    subs[0]!({}, EVENT_NAMES[0]!, { n: 1 });
    subs[0]!({}, 'something.else', { n: 2 });
    expect(got).toEqual([{ n: 1 }]);
    off();
    expect(listeners.get('ksl:event')!.size).toBe(0);
  });
});
