/**
 * The Electron main process: window, menu, dialogs, the ksl:// protocol and permissions — nothing
 * that can stall. The services (catalog, jobs including training, inference) run in a
 * utilityProcess (services-host.ts); main relays the allow-listed contract to it and restarts it,
 * reopening the project, if it dies.
 *
 * Hardening (README "Security"): one instance; sandboxed, context-isolated renderer with an
 * allow-listed preload; every IPC call checks its sender; a strict CSP; the ksl:// protocol serves
 * the UI, and frame images from inside the open project only; navigation, new windows and webviews
 * are refused; no remote content; only the app's own origin may use the camera.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  screen,
  session,
  shell,
  systemPreferences,
  utilityProcess,
  type IpcMainInvokeEvent,
} from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVENT_NAMES, REQUEST_NAMES } from '../../src-shared/api';
import { fail } from '../../src-shared/result';
import { resolveInProject } from '../services/fs/project-paths';
import { menuTemplate } from './app-menu';
import { allowPermissionCheck, allowPermissionRequest, isOpenableExternally } from './permissions';
import { ServicesSupervisor, type CrashReport } from './services-supervisor';
import { readWindowState, visibleBounds, writeWindowState } from './window-state';
import { APP_ORIGIN, CSP, hardenedWebPreferences, KIOSK_URL, UI_URL } from './window-options';

protocol.registerSchemesAsPrivileged([{ scheme: 'ksl', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const rendererDir = path.join(__dirname, '..', 'renderer');
const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');
const requestNames = new Set<string>(REQUEST_NAMES);
const eventNames = new Set<string>(EVENT_NAMES);

let mainWindow: BrowserWindow | null = null;
let kiosk = process.argv.includes('--kiosk');

/** A request comes from our own UI frame, loaded from ksl://app — nothing else may call the API. */
export function isTrustedSender(e: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const url = e.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`);
}

const broadcast = (name: string, payload: unknown) => {
  for (const w of BrowserWindow.getAllWindows()) w.webContents.send('ksl:event', name, payload);
};

async function chooseDir(kind: 'new' | 'open'): Promise<string | undefined> {
  const options: Electron.OpenDialogOptions =
    kind === 'new'
      ? { title: 'Create a KSL Studio project in…', properties: ['openDirectory', 'createDirectory'] }
      : { title: 'Open a KSL Studio project', properties: ['openDirectory'] };
  const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return r.canceled ? undefined : r.filePaths[0];
}

function reportCrash(r: CrashReport): void {
  const what = r.gaveUp
    ? `The services process stopped (exit code ${r.code}) and keeps stopping; it was not restarted. Save nothing more and restart KSL Studio.`
    : `The services process stopped (exit code ${r.code}) and was restarted${r.reopened ? `; ${r.reopened} is open again` : ''}. ` +
      'Jobs that were running are marked interrupted: resume them from the job list.';
  console.error(`KSL Studio: ${what}${r.interrupted.length ? ` Requests interrupted: ${r.interrupted.join(', ')}.` : ''}`);
  // Screens refetch (the reopened catalog also announces itself); a kiosk shows no dialog.
  broadcast('catalog.changed', { tables: ['*'] });
  if (mainWindow && !kiosk) {
    void dialog.showMessageBox(mainWindow, { type: r.gaveUp ? 'error' : 'warning', title: 'KSL Studio', message: 'The services process stopped', detail: what });
  }
}

const services = new ServicesSupervisor({
  fork: () =>
    utilityProcess.fork(path.join(__dirname, 'services-host.cjs'), [], {
      serviceName: 'KSL Studio services',
      stdio: 'inherit',
    }),
  onEvent: (name, payload) => {
    if (eventNames.has(name)) broadcast(name, payload);
  },
  onProject: (dir) => {
    if (dir) writeWindowState(stateFile(), { lastProject: dir });
  },
  chooseDir,
  onCrash: reportCrash,
  log: (m) => console.error(`KSL Studio: ${m}`),
});

function createWindow(): BrowserWindow {
  const saved = readWindowState(stateFile());
  const bounds = visibleBounds(
    saved.bounds,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    width: bounds?.width ?? 1280,
    height: bounds?.height ?? 820,
    x: bounds?.x,
    y: bounds?.y,
    minWidth: 900,
    minHeight: 600,
    title: 'KSL Studio',
    backgroundColor: '#101418',
    show: false,
    kiosk,
    autoHideMenuBar: kiosk,
    // Developer tools only under `npm start`; a package has none (and no menu item for them).
    webPreferences: { ...hardenedWebPreferences(path.join(__dirname, 'preload.cjs')), devTools: !app.isPackaged },
  });
  if (saved.maximized && !kiosk) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    // Kiosk bounds are the whole screen: remember the normal window instead.
    if (!win.isKiosk()) writeWindowState(stateFile(), { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(kiosk ? KIOSK_URL : UI_URL);
  return win;
}

function setMenu(): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        { platform: process.platform, dev: !app.isPackaged, kiosk },
        {
          // The UI hears of the new project through the catalog.changed event the host sends.
          newProject: () => void services.invoke('project.create', {}).then((r) => !r.ok && r.error.code !== 'CANCELLED' && showError(r.error.message)),
          openProject: () => void services.invoke('project.open', {}).then((r) => !r.ok && r.error.code !== 'CANCELLED' && showError(r.error.message)),
          toggleKiosk: () => setKiosk(!kiosk),
        },
      ),
    ),
  );
}

function showError(message: string): void {
  if (mainWindow) void dialog.showMessageBox(mainWindow, { type: 'error', title: 'KSL Studio', message });
}

function setKiosk(on: boolean): void {
  kiosk = on;
  if (mainWindow) {
    mainWindow.setKiosk(on);
    mainWindow.setAutoHideMenuBar(on);
    void mainWindow.loadURL(on ? KIOSK_URL : UI_URL);
  }
  setMenu();
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
        // The folder the services host reported; it changes only when the host opens another.
        const dir = services.projectDir();
        if (!dir) throw new Error('no project open');
        if (!/\.(jpe?g|png)$/i.test(rel)) throw new Error('not an image');
        file = resolveInProject(dir, rel);
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
      // No window ever opens inside the app; links to documentation open in the user's browser.
      if (isOpenableExternally(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => {
    const d = details as { requestingUrl?: string; mediaTypes?: string[] };
    if (!allowPermissionRequest(permission, d)) return callback(false);
    // macOS also asks the user once, for the whole app (Info.plist NSCameraUsageDescription).
    if (permission === 'media' && process.platform === 'darwin') {
      void systemPreferences.askForMediaAccess('camera').then(callback, () => callback(false));
      return;
    }
    callback(true);
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
    allowPermissionCheck(permission, requestingOrigin, details as { mediaType?: string }),
  );
  // No HID, serial or USB device for any page (the camera is not one of these).
  ses.setDevicePermissionHandler(() => false);
  // No remote content: anything that is not our own scheme (or devtools) is cancelled.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = /^(ksl|devtools|data|blob):/.test(details.url);
    callback({ cancel: !ok });
  });
}

function registerIpc(): void {
  ipcMain.handle('ksl:invoke', async (e, name: unknown, args: unknown) => {
    if (!isTrustedSender(e)) return fail('FORBIDDEN', 'Request from an untrusted frame refused.');
    // Unknown names never reach the host; the host validates the arguments against the contract.
    if (typeof name !== 'string' || !requestNames.has(name)) return fail('INVALID', `Unknown request ${JSON.stringify(String(name)).slice(0, 80)}.`);
    return services.invoke(name, args);
  });
}

/** A project folder given on the command line (`ksl-studio ~/ksl/project`) wins over the last one. */
function projectFromArgs(argv: string[]): string | undefined {
  return argv
    .slice(1)
    .filter((a) => !a.startsWith('-'))
    .map((a) => path.resolve(a))
    .find((a) => existsSync(path.join(a, 'catalog.sqlite')));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv) => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
    const dir = projectFromArgs(argv);
    if (dir) void services.open(dir);
  });
  app.enableSandbox();
  void app.whenReady().then(() => {
    harden();
    registerProtocol();
    registerIpc();
    setMenu();
    const last = projectFromArgs(process.argv) ?? readWindowState(stateFile()).lastProject;
    services.start(last && existsSync(last) ? last : undefined);
    mainWindow = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
  });
  // Stop the host cleanly (running jobs are recorded, the catalog is closed) before quitting.
  let stopped = false;
  app.on('before-quit', (e) => {
    if (stopped) return;
    e.preventDefault();
    void services.stop().finally(() => {
      stopped = true;
      app.quit();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
