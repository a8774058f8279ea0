/**
 * The Live screen's settings (model, camera, detection and interpreter parameters, speech), kept in
 * localStorage so the kiosk starts with what was chosen on the Live screen; and the kiosk's URL hash,
 * which can override any of them:
 *
 *   #kiosk?model=run:20261125-221500-level1&camera=<deviceId>&threshold=0.6&iou=0.6&max=5&k=4&n=6&idle=10&speech=1&back=1
 *
 * Every parameter is optional. The page offers no way out of the kiosk unless `back=1` (which the Live
 * screen's Kiosk button adds): then Esc returns to the Live screen. A public counter opens plain
 * `#kiosk` (Electron: `npm start -- --kiosk`, leaving with the menu's Kiosk Mode accelerator).
 * On a server bound beyond loopback, append `&token=…` (the browser door's access token).
 */
import { LIVE_DEFAULTS } from '../../src-shared/api-live';
import { checkInterpreterSettings, INTERPRETER_DEFAULTS } from '../../src-shared/interpreter';

export interface LiveUiSettings {
  modelId: string | null;
  cameraId: string | null;
  threshold: number;
  iou: number;
  maxDetections: number;
  k: number;
  n: number;
  idleSeconds: number;
  speech: boolean;
}

export const LIVE_UI_DEFAULTS: LiveUiSettings = {
  modelId: null,
  cameraId: null,
  threshold: LIVE_DEFAULTS.threshold,
  iou: LIVE_DEFAULTS.iou,
  maxDetections: LIVE_DEFAULTS.maxDetections,
  k: INTERPRETER_DEFAULTS.k,
  n: INTERPRETER_DEFAULTS.n,
  idleSeconds: INTERPRETER_DEFAULTS.idleSeconds,
  speech: false,
};

const KEY = 'ksl.live.settings';

/** Checks every value; a wrong one is reported with its name and falls back to the default. */
export function sanitizeSettings(raw: Partial<Record<keyof LiveUiSettings, unknown>>, problems: string[] = []): LiveUiSettings {
  const s: LiveUiSettings = { ...LIVE_UI_DEFAULTS };
  const num = (key: 'threshold' | 'iou' | 'maxDetections' | 'k' | 'n' | 'idleSeconds', ok: (v: number) => boolean, what: string) => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return;
    const n = typeof v === 'number' ? v : Number(v);
    if (Number.isFinite(n) && ok(n)) s[key] = n;
    else problems.push(`${key} must be ${what} (got ${String(v)}); using ${s[key]}`);
  };
  num('threshold', (v) => v >= 0 && v <= 1, 'within 0–1');
  num('iou', (v) => v > 0 && v <= 1, 'within 0–1 and above 0');
  num('maxDetections', (v) => Number.isInteger(v) && v >= 1 && v <= 100, 'a whole number from 1 to 100');
  num('n', (v) => Number.isInteger(v) && v >= 1 && v <= 120, 'a whole number from 1 to 120');
  num('k', (v) => Number.isInteger(v) && v >= 1, 'a whole number ≥ 1');
  num('idleSeconds', (v) => v >= 0 && v <= 3600, 'within 0–3600 seconds');
  if (s.k > s.n) {
    problems.push(`k (${s.k}) cannot exceed n (${s.n}); using k = ${Math.min(LIVE_UI_DEFAULTS.k, s.n)}`);
    s.k = Math.min(LIVE_UI_DEFAULTS.k, s.n);
  }
  if (typeof raw.modelId === 'string' && /^(run|file):/.test(raw.modelId)) s.modelId = raw.modelId;
  else if (raw.modelId !== undefined && raw.modelId !== null) problems.push(`model must look like run:ID or file:models/NAME.onnx (got ${String(raw.modelId)})`);
  if (typeof raw.cameraId === 'string' && raw.cameraId) s.cameraId = raw.cameraId;
  if (raw.speech !== undefined) s.speech = raw.speech === true || raw.speech === '1' || raw.speech === 'true';
  const check = checkInterpreterSettings({ k: s.k, n: s.n, idleSeconds: s.idleSeconds, threshold: 0, maxWords: 40 });
  if (check) problems.push(check);
  return s;
}

export function loadLiveSettings(): LiveUiSettings {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? sanitizeSettings(JSON.parse(raw) as Partial<LiveUiSettings>) : { ...LIVE_UI_DEFAULTS };
  } catch {
    return { ...LIVE_UI_DEFAULTS };
  }
}

export function saveLiveSettings(s: LiveUiSettings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // storage unavailable (private window, custom scheme without storage): settings last this session
  }
}

export interface KioskRoute {
  /** Only the parameters present in the hash. */
  overrides: Partial<LiveUiSettings>;
  /** Esc returns to the Live screen (opened from there). */
  back: boolean;
  problems: string[];
}

/** `#kiosk` or `#kiosk?…` → the kiosk's parameters; anything else → null (not the kiosk). */
export function parseKioskHash(hash: string): KioskRoute | null {
  const m = /^#kiosk(?:[?&](.*))?$/.exec(hash);
  if (!m) return null;
  const q = new URLSearchParams(m[1] ?? '');
  const raw: Partial<Record<keyof LiveUiSettings, unknown>> = {};
  const map: [string, keyof LiveUiSettings][] = [
    ['model', 'modelId'],
    ['camera', 'cameraId'],
    ['threshold', 'threshold'],
    ['iou', 'iou'],
    ['max', 'maxDetections'],
    ['k', 'k'],
    ['n', 'n'],
    ['idle', 'idleSeconds'],
    ['speech', 'speech'],
  ];
  for (const [param, key] of map) if (q.has(param)) raw[key] = q.get(param);
  const problems: string[] = [];
  const full = sanitizeSettings(raw, problems);
  const overrides: Partial<LiveUiSettings> = {};
  for (const [, key] of map) if (raw[key] !== undefined) (overrides as Record<string, unknown>)[key] = full[key];
  // an invalid model id is dropped, not turned into null: the saved or newest model is used instead
  if (overrides.modelId === null) delete overrides.modelId;
  return { overrides, back: q.get('back') === '1', problems };
}

/** The hash that opens the kiosk with these settings (a token in the current hash is carried along). */
export function kioskHash(s: Pick<LiveUiSettings, 'modelId' | 'cameraId'>, currentHash = '', opts: { back?: boolean } = {}): string {
  const q = new URLSearchParams();
  if (s.modelId) q.set('model', s.modelId);
  if (s.cameraId) q.set('camera', s.cameraId);
  if (opts.back) q.set('back', '1');
  const token = /(?:^#|[&?])token=([A-Za-z0-9_-]+)/.exec(currentHash)?.[1];
  const query = q.toString() + (token ? `${q.toString() ? '&' : ''}token=${token}` : '');
  // '&' before token even when it is the only parameter: the WebSocket client reads `^#token=` or `&token=`
  return `#kiosk${query ? `?${query.startsWith('token=') ? `&${query}` : query}` : ''}`;
}
