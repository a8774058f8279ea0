/**
 * Which permissions the app's pages get: the camera (video only, for the live interpreter) and
 * full screen (the kiosk route), and only for the app's own origin. Everything else — microphone,
 * geolocation, notifications, HID/serial/USB devices, any other origin or frame — is refused.
 * Pure decisions, wired to the session in main.ts (Electron's security checklist, item "Handle
 * session permission requests from remote content").
 */
import { APP_ORIGIN } from './window-options';

const originOf = (url: string | undefined): string => {
  if (!url) return '';
  try {
    const u = new URL(url);
    // Custom standard schemes have an opaque `origin` ('null') in Node's URL; build it the way Chromium does.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return '';
  }
};

export const isAppOrigin = (urlOrOrigin: string | undefined): boolean => originOf(urlOrOrigin) === APP_ORIGIN;

/** `session.setPermissionRequestHandler`: a page asks (getUserMedia, requestFullscreen…). */
export function allowPermissionRequest(permission: string, details: { requestingUrl?: string; mediaTypes?: string[] }): boolean {
  if (!isAppOrigin(details.requestingUrl)) return false;
  if (permission === 'media') {
    const types = details.mediaTypes ?? [];
    return types.length > 0 && types.every((t) => t === 'video');
  }
  return permission === 'fullscreen';
}

/** `session.setPermissionCheckHandler`: a page checks silently (enumerateDevices, permissions.query). */
export function allowPermissionCheck(permission: string, requestingOrigin: string, details: { mediaType?: string } = {}): boolean {
  if (!isAppOrigin(requestingOrigin)) return false;
  if (permission === 'media') return details.mediaType !== 'audio';
  return permission === 'fullscreen';
}

/**
 * Links the app may hand to the user's browser (shell.openExternal, checklist item "Do not use
 * openExternal with untrusted content"): https only, no credentials, and only documentation hosts.
 */
const EXTERNAL_HOSTS = new Set(['github.com', 'www.electronjs.org', 'onnxruntime.ai', 'www.tensorflow.org', 'www.sqlite.org']);

export function isOpenableExternally(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && !u.port && EXTERNAL_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}
