/**
 * The services host: the catalog, jobs (extraction, training) and inference, run in an Electron
 * utilityProcess so that a training step or a model load never stalls the window. Built to
 * dist/main/services-host.cjs; main.ts forks it and relays the contract over its parentPort.
 *
 * It serves exactly what `ksl serve` serves (createAppServices), with two Electron-only doors:
 * folder dialogs are shown by main on request, and every change of the open project is reported
 * so that main's ksl:// protocol serves images from that folder only.
 */
import Module from 'node:module';
import { createApiHost } from '../../src-shared/api-host';
import { fail, ok, toApiError } from '../../src-shared/result';
import { createAppServices } from '../services/app-services';
import { projectInfo } from '../services/catalog/summary';
import { isToHost, type FromHost, type ToHost } from './services-messages';

/** The part of Electron's `process.parentPort` the host uses (a shim provides it under plain Node). */
export interface HostPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: FromHost): void;
}

export function serveHost(port: HostPort): void {
  const post = (m: FromHost) => port.postMessage(m);
  let dialogSeq = 0;
  const dialogs = new Map<number, (dir: string | undefined) => void>();
  const askMain = (kind: 'new' | 'open') =>
    new Promise<string | undefined>((resolve) => {
      const id = ++dialogSeq;
      dialogs.set(id, resolve);
      post({ t: 'dialog', id, kind });
    });

  const services = createAppServices((name, payload) => post({ t: 'event', name, payload }), {
    door: 'electron',
    chooseNewProjectDir: () => askMain('new'),
    chooseExistingProjectDir: () => askMain('open'),
  });
  const api = createApiHost(services.handlers, (name, e) => console.error(`internal error in ${name}:`, e));

  let reportedDir: string | null = null;
  const reportProject = () => {
    const dir = services.current()?.project.dir ?? null;
    if (dir !== reportedDir) {
      reportedDir = dir;
      post({ t: 'project', dir });
    }
  };

  const onMessage = async (m: ToHost) => {
    switch (m.t) {
      case 'invoke': {
        const result = await api.handle(m.name, m.args);
        // project.create/open (and anything else that swaps the project) is seen here.
        reportProject();
        post({ t: 'result', id: m.id, result });
        return;
      }
      case 'open': {
        let result;
        try {
          if (services.current()) await services.close();
          result = ok(projectInfo(services.open(m.dir)));
        } catch (e) {
          result = { ok: false as const, error: toApiError(e) };
        }
        reportProject();
        post({ t: 'result', id: m.id, result });
        return;
      }
      case 'dialog-result': {
        const resolve = dialogs.get(m.id);
        dialogs.delete(m.id);
        resolve?.(m.dir);
        return;
      }
      case 'shutdown':
        // Running jobs are cancelled and recorded; the catalog is closed cleanly (WAL checkpoint).
        await services.close().catch((e: unknown) => console.error('closing the project:', e));
        process.exit(0);
    }
  };

  port.on('message', (e) => {
    if (!isToHost(e.data)) {
      console.error('services host: ignored a malformed message');
      return;
    }
    const m = e.data;
    onMessage(m).catch((err: unknown) => {
      // createApiHost already turns handler errors into Results; this is a bug in the host itself.
      console.error('services host:', err);
      if ('id' in m && m.t !== 'dialog-result') post({ t: 'result', id: m.id, result: fail('INTERNAL', String((err as Error)?.message ?? err)) });
    });
  });
  post({ t: 'ready', pid: process.pid });
}

/**
 * `npm start` only: node_modules keeps better-sqlite3 built for Node (the CLI and the tests need it),
 * so scripts/start.mjs builds a copy for Electron's ABI beside it and names it here. better-sqlite3
 * loads its addon lazily (on the first `new Database`), so redirecting the resolution now is early
 * enough. A packaged app never sets this: electron-builder rebuilt node_modules for Electron.
 */
export function useElectronSqlite(addon: string | undefined): void {
  if (!addon) return;
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = M._resolveFilename;
  M._resolveFilename = function (request, ...rest) {
    if (typeof request === 'string' && /[\\/]better-sqlite3[\\/]build[\\/].*better_sqlite3\.node$/.test(request)) return addon;
    return resolve.call(this, request, ...rest);
  };
}

// Electron gives a utilityProcess `process.parentPort`; anywhere else this module only exports.
const parentPort = (process as unknown as { parentPort?: HostPort }).parentPort;
if (parentPort) {
  useElectronSqlite(process.env.KSL_ELECTRON_SQLITE_ADDON);
  serveHost(parentPort);
}
