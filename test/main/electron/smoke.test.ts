/**
 * Smoke test of the built Electron main process (dist/main/electron-main.cjs) with a stand-in for
 * the `electron` module — the binary cannot run here. It checks what can only go wrong in that
 * bundle: every contract request is served over IPC, untrusted senders are refused, the window
 * is created with the hardened options, and the ksl:// protocol serves project files only from
 * inside the open project.
 */
import Module from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_NAMES } from '../../../src-shared/api';
import { initProject } from '../../../src-main/services/catalog/project';
import { repoRoot } from '../../helpers/fixtures';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

interface Captured {
  ipc: Map<string, Handler>;
  windows: { options: Record<string, any>; url?: string }[];
  protocols: Map<string, (req: { url: string }) => Promise<Response>>;
  privileged: unknown[];
  sandboxEnabled: boolean;
  permissionRequest?: (wc: unknown, permission: string, cb: (ok: boolean) => void, details: { requestingUrl?: string }) => void;
}

function standIn(userData: string, cap: Captured) {
  class BrowserWindow {
    static getAllWindows = () => [] as BrowserWindow[];
    webContents = { send: () => {}, on: () => {}, getURL: () => 'ksl://app/index.html' };
    constructor(options: Record<string, any>) {
      cap.windows.push({ options });
    }
    loadURL(url: string) {
      cap.windows[cap.windows.length - 1]!.url = url;
      return Promise.resolve();
    }
    once() {}
    on() {}
    maximize() {}
    show() {}
    getNormalBounds() {
      return { x: 0, y: 0, width: 1280, height: 820 };
    }
    isMaximized() {
      return false;
    }
  }
  return {
    app: {
      requestSingleInstanceLock: () => true,
      enableSandbox: () => (cap.sandboxEnabled = true),
      whenReady: () => Promise.resolve(),
      on: () => {},
      quit: () => {},
      getPath: () => userData,
    },
    BrowserWindow,
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
    ipcMain: { handle: (channel: string, h: Handler) => cap.ipc.set(channel, h) },
    Menu: { setApplicationMenu: () => {}, buildFromTemplate: (t: unknown) => t },
    net: {
      // the real net.fetch reads file:// URLs; the stand-in does the same with node:fs
      fetch: async (url: string) => new Response(readFileSync(new URL(url)), { status: 200, headers: { 'content-type': 'application/octet-stream' } }),
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown) => cap.privileged.push(s),
      handle: (scheme: string, h: (req: { url: string }) => Promise<Response>) => cap.protocols.set(scheme, h),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Captured['permissionRequest']) => (cap.permissionRequest = h),
        setPermissionCheckHandler: () => {},
        webRequest: { onBeforeRequest: () => {} },
      },
    },
    shell: { openExternal: async () => {} },
  };
}

describe('the built Electron main process', () => {
  const cap: Captured = { ipc: new Map(), windows: [], protocols: new Map(), privileged: [], sandboxEnabled: false };
  let work: string;
  let project: string;
  const originalLoad = (Module as unknown as { _load: (...a: unknown[]) => unknown })._load;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-electron-'));
    project = path.join(work, '프로젝트');
    initProject(project).close();
    mkdirSync(path.join(project, 'frames', '1'), { recursive: true });
    writeFileSync(path.join(project, 'frames', '1', 'a.jpg'), 'jpeg bytes');
    writeFileSync(path.join(work, 'secret.jpg'), 'TOP-SECRET-CONTENT');
    const userData = path.join(work, 'userData');
    mkdirSync(userData);
    writeFileSync(path.join(userData, 'window-state.json'), JSON.stringify({ lastProject: project }));
    const electron = standIn(userData, cap);
    (Module as unknown as { _load: (...a: unknown[]) => unknown })._load = function (request: unknown, ...rest: unknown[]) {
      if (request === 'electron') return electron;
      return originalLoad.call(this, request, ...rest);
    };
    const bundle = path.join(repoRoot, 'dist', 'main', 'electron-main.cjs');
    delete require.cache[bundle];
    require(bundle);
    await new Promise((r) => setTimeout(r, 50)); // let whenReady().then(...) run
  });
  afterAll(() => {
    (Module as unknown as { _load: unknown })._load = originalLoad;
    rmSync(work, { recursive: true, force: true });
  });

  const trusted = { senderFrame: { url: 'ksl://app/index.html' } };

  it('serves every request of the contract over IPC, and nothing else', async () => {
    const invoke = cap.ipc.get('ksl:invoke');
    expect(invoke).toBeTypeOf('function');
    expect([...cap.ipc.keys()]).toEqual(['ksl:invoke']);
    for (const name of REQUEST_NAMES) {
      const r = (await invoke!(trusted, name, {})) as { ok: boolean; error?: { code: string; message: string } };
      // arguments may be incomplete ({}), but the request must be known and reach validation/handler
      if (!r.ok) expect(r.error!.message, name).not.toMatch(/Unknown request/);
    }
    const info = (await invoke!(trusted, 'project.info', {})) as { ok: boolean; value: { name: string } };
    expect(info).toMatchObject({ ok: true, value: { name: '프로젝트' } }); // reopened from the saved state
    expect(await invoke!(trusted, 'no.such.thing', {})).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });

  it('refuses IPC from any frame that is not the app itself', async () => {
    const invoke = cap.ipc.get('ksl:invoke')!;
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'ksl://project/frames/1/a.jpg', '']) {
      expect(await invoke({ senderFrame: { url } }, 'project.info', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });

  it('creates the window with the hardened options and loads the app over ksl://', () => {
    expect(cap.sandboxEnabled).toBe(true);
    expect(cap.windows).toHaveLength(1);
    const w = cap.windows[0]!;
    expect(w.url).toBe('ksl://app/index.html');
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(w.options.webPreferences.preload).toMatch(/preload\.cjs$/);
  });

  it('the ksl:// protocol serves project images from inside the project only, with the CSP', async () => {
    const handle = cap.protocols.get('ksl')!;
    const ok = await handle({ url: 'ksl://project/frames/1/a.jpg' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('jpeg bytes');
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const bad of ['ksl://project/../secret.jpg', 'ksl://project/%2e%2e/secret.jpg', 'ksl://project/frames/..%2f..%2fsecret.jpg', 'ksl://project/catalog.sqlite', 'ksl://elsewhere/x.jpg']) {
      const r = await handle({ url: bad });
      expect(r.status, bad).toBe(404);
      expect(await r.text()).not.toContain('TOP-SECRET-CONTENT');
    }
    const ui = await handle({ url: 'ksl://app/index.html' });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="root">');
  });

  it('lets only the app itself use the camera', () => {
    const ask = (requestingUrl: string, permission = 'media') =>
      new Promise<boolean>((resolve) => cap.permissionRequest!({ getURL: () => requestingUrl }, permission, resolve, { requestingUrl }));
    return Promise.all([
      expect(ask('ksl://app/index.html')).resolves.toBe(true),
      expect(ask('https://evil.example/')).resolves.toBe(false),
      expect(ask('ksl://app/index.html', 'geolocation')).resolves.toBe(false),
    ]);
  });
});
