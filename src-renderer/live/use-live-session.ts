/**
 * One live session for a screen: camera → frame → live.detect (one in flight) → boxes on the overlay
 * → interpreter → sentence (and speech). The Live screen and the kiosk both host it; neither holds
 * any of this logic itself.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LiveModelInfo } from '../../src-shared/api-live';
import { Interpreter, type SaidWord } from '../../src-shared/interpreter';
import { useApi } from '../api/api-context';
import { CameraConnection, cameraConstraints, listCameras, type CameraStatus } from './camera';
import { DetectLoop, emptyStats, type LoopStats } from './detect-loop';
import { drawDetections } from './draw-detections';
import { FrameGrabber, type FrameEncoding } from './frame-grab';
import { loadLiveSettings, saveLiveSettings, type LiveUiSettings } from './live-settings';
import { speak, useKoreanVoice } from './speech';

export type ModelState =
  | { state: 'none' }
  | { state: 'loading'; id: string }
  | { state: 'ready'; info: LiveModelInfo }
  | { state: 'failed'; id: string; message: string };

export interface LiveView {
  sentence: SaidWord[];
  /** Leader of the latest answered frame. */
  current: { label: string; score: number } | null;
  /** The said word still leading. */
  held: string | null;
}

const pct = (score: number | undefined) => (score === undefined ? -1 : Math.round(score * 100));

export interface LiveSessionOptions {
  /** Values that override the saved settings (the kiosk's URL hash). */
  overrides?: Partial<LiveUiSettings>;
  /** Save changes for next time (the Live screen does; the kiosk does not). */
  persist: boolean;
  /** Without a chosen model, load the newest trained run (the kiosk). */
  autoModel: boolean;
  /** Font size of the box tags, px (default: from the video's height). */
  boxFontPx?: number;
}

/**
 * How frames go to the service. Binary unless `localStorage['ksl.live.frameEncoding']` is 'base64': the
 * old JSON form, kept so that `npm run bench:live` can measure both on the same page.
 */
export function frameEncoding(): FrameEncoding {
  return stored('ksl.live.frameEncoding') === 'base64' ? 'base64' : 'binary';
}

/**
 * Whether frames whose hands the service follows go as only the part it names (the default), or whole
 * (`localStorage['ksl.live.regions']` is 'off': kept so that `npm run bench:live` can measure both).
 */
export function sendRegions(): boolean {
  return stored('ksl.live.regions') !== 'off';
}

/** A localStorage value, or null where storage is unavailable (a sandboxed or private page). */
function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** The newest trained run, else the first model; null when there is none. */
export function newestModel(models: readonly LiveModelInfo[]): LiveModelInfo | null {
  const runs = models.filter((m) => m.source === 'run').sort((a, b) => (b.createdAt ?? b.id).localeCompare(a.createdAt ?? a.id));
  return runs[0] ?? models[0] ?? null;
}

