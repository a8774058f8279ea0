/** The pure parts of the desktop shell: saved window state, permission decisions, the menu. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { KIOSK_ACCELERATOR, menuTemplate } from '../../../src-main/electron/app-menu';
import { allowPermissionCheck, allowPermissionRequest, isAppOrigin, isOpenableExternally } from '../../../src-main/electron/permissions';
import { readWindowState, visibleBounds, writeWindowState } from '../../../src-main/electron/window-state';

describe('window state', () => {
  it('round-trips, merges patches and reads a broken or hostile file as empty', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-state-'));
    try {
      const f = path.join(dir, 'sub', 'window-state.json');
      expect(readWindowState(f)).toEqual({});
      writeWindowState(f, { bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true });
      writeWindowState(f, { lastProject: '/home/me/ksl/프로젝트' });
      expect(readWindowState(f)).toEqual({ bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true, lastProject: '/home/me/ksl/프로젝트' });
      writeFileSync(f, '{"bounds": {"x": "a"}, "maximized": "yes", "lastProject": 3');
      expect(readWindowState(f)).toEqual({});
      writeFileSync(f, '{"bounds": {"x": "a", "y": 0, "width": 1, "height": 1}, "maximized": "yes", "lastProject": 3}');
      expect(readWindowState(f)).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops bounds that fall off every display', () => {
    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(visibleBounds({ x: 100, y: 100, width: 1280, height: 820 }, screen)).toEqual({ x: 100, y: 100, width: 1280, height: 820 });
    expect(visibleBounds({ x: 2500, y: 100, width: 1280, height: 820 }, screen)).toBeUndefined(); // second monitor unplugged
    expect(visibleBounds({ x: 100, y: -500, width: 1280, height: 820 }, screen)).toBeUndefined(); // title bar above the screen
    expect(visibleBounds({ x: 100, y: 100, width: 50, height: 50 }, screen)).toBeUndefined();
    expect(visibleBounds(undefined, screen)).toBeUndefined();
  });
});

describe('permissions', () => {
  it('knows the app origin exactly', () => {
    expect(isAppOrigin('ksl://app/index.html#kiosk')).toBe(true);
    expect(isAppOrigin('ksl://app')).toBe(true);
    for (const u of ['ksl://app.evil/', 'ksl://project/a.jpg', 'https://app/', 'ksl://app:8080/', 'file:///app/', '', undefined]) expect(isAppOrigin(u), String(u)).toBe(false);
  });
  it('grants the camera (video only) and full screen to the app, nothing else to anyone', () => {
    expect(allowPermissionRequest('media', { requestingUrl: 'ksl://app/index.html', mediaTypes: ['video'] })).toBe(true);
    expect(allowPermissionRequest('media', { requestingUrl: 'ksl://app/index.html', mediaTypes: ['audio'] })).toBe(false);
    expect(allowPermissionRequest('media', { requestingUrl: 'ksl://app/index.html' })).toBe(false);
    expect(allowPermissionRequest('media', { requestingUrl: 'https://evil.example/', mediaTypes: ['video'] })).toBe(false);
    expect(allowPermissionRequest('fullscreen', { requestingUrl: 'ksl://app/#kiosk' })).toBe(true);
    for (const p of ['geolocation', 'notifications', 'clipboard-read', 'midi', 'openExternal', 'pointerLock']) {
      expect(allowPermissionRequest(p, { requestingUrl: 'ksl://app/index.html' }), p).toBe(false);
    }
    expect(allowPermissionCheck('media', 'ksl://app', { mediaType: 'video' })).toBe(true);
    expect(allowPermissionCheck('media', 'ksl://app', { mediaType: 'audio' })).toBe(false);
    expect(allowPermissionCheck('media', 'null')).toBe(false);
  });
});

describe('external links', () => {
  it('hands only https documentation links to the browser', () => {
    expect(isOpenableExternally('https://github.com/kslstudio/ksl-studio#readme')).toBe(true);
    expect(isOpenableExternally('https://www.electronjs.org/docs/latest/tutorial/security')).toBe(true);
    for (const u of ['http://github.com/', 'https://evil.example/', 'https://github.com.evil.example/', 'https://user:pw@github.com/', 'https://github.com:444/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'not a url']) {
      expect(isOpenableExternally(u), u).toBe(false);
    }
  });
});

describe('application menu', () => {
  const actions = { newProject: () => {}, openProject: () => {}, toggleKiosk: () => {} };
  const flat = (t: MenuItemConstructorOptions[]) => t.flatMap((m) => [m, ...((m.submenu as MenuItemConstructorOptions[]) ?? [])]);
  it('offers reload and devtools only when unpackaged, and the macOS app menu only on macOS', () => {
    const dev = flat(menuTemplate({ platform: 'linux', dev: true, kiosk: false }, actions)).map((i) => i.role ?? i.label);
    const packaged = flat(menuTemplate({ platform: 'linux', dev: false, kiosk: false }, actions)).map((i) => i.role ?? i.label);
    expect(dev).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
    expect(packaged).not.toContain('reload');
    expect(packaged).not.toContain('toggleDevTools');
    expect(packaged).not.toContain('appMenu');
    expect(flat(menuTemplate({ platform: 'darwin', dev: false, kiosk: false }, actions)).map((i) => i.role ?? i.label)).toContain('appMenu');
  });
  it('leaves the editor its keys on Linux/Windows (undo, redo, paste, zoom) and keeps the usual ones elsewhere', () => {
    const items = flat(menuTemplate({ platform: 'linux', dev: false, kiosk: false }, actions));
    const byRole = (r: string) => items.find((i) => i.role === r)!;
    for (const r of ['undo', 'redo', 'paste', 'zoomIn', 'zoomOut', 'resetZoom']) expect(byRole(r).registerAccelerator, r).toBe(false);
    for (const r of ['copy', 'cut', 'selectAll', 'togglefullscreen', 'quit']) expect(byRole(r).registerAccelerator, r).toBeUndefined();
    expect(items.find((i) => i.label === 'New Project…')!.accelerator).toBe('CmdOrCtrl+N');
    expect(items.find((i) => i.label === 'Open Project…')!.accelerator).toBe('CmdOrCtrl+O');
    const kiosk = items.find((i) => i.label === 'Kiosk Mode')!;
    expect(kiosk).toMatchObject({ type: 'checkbox', checked: false, accelerator: KIOSK_ACCELERATOR });
    const mac = flat(menuTemplate({ platform: 'darwin', dev: false, kiosk: true }, actions));
    expect(mac.find((i) => i.role === 'undo')!.registerAccelerator).toBe(true);
    expect(mac.find((i) => i.label === 'Kiosk Mode')!.checked).toBe(true);
  });
});
