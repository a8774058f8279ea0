/**
 * The Electron main process: a thin transport over the same services as `ksl serve` and the CLI.
 * Hardening (see README "Security"): one instance; sandboxed, context-isolated renderer with an
 * allow-listed preload; every IPC call checks its sender; a strict CSP; the ksl:// protocol serves
 * the UI and frame images from inside the open project only; navigation, new windows and
 * webviews are refused; only the app's own origin may use the camera.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApiHost } from '../../src-shared/api-host';
import { fail } from '../../src-shared/result';
import { createAppServices } from '../services/app-services';
import { isProject } from '../services/catalog/project';
import { resolveInProject } from '../services/fs/project-paths';
import { APP_ORIGIN, CSP, hardenedWebPreferences, UI_URL } from './window-options';

protocol.registerSchemesAsPrivileged([{ scheme: 'ksl', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const rendererDir = path.join(__dirname, '..', 'renderer');
const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');

interface SavedState {
  bounds?: { x: number; y: number; width: number; height: number };
  maximized?: boolean;
  lastProject?: string;
}
const readState = (): SavedState => {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as SavedState;
  } catch {
    return {};
  }
};
const writeState = (s: SavedState) => {
  mkdirSync(path.dirname(stateFile()), { recursive: true });
  writeFileSync(stateFile(), JSON.stringify(s));
};

let mainWindow: BrowserWindow | null = null;

/** A request comes from our own UI frame, loaded from ksl://app — nothing else may call the API. */
export function isTrustedSender(e: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const url = e.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`);
}

const services = createAppServices(
  (name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('ksl:event', name, payload);
  },
  {
    door: 'electron',
    chooseNewProjectDir: async () => {
      const r = await dialog.showOpenDialog(mainWindow!, { title: 'Create a KSL Studio project in…', properties: ['openDirectory', 'createDirectory'] });
      return r.canceled ? undefined : r.filePaths[0];
    },
    chooseExistingProjectDir: async () => {
      const r = await dialog.showOpenDialog(mainWindow!, { title: 'Open a KSL Studio project', properties: ['openDirectory'] });
      const dir = r.canceled ? undefined : r.filePaths[0];
      if (dir) writeState({ ...readState(), lastProject: dir });
      return dir;
    },
  },
);
const host = createApiHost(services.handlers, (name, e) => console.error(`internal error in ${name}:`, e));

function createWindow(): BrowserWindow {
  const saved = readState();
  const win = new BrowserWindow({
    width: saved.bounds?.width ?? 1280,
    height: saved.bounds?.height ?? 820,
    x: saved.bounds?.x,
    y: saved.bounds?.y,
    minWidth: 900,
    minHeight: 600,
    title: 'KSL Studio',
    backgroundColor: '#101418',
    show: false,
    webPreferences: hardenedWebPreferences(path.join(__dirname, 'preload.cjs')),
  });
  if (saved.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  const save = () => writeState({ ...readState(), bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  win.on('close', save);
  void win.loadURL(UI_URL);
  return win;
}

function registerProtocol(): void {
  protocol.handle('ksl', async (request) => {
    const url = new URL(request.url);
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    try {
      let file: string;
      if (url.host === 'app') {
        file = path.resolve(rendererDir, rel || 'index.html');
        if (!file.startsWith(rendererDir + path.sep)) throw new Error('outside the UI folder');
      } else if (url.host === 'project') {
        const s = services.current();
        if (!s) throw new Error('no project open');
        if (!/\.(jpe?g|png)$/i.test(rel)) throw new Error('not an image');
        file = resolveInProject(s.project.dir, rel);
      } else throw new Error('unknown host');
      const res = await net.fetch(pathToFileURL(file).toString());
      const headers = new Headers(res.headers);
      headers.set('Content-Security-Policy', CSP);
      headers.set('X-Content-Type-Options', 'nosniff');
      return new Response(res.body, { status: res.status, headers });
    } catch (e) {
      return new Response(`Not found: ${(e as Error).message}`, { status: 404 });
    }
  });
}

function harden(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (ev, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) ev.preventDefault();
    });
    contents.on('will-redirect', (ev, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) ev.preventDefault();
    });
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser, never inside the app.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((wc, permission, callback, details) => {
    const origin = details.requestingUrl ? new URL(details.requestingUrl).origin : '';
    callback(permission === 'media' && (origin === APP_ORIGIN || wc.getURL().startsWith(`${APP_ORIGIN}/`)));
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permission === 'media' && requestingOrigin === APP_ORIGIN);
  // No remote content: anything that is not our own scheme (or devtools) is cancelled.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = /^(ksl|devtools|data|blob):/.test(details.url);
    callback({ cancel: !ok });
  });
}

function registerIpc(): void {
  ipcMain.handle('ksl:invoke', async (e, name: unknown, args: unknown) => {
    if (!isTrustedSender(e)) return fail('FORBIDDEN', 'Request from an untrusted frame refused.');
    return host.handle(name, args);
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.enableSandbox();
  void app.whenReady().then(() => {
    harden();
    registerProtocol();
    registerIpc();
    Menu.setApplicationMenu(Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]));
    const last = readState().lastProject ?? process.argv.find((a, i) => i > 0 && !a.startsWith('-') && isProject(a));
    if (last && existsSync(last) && isProject(last)) {
      try {
        services.open(last);
      } catch (e) {
        console.error(`Could not reopen ${last}:`, (e as Error).message);
      }
    }
    mainWindow = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
  });
  app.on('window-all-closed', () => {
    void services.close().finally(() => {
      if (process.platform !== 'darwin') app.quit();
    });
  });
}