export function useLiveSession(opts: LiveSessionOptions) {
  const api = useApi();
  const [settings, setSettingsState] = useState<LiveUiSettings>(() => ({ ...loadLiveSettings(), ...opts.overrides }));
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const videoRef = useRef<HTMLVideoElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const [cameraStatus, setCameraStatus] = useState<CameraStatus>({ state: 'idle' });
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [models, setModels] = useState<LiveModelInfo[] | null>(null);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [model, setModel] = useState<ModelState>({ state: 'none' });
  const modelRef = useRef(model);
  modelRef.current = model;
  const [stats, setStats] = useState<LoopStats>(emptyStats());
  const [detectError, setDetectError] = useState<string | null>(null);
  const interpreter = useRef(new Interpreter());
  const [view, setView] = useState<LiveView>({ sentence: [], current: null, held: null });
  const voice = useKoreanVoice();
  const voiceRef = useRef(voice);
  voiceRef.current = voice;
  const loopRef = useRef<DetectLoop | null>(null);

  const setSettings = useCallback(
    (patch: Partial<LiveUiSettings>) => {
      setSettingsState((s) => {
        const next = { ...s, ...patch };
        if (opts.persist) saveLiveSettings(next);
        return next;
      });
    },
    [opts.persist],
  );

  // interpreter parameters follow the settings (threshold is applied by the service)
  useEffect(() => {
    interpreter.current.settings = { ...interpreter.current.settings, k: settings.k, n: settings.n, idleSeconds: settings.idleSeconds, threshold: 0 };
  }, [settings.k, settings.n, settings.idleSeconds]);

  // models
  const reloadModels = useCallback(() => {
    void api.invoke('live.models', {}).then((r) => {
      if (r.ok) {
        setModels(r.value);
        setModelsError(null);
      } else setModelsError(r.error.message);
    });
  }, [api]);
  useEffect(reloadModels, [reloadModels]);

  // the kiosk picks the newest run when nothing was chosen (or the chosen one is gone)
  useEffect(() => {
    if (!opts.autoModel || !models) return;
    const chosen = settings.modelId && models.some((m) => m.id === settings.modelId);
    if (!chosen) {
      const n = newestModel(models);
      if (n) setSettingsState((s) => ({ ...s, modelId: n.id }));
    }
  }, [opts.autoModel, models, settings.modelId]);

  useEffect(() => {
    const id = settings.modelId;
    if (!id) {
      setModel({ state: 'none' });
      return;
    }
    let cancelled = false;
    setModel({ state: 'loading', id });
    void api.invoke('live.load', { modelId: id }).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        setModel({ state: 'ready', info: r.value });
        setModels((ms) => ms?.map((m) => (m.id === r.value.id ? r.value : m)) ?? ms);
      } else setModel({ state: 'failed', id, message: r.error.message });
    });
    return () => {
      cancelled = true;
    };
  }, [api, settings.modelId]);

  // camera: asked for frames of the model's shape when the model keeps an aspect ratio (camera.ts)
  const modelInput = model.state === 'ready' ? model.info.input : undefined;
  const inputW = modelInput?.width || 0;
  const inputH = modelInput?.height || 0;
  const constraintsRef = useRef(cameraConstraints());
  const cameraRef = useRef<CameraConnection | null>(null);
  useEffect(() => {
    const next = cameraConstraints(inputW && inputH ? { width: inputW, height: inputH } : undefined);
    // the same shape as before (e.g. another square model): leave the camera alone
    if (JSON.stringify(next) === JSON.stringify(constraintsRef.current)) return;
    constraintsRef.current = next;
    cameraRef.current?.setConstraints(next);
  }, [inputW, inputH]);
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const cam = new CameraConnection(
      video,
      settings.cameraId ?? undefined,
      (s) => {
        setCameraStatus(s);
        if (s.state === 'live') void listCameras().then(setCameras);
      },
      constraintsRef.current,
    );
    cameraRef.current = cam;
    cam.start();
    void listCameras().then(setCameras);
    const onChange = () => void listCameras().then(setCameras);
    navigator.mediaDevices?.addEventListener('devicechange', onChange);
    return () => {
      navigator.mediaDevices?.removeEventListener('devicechange', onChange);
      cam.stop();
      if (cameraRef.current === cam) cameraRef.current = null;
    };
  }, [settings.cameraId]);

  // the detect loop runs while the camera is live; it reads the model and settings at each send
  const live = cameraStatus.state === 'live';
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !live) return;
    const grabber = new FrameGrabber(frameEncoding());
    const loop = new DetectLoop({
      api,
      video,
      grab: (v, keep, region) => grabber.grab(v, keep, region),
      regions: sendRegions(),
      target: () => {
        const m = modelRef.current;
        if (m.state !== 'ready') return null;
        const s = settingsRef.current;
        return { modelId: m.info.id, settings: { threshold: s.threshold, iou: s.iou, maxDetections: s.maxDetections } };
      },
      onResult: (r, at) => {
        setDetectError(null);
        const step = interpreter.current.push(
          r.detections.map((d) => ({ label: d.label, score: d.score })),
          at,
        );
        if (overlayRef.current) drawDetections(overlayRef.current, video, r.detections, { fontPx: opts.boxFontPx });
        if (step.said && settingsRef.current.speech && voiceRef.current.state === 'ok') speak(step.said.word, voiceRef.current.voice);
        const st = step.state;
        // React renders only when what the screen shows changes (the words, the leader, its score in
        // whole percent), not once per answered frame: the boxes are drawn on the canvas above.
        setView((v) =>
          v.sentence === st.sentence && v.held === st.held && v.current?.label === st.current?.label && pct(v.current?.score) === pct(st.current?.score)
            ? v
            : { sentence: st.sentence, current: st.current, held: st.held },
        );
      },
      onError: (message) => setDetectError(message),
    });
    loopRef.current = loop;
    loop.start();
    const t = setInterval(() => setStats({ ...loop.stats, grabMethod: grabber.method }), 250);
    return () => {
      clearInterval(t);
      loop.stop();
      loopRef.current = null;
      if (overlayRef.current) overlayRef.current.getContext('2d')?.clearRect(0, 0, overlayRef.current.width, overlayRef.current.height);
    };
  }, [api, live, opts.boxFontPx]);

  // idle reset also when no frames come at all (camera lost, model loading)
  useEffect(() => {
    const t = setInterval(() => {
      const r = interpreter.current.tick(performance.now());
      if (r.idleReset) setView({ sentence: [], current: null, held: null });
    }, 500);
    return () => clearInterval(t);
  }, []);

  const clear = useCallback(() => {
    interpreter.current.clear(performance.now());
    setView({ sentence: [], current: null, held: null });
  }, []);

  return { settings, setSettings, videoRef, overlayRef, cameraStatus, cameras, models, modelsError, reloadModels, model, stats, detectError, view, clear, voice };
}

export type LiveSession = ReturnType<typeof useLiveSession>;
