/**
 * The application menu. Usual shortcuts, except where the labelling editor owns the key: on Linux
 * and Windows a registered menu accelerator takes the key before the page sees it, so undo/redo,
 * paste and zoom are shown with their shortcut but not registered (registerAccelerator: false) —
 * the editor keeps Ctrl+Z/Y/V and its canvas zoom (Ctrl+=/−/0), and Chromium still gives text
 * fields their native undo and paste. On macOS the focused page sees key equivalents first, so the
 * editor wins there anyway.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  newProject(): void;
  openProject(): void;
  toggleKiosk(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Unpackaged (`npm start`): reload and developer tools are offered; never in a packaged app. */
  dev: boolean;
  kiosk: boolean;
}

export const KIOSK_ACCELERATOR = 'CmdOrCtrl+Shift+K';

export function menuTemplate(o: MenuOptions, a: MenuActions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  /** Shown, but on Linux/Windows left to the page (see above). */
  const pageKey = { registerAccelerator: mac } as const;
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => a.newProject() },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => a.openProject() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', accelerator: 'Ctrl+Q' },
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo', ...pageKey },
      { role: 'redo', accelerator: mac ? 'Shift+Cmd+Z' : 'Ctrl+Y', ...pageKey },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste', ...pageKey },
      { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(o.dev ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
      { role: 'resetZoom', ...pageKey },
      { role: 'zoomIn', ...pageKey },
      { role: 'zoomOut', ...pageKey },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      { label: 'Kiosk Mode', type: 'checkbox', checked: o.kiosk, accelerator: KIOSK_ACCELERATOR, click: () => a.toggleKiosk() },
    ],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    file,
    edit,
    view,
    { role: 'windowMenu' },
  ];
}
