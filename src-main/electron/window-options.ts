/** The hardened options of every KSL Studio window (checked by the smoke test). */
import type { BrowserWindowConstructorOptions } from 'electron';

export function hardenedWebPreferences(preload: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
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
  };
}

/** The app's own origin: the UI is served from ksl://app/, frames from ksl://project/. */
export const APP_ORIGIN = 'ksl://app';
export const UI_URL = `${APP_ORIGIN}/index.html`;
/** The kiosk route of the same UI (full screen, live interpreter only). */
export const KIOSK_URL = `${APP_ORIGIN}/#kiosk`;

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' ksl: data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
