/**
 * Smoke test of the built Electron main process (dist/main/electron-main.cjs) with a stand-in for
 * the `electron` module — the binary cannot run here. The stand-in's utilityProcess.fork really
 * forks the built services host (dist/main/services-host.cjs) with child_process.fork and a
 * parentPort shim, so every request below travels renderer IPC → main → host → services and back.
 *
 * It checks what can only go wrong in those bundles: every contract request is served through the
 * host, main loads no service code, untrusted senders are refused, the window has the hardened
 * options, ksl:// serves project files only from inside the open project, dialogs are relayed, a
 * killed host is reported and restarted with the project reopened (its running job interrupted),
 * and only the app's origin gets the camera.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import Module from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES } from '../../../src-shared/api';
import { initProject } from '../../../src-main/services/catalog/project';
import { repoRoot } from '../../helpers/fixtures';
import { tinyKslModel } from '../inference/tiny-models';

type Handler = (event: unknown, ...args: unknown[]) => unknown;
type Listener = (...args: any[]) => void;
interface MenuItem {
  label?: string;
  role?: string;
  accelerator?: string;
  checked?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}

interface Captured {
  ipc: Map<string, Handler>;
  windows: { options: Record<string, any>; urls: string[]; kiosk: boolean; sent: [string, string, unknown][] }[];
  protocols: Map<string, (req: { url: string }) => Promise<Response>>;
  privileged: unknown[];
  sandboxEnabled: boolean;
  appHandlers: Map<string, Listener>;
  hosts: { modulePath: string; options: Record<string, any>; child: ChildProcess }[];
  dialogs: unknown[];
  messageBoxes: { type?: string; detail?: string }[];
  menu: MenuItem[];
  nextFolder?: string;
  permissionRequest?: (wc: unknown, permission: string, cb: (ok: boolean) => void, details: Record<string, unknown>) => void;
  permissionCheck?: (wc: unknown, permission: string, origin: string, details: Record<string, unknown>) => boolean;
  devicePermission?: (details: Record<string, unknown>) => boolean;
}

const shim = path.join(__dirname, 'parent-port-shim.cjs');

/** utilityProcess.fork backed by child_process.fork: the same events and methods main uses. */
class ForkedHost extends EventEmitter {
  constructor(readonly child: ChildProcess) {
    super();
    child.on('message', (m) => this.emit('message', m));
    child.on('exit', (code, signal) => this.emit('exit', code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  }
  get pid() {
    return this.child.pid;
  }
  postMessage(m: unknown) {
    if (this.child.connected) this.child.send(m as never);
  }
  kill() {
    return this.child.kill();
  }
}

function standIn(userData: string, cap: Captured) {
  const all: BrowserWindow[] = [];
  class BrowserWindow {
    static getAllWindows = () => all;
    private readonly rec: Captured['windows'][number];
    webContents: { send: (channel: string, name: string, payload: unknown) => void };
    constructor(options: Record<string, any>) {
      this.rec = { options, urls: [], kiosk: !!options.kiosk, sent: [] };
      cap.windows.push(this.rec);
      all.push(this);
      this.webContents = { send: (channel, name, payload) => this.rec.sent.push([channel, name, payload]) };
    }
    loadURL(url: string) {
      this.rec.urls.push(url);
      return Promise.resolve();
    }
    once() {}
    on() {}
    maximize() {}
    show() {}
    focus() {}
    isMinimized = () => false;
    isKiosk = () => this.rec.kiosk;
    setKiosk = (on: boolean) => (this.rec.kiosk = on);
    setAutoHideMenuBar() {}
    getNormalBounds = () => ({ x: 0, y: 0, width: 1280, height: 820 });
    isMaximized = () => false;
  }
  return {
    app: {
      isPackaged: true,
      requestSingleInstanceLock: () => true,
      enableSandbox: () => (cap.sandboxEnabled = true),
      whenReady: () => Promise.resolve(),
      on: (name: string, h: Listener) => cap.appHandlers.set(name, h),
      quit: () => {},
      getPath: () => userData,
    },
    BrowserWindow,
    dialog: {
      showOpenDialog: async (...a: unknown[]) => {
        cap.dialogs.push(a);
        const f = cap.nextFolder;
        return f ? { canceled: false, filePaths: [f] } : { canceled: true, filePaths: [] };
      },
      showMessageBox: async (_w: unknown, o: { type?: string; detail?: string }) => {
        cap.messageBoxes.push(o);
        return { response: 0 };
      },
    },
    ipcMain: { handle: (channel: string, h: Handler) => cap.ipc.set(channel, h) },
    Menu: { setApplicationMenu: (m: MenuItem[]) => (cap.menu = m), buildFromTemplate: (t: unknown) => t },
    net: {
      // the real net.fetch reads file:// URLs; the stand-in does the same with node:fs
      fetch: async (url: string) => new Response(readFileSync(new URL(url)), { status: 200, headers: { 'content-type': 'application/octet-stream' } }),
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown) => cap.privileged.push(s),
      handle: (scheme: string, h: (req: { url: string }) => Promise<Response>) => cap.protocols.set(scheme, h),
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Captured['permissionRequest']) => (cap.permissionRequest = h),
        setPermissionCheckHandler: (h: Captured['permissionCheck']) => (cap.permissionCheck = h),
        setDevicePermissionHandler: (h: Captured['devicePermission']) => (cap.devicePermission = h),
        webRequest: { onBeforeRequest: () => {} },
      },
    },
    shell: { openExternal: async () => {} },
    systemPreferences: { askForMediaAccess: async () => true },
    utilityProcess: {
      fork: (modulePath: string, args: string[], options: Record<string, any>) => {
        const child = fork(modulePath, args, { execArgv: ['--require', shim], serialization: 'advanced', stdio: 'inherit' });
        cap.hosts.push({ modulePath, options, child });
        return new ForkedHost(child);
      },
    },
  };
}

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the built Electron main process', () => {
  const cap: Captured = {
    ipc: new Map(),
    windows: [],
    protocols: new Map(),
    privileged: [],
    sandboxEnabled: false,
    appHandlers: new Map(),
    hosts: [],
    dialogs: [],
    messageBoxes: [],
    menu: [],
  };
  const loadedByMain: string[] = [];
  let work: string;
  let project: string;
  let other: string;
  let userData: string;
  const bundle = path.join(repoRoot, 'dist', 'main', 'electron-main.cjs');
  const originalLoad = (Module as unknown as { _load: (...a: unknown[]) => unknown })._load;
  const trusted = { senderFrame: { url: 'ksl://app/index.html' } };
  const invoke = (name: string, args: unknown = {}) =>
    cap.ipc.get('ksl:invoke')!(trusted, name, args) as Promise<{ ok: boolean; value?: any; error?: { code: string; message: string } }>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'ksl-electron-'));
    project = path.join(work, '프로젝트');
    initProject(project).close();
    mkdirSync(path.join(project, 'frames', '1'), { recursive: true });
    writeFileSync(path.join(project, 'frames', '1', 'a.jpg'), 'jpeg bytes');
    other = path.join(work, 'other');
    initProject(other).close();
    writeFileSync(path.join(work, 'secret.jpg'), 'TOP-SECRET-CONTENT');
    userData = path.join(work, 'userData');
    mkdirSync(userData);
    writeFileSync(path.join(userData, 'window-state.json'), JSON.stringify({ lastProject: project }));
    const electron = standIn(userData, cap);
    (Module as unknown as { _load: (...a: unknown[]) => unknown })._load = function (request: unknown, parent: unknown, ...rest: unknown[]) {
      if ((parent as { filename?: string } | undefined)?.filename === bundle) loadedByMain.push(String(request));
      if (request === 'electron') return electron;
      return originalLoad.call(this, request, parent, ...rest);
    };
    delete require.cache[bundle];
    require(bundle);
    await until(async () => cap.ipc.has('ksl:invoke') && (await invoke('project.info')).ok, 'the host to reopen the last project');
  });
  afterAll(async () => {
    (Module as unknown as { _load: unknown })._load = originalLoad;
    // Quitting stops the host cleanly (and keeps the supervisor from restarting it).
    cap.appHandlers.get('before-quit')?.({ preventDefault() {} });
    await until(() => cap.hosts.every((h) => h.child.exitCode !== null || h.child.signalCode !== null), 'the hosts to exit').catch(() => {
      for (const h of cap.hosts) h.child.kill('SIGKILL');
    });
    rmSync(work, { recursive: true, force: true });
  });

  it('forks the services host as a utility process and keeps service code out of main', () => {
    expect(cap.hosts).toHaveLength(1);
    expect(cap.hosts[0]!.modulePath).toBe(path.join(repoRoot, 'dist', 'main', 'services-host.cjs'));
    expect(cap.hosts[0]!.options.serviceName).toBe('KSL Studio services');
    expect(cap.hosts[0]!.child.pid).not.toBe(process.pid);
    // electron, Node built-ins and zod (the contract's names): SQLite, onnxruntime and TensorFlow.js load in the host.
    expect(loadedByMain).toContain('electron');
    expect(new Set(loadedByMain.filter((r) => r !== 'electron' && !r.startsWith('node:')))).toEqual(new Set(['zod']));
  });

  it('serves every request of the contract through the host, and nothing else', async () => {
    expect([...cap.ipc.keys()]).toEqual(['ksl:invoke']);
    for (const name of REQUEST_NAMES) {
      const r = await invoke(name, {});
      // arguments may be incomplete ({}), but the request must be known and reach validation/handler
      if (!r.ok) expect(r.error!.message, name).not.toMatch(/Unknown request|services process/);
    }
    const info = await invoke('project.info');
    expect(info).toMatchObject({ ok: true, value: { name: '프로젝트' } }); // reopened from the saved state
    expect(await invoke('no.such.thing')).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    // the host validates the payload against the contract
    expect(await invoke('runs.get', { id: '../../etc' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });

  it('relays the contract events from the host to the window, and only those', () => {
    const sent = cap.windows[0]!.sent;
    // reopening the last project made the host announce its catalog
    expect(sent).toContainEqual(['ksl:event', 'catalog.changed', { tables: ['*'] }]);
    for (const [channel, name] of sent) {
      expect(channel).toBe('ksl:event');
      expect(EVENT_NAMES as string[]).toContain(name);
    }
  });

  it('carries a camera frame as raw bytes (structured clone, no base64) renderer → main → host → inference worker', async () => {
    mkdirSync(path.join(project, 'models', 'tiny'), { recursive: true });
    writeFileSync(path.join(project, 'models', 'tiny', 'ssd.onnx'), tinyKslModel());
    writeFileSync(path.join(project, 'models', 'tiny', 'label_map.pbtxt'), "item { id: 1 name: 'hello' }\nitem { id: 2 name: 'bye' }\n");
    const modelId = 'file:models/tiny/ssd.onnx';
    expect(await invoke('live.load', { modelId })).toMatchObject({ ok: true, value: { input: { width: 320, height: 320 } } });
    const [w, h] = [640, 480];
    // ipcRenderer.invoke structured-clones its arguments; main → host is a structured clone too (the stand-in
    // forks with serialization: 'advanced', Electron's utilityProcess.postMessage clones the same way).
    const ipc = (args: unknown) => invoke('live.detect', structuredClone(args));
    const settings = { threshold: 0, iou: 0.5, maxDetections: 5 };
    // The tiny model's anchor-0 class-1 score is the frame's mean pixel / 255: 200 → 0.784.
    const grey = await ipc({ modelId, width: w, height: h, rgb: new Uint8Array(w * h * 3).fill(200), settings });
    expect(grey.ok, grey.error?.message).toBe(true);
    expect(grey.value.detections.find((d: { classId: number }) => d.classId === 1).score).toBeCloseTo(200 / 255, 3);
    // base64 (the JSON form scripts use) gives the same answer
    const b64 = await ipc({ modelId, width: w, height: h, rgb: Buffer.alloc(w * h * 3, 200).toString('base64'), settings });
    expect(b64.value.detections).toEqual(grey.value.detections);
    // the byte count is checked in the host, with a message that says what to send
    const wrong = await ipc({ modelId, width: w, height: h, rgb: new Uint8Array(w * h * 4), settings });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(wrong.error!.message).toContain(`${w * h * 4} bytes, but a 640×480 frame needs ${w * h * 3}`);
    // bytes that are not a byte array (a plain object, as a careless bridge might send) are refused
    const obj = await ipc({ modelId, width: 8, height: 8, rgb: { 0: 1, 1: 2 } });
    expect(obj).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });

  it('refuses IPC from any frame that is not the app itself', async () => {
    const handler = cap.ipc.get('ksl:invoke')!;
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'ksl://project/frames/1/a.jpg', 'ksl://app.evil/index.html', '']) {
      expect(await handler({ senderFrame: { url } }, 'project.info', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(await handler({ senderFrame: null }, 'project.info', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('creates the window with the hardened options and loads the app over ksl://', () => {
    expect(cap.sandboxEnabled).toBe(true);
    expect(cap.windows).toHaveLength(1);
    const w = cap.windows[0]!;
    expect(w.urls[0]).toBe('ksl://app/index.html');
    expect(w.options.kiosk).toBe(false);
    expect(w.options.webPreferences).toEqual({
      preload: expect.stringMatching(/preload\.cjs$/),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: false, // a packaged app (the stand-in says isPackaged)
    });
  });

  it('the ksl:// protocol serves project images from inside the project only, with the CSP', async () => {
    const handle = cap.protocols.get('ksl')!;
    const ok = await handle({ url: 'ksl://project/frames/1/a.jpg' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('jpeg bytes');
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const bad of ['ksl://project/../secret.jpg', 'ksl://project/%2e%2e/secret.jpg', 'ksl://project/frames/..%2f..%2fsecret.jpg', 'ksl://project/catalog.sqlite', 'ksl://elsewhere/x.jpg', 'ksl://app/../../secret.jpg']) {
      const r = await handle({ url: bad });
      expect(r.status, bad).toBe(404);
      expect(await r.text()).not.toContain('TOP-SECRET-CONTENT');
    }
    const ui = await handle({ url: 'ksl://app/index.html' });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="root">');
  });

  it('has a menu with the usual commands, a kiosk mode and no reload in a packaged app', async () => {
    const items = cap.menu.flatMap((m) => [m, ...(m.submenu ?? [])]);
    const labels = items.map((i) => i.label ?? i.role);
    expect(labels).toEqual(expect.arrayContaining(['New Project…', 'Open Project…', 'quit', 'undo', 'copy', 'paste', 'zoomIn', 'togglefullscreen', 'Kiosk Mode']));
    expect(labels).not.toContain('reload');
    expect(labels).not.toContain('toggleDevTools');
    const kioskItem = items.find((i) => i.label === 'Kiosk Mode')!;
    kioskItem.click!();
    const w = cap.windows[0]!;
    expect(w.kiosk).toBe(true);
    expect(w.urls.at(-1)).toBe('ksl://app/#kiosk');
    expect(cap.menu.flatMap((m) => m.submenu ?? []).find((i) => i.label === 'Kiosk Mode')!.checked).toBe(true);
    cap.menu.flatMap((m) => m.submenu ?? []).find((i) => i.label === 'Kiosk Mode')!.click!();
    expect(w.kiosk).toBe(false);
    expect(w.urls.at(-1)).toBe('ksl://app/index.html');
  });

  it('asks main for the folder dialog, opens the chosen project in the host and serves images from it', async () => {
    cap.nextFolder = other;
    const dialogsBefore = cap.dialogs.length;
    const opened = await invoke('project.open');
    expect(opened).toMatchObject({ ok: true, value: { name: 'other' } });
    expect(cap.dialogs).toHaveLength(dialogsBefore + 1);
    expect(JSON.parse(readFileSync(path.join(userData, 'window-state.json'), 'utf8')).lastProject).toBe(other);
    // ksl://project/ now follows the other project
    expect((await cap.protocols.get('ksl')!({ url: 'ksl://project/frames/1/a.jpg' })).status).toBe(404);
    cap.nextFolder = undefined;
    expect(await invoke('project.open')).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    cap.nextFolder = project;
    expect(await invoke('project.open')).toMatchObject({ ok: true, value: { name: '프로젝트' } });
    expect((await cap.protocols.get('ksl')!({ url: 'ksl://project/frames/1/a.jpg' })).status).toBe(200);
  });

  it('reports a killed host, restarts it and reopens the project; its running job shows as interrupted', async () => {
    const first = cap.hosts[0]!.child;
    // A job the host was running when it died (as the job manager records one).
    const db = new Database(path.join(project, 'catalog.sqlite'));
    db.prepare("INSERT INTO jobs (id, kind, params, state, resumable, pid) VALUES ('job-1', 'extract', '{}', 'running', 1, ?)").run(first.pid);
    db.close();
    first.kill('SIGKILL');
    await until(() => cap.hosts.length === 2, 'a new host');
    await until(async () => (await invoke('project.info')).ok, 'the project to reopen');
    expect(cap.hosts[1]!.child.pid).not.toBe(first.pid);
    expect(await invoke('project.info')).toMatchObject({ ok: true, value: { name: '프로젝트' } });
    expect(cap.messageBoxes.at(-1)).toMatchObject({ type: 'warning', detail: expect.stringContaining('was restarted') });
    expect(cap.windows[0]!.sent.some(([, name, p]) => name === 'catalog.changed' && JSON.stringify(p) === '{"tables":["*"]}')).toBe(true);
    const jobs = await invoke('jobs.list', {});
    expect(jobs.value.find((j: { id: string }) => j.id === 'job-1')).toMatchObject({ state: 'interrupted', resumable: true });
    expect((await cap.protocols.get('ksl')!({ url: 'ksl://project/frames/1/a.jpg' })).status).toBe(200);
  });

  it('refuses navigation, redirects, webviews and new windows away from the app', () => {
    const on = new Map<string, Listener>();
    let openHandler!: (d: { url: string }) => { action: string };
    const contents = { on: (ev: string, h: Listener) => on.set(ev, h), setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h) };
    cap.appHandlers.get('web-contents-created')!({}, contents);
    const prevented = (ev: string, url?: string) => {
      let p = false;
      on.get(ev)!({ preventDefault: () => (p = true) }, url);
      return p;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(prevented('will-navigate', 'ksl://app/index.html#kiosk')).toBe(false);
    expect(prevented('will-redirect', 'https://evil.example/')).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
    expect(openHandler({ url: 'ksl://app/index.html' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'https://github.com/' })).toEqual({ action: 'deny' });
  });

  it('lets only the app itself use the camera (video only), and no page use HID/serial/USB devices', async () => {
    const ask = (requestingUrl: string, permission = 'media', mediaTypes = ['video']) =>
      new Promise<boolean>((resolve) => cap.permissionRequest!({ getURL: () => 'ksl://app/index.html' }, permission, resolve, { requestingUrl, mediaTypes }));
    expect(await ask('ksl://app/index.html')).toBe(true);
    expect(await ask('https://evil.example/')).toBe(false);
    expect(await ask('ksl://project/frames/1/a.jpg')).toBe(false);
    expect(await ask('ksl://app/index.html', 'media', ['video', 'audio'])).toBe(false);
    expect(await ask('ksl://app/index.html', 'geolocation')).toBe(false);
    expect(await ask('ksl://app/index.html', 'notifications')).toBe(false);
    expect(cap.permissionCheck!(null, 'media', 'ksl://app', { mediaType: 'video' })).toBe(true);
    expect(cap.permissionCheck!(null, 'media', 'https://evil.example', { mediaType: 'video' })).toBe(false);
    expect(cap.permissionCheck!(null, 'media', 'ksl://app', { mediaType: 'audio' })).toBe(false);
    expect(cap.permissionCheck!(null, 'geolocation', 'ksl://app', {})).toBe(false);
    expect(cap.devicePermission!({ deviceType: 'usb', origin: 'ksl://app' })).toBe(false);
  });
});
