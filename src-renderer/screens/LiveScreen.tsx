/**
 * Live screen: the webcam interpreter. Camera and model pickers, detection settings (threshold, NMS
 * IoU, max boxes), the video with boxes, fps and latency readouts, the interpreter's parameters and
 * its sentence strip, optional Korean speech, and the way into the full-screen kiosk.
 */
import type { LiveModelInfo } from '../../src-shared/api-live';
import { CAMERA_RETRY_MS, fitNote, type CameraStatus } from '../live/camera';
import { kioskHash, LIVE_UI_DEFAULTS } from '../live/live-settings';
import { useLiveSession, type LiveSession } from '../live/use-live-session';

export function LiveScreen() {
  const s = useLiveSession({ persist: true, autoModel: false });
  const { settings, setSettings, stats } = s;
  const openKiosk = () => {
    // full screen needs the click's user gesture; the kiosk view itself needs no menus
    void document.documentElement.requestFullscreen?.().catch(() => undefined);
    location.hash = kioskHash(settings, location.hash, { back: true });
  };
  return (
    <div
      className="live"
      data-testid="live"
      data-sent={stats.sent}
      data-answered={stats.answered}
      data-in-flight={stats.inFlight}
      data-max-in-flight={stats.maxInFlight}
      data-dropped={stats.dropped}
      data-prefetched={stats.prefetched}
      data-region-frames={stats.regionFrames}
      data-incomplete={stats.incomplete}
      data-round-trip-p50={stats.roundTripP50.toFixed(1)}
      data-round-trip-p95={stats.roundTripP95.toFixed(1)}
      data-grab-ms={stats.grabMs.toFixed(2)}
      data-grab-method={stats.grabMethod}
      data-service-ms={stats.service ? stats.service.totalMs.toFixed(1) : ''}
      data-model-ms={stats.service ? stats.service.inferenceMs.toFixed(1) : ''}
    >
      <section className="panel">
        <div className="row wrap live-pickers">
          <label>
            Camera{' '}
            <select aria-label="camera" value={settings.cameraId ?? ''} onChange={(e) => setSettings({ cameraId: e.target.value || null })}>
              <option value="">default camera</option>
              {s.cameras.map((c, i) => (
                <option key={c.deviceId || i} value={c.deviceId}>
                  {c.label || `camera ${i + 1}`}
                </option>
              ))}
            </select>
          </label>
          <label>
            Model{' '}
            <select aria-label="model" value={settings.modelId ?? ''} onChange={(e) => setSettings({ modelId: e.target.value || null })}>
              <option value="">— choose a model —</option>
              {(s.models ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                  {m.metrics?.AP50 !== undefined ? ` — test AP50 ${m.metrics.AP50.toFixed(2)}` : ''}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={s.reloadModels}>
            Refresh
          </button>
          <span className="grow" />
          <button type="button" className="primary" onClick={openKiosk} disabled={!settings.modelId}>
            Kiosk mode
          </button>
        </div>
        {s.modelsError && <p className="error" role="alert">Models: {s.modelsError}</p>}
        {s.models && s.models.length === 0 && <p className="muted">No models yet: train one on the Train screen, or put an ONNX file with its label_map.pbtxt under the project's models/ folder.</p>}
        <ModelSummary session={s} />
      </section>

      <div className="live-main">
        <section className="panel live-stage-panel">
          <div className="live-stage" style={s.cameraStatus.state === 'live' ? { aspectRatio: `${s.cameraStatus.width} / ${s.cameraStatus.height}` } : undefined}>
            <video ref={s.videoRef} className="live-video" muted playsInline data-testid="live-video" />
            <canvas ref={s.overlayRef} className="live-overlay" data-testid="live-overlay" aria-label="detections" />
            <CameraBadge status={s.cameraStatus} />
          </div>
          <p className="live-readout" data-testid="live-readout">
            <span title="answered frames per second">{stats.fps.toFixed(1)} fps</span>
            <span title="grab + send + service + answer (a frame grabbed ahead does not count its wait): last, median of 30, 95th percentile of 300">
              round trip {stats.roundTripMs.toFixed(0)} ms (p50 {stats.roundTripP50.toFixed(0)}, p95 {stats.roundTripP95.toFixed(0)})
            </span>
            <span title="the inference service's own timing">
              service {stats.service ? `${stats.service.totalMs.toFixed(0)} ms (pre ${stats.service.preprocessMs.toFixed(0)}, model ${stats.service.inferenceMs.toFixed(0)}, NMS ${stats.service.nmsMs.toFixed(1)}${stats.service.cropMs !== undefined ? `, close-ups ${stats.service.cropMs.toFixed(0)}` : ''}${stats.service.tracked ? ', hands followed without the detector' : ''})` : '—'}
            </span>
            <span title={`camera frame → ${stats.grabMethod === 'video-frame-i420' ? "the camera's I420 planes (WebCodecs VideoFrame.copyTo; RGB in the service)" : `RGB bytes (${stats.grabMethod === 'video-frame' ? 'WebCodecs VideoFrame.copyTo' : 'canvas drawImage + getImageData'})`}, sent raw`}>grab {stats.grabMs.toFixed(1)} ms</span>
            <span>{stats.width ? `${stats.width}×${stats.height}` : ''}</span>
            <span title="camera frames skipped while a frame was being detected (never queued)">dropped {stats.dropped}</span>
            {stats.sent > 0 && (
              <span title="frames sent as only the part around the followed hands (the service names it in each answer), not the whole picture">
                hands only {Math.round((100 * stats.regionFrames) / stats.sent)}%
              </span>
            )}
          </p>
          {s.cameraStatus.state === 'live' && s.model.state === 'ready' && fitNote(s.cameraStatus, s.model.info) && (
            <p className="muted small" data-testid="live-fit">
              {fitNote(s.cameraStatus, s.model.info)}
            </p>
          )}
          {s.detectError && (
            <p className="error" role="alert">
              Detection: {s.detectError}
            </p>
          )}
        </section>

        <section className="panel live-side">
          <h3>Detection</h3>
          <Slider label="Score threshold" value={settings.threshold} min={0.05} max={0.99} step={0.01} onChange={(v) => setSettings({ threshold: v })} />
          <Slider label="NMS IoU" value={settings.iou} min={0.1} max={1} step={0.05} onChange={(v) => setSettings({ iou: v })} />
          <label className="live-field">
            Max boxes <input aria-label="max boxes" type="number" min={1} max={100} value={settings.maxDetections} onChange={(e) => Number(e.target.value) >= 1 && setSettings({ maxDetections: Math.min(100, Math.round(Number(e.target.value))) })} />
          </label>
          <h3>Interpreter</h3>
          <p className="muted small">
            A word is said when it leads (top score) in at least k of the last n frames; it is not said again while it keeps leading. Defaults: {LIVE_UI_DEFAULTS.k} of {LIVE_UI_DEFAULTS.n} (for 15–30 fps; lower both on a slow machine), idle reset {LIVE_UI_DEFAULTS.idleSeconds} s.
          </p>
          <div className="row wrap">
            <label className="live-field">
              k <input aria-label="k frames" type="number" min={1} max={settings.n} value={settings.k} onChange={(e) => {
                const k = Math.round(Number(e.target.value));
                if (k >= 1 && k <= settings.n) setSettings({ k });
              }} />
            </label>
            <label className="live-field">
              of n <input aria-label="n frames" type="number" min={1} max={120} value={settings.n} onChange={(e) => {
                const n = Math.round(Number(e.target.value));
                if (n >= 1 && n <= 120) setSettings({ n, k: Math.min(settings.k, n) });
              }} />
            </label>
            <label className="live-field">
              idle reset <input aria-label="idle seconds" type="number" min={0} max={3600} value={settings.idleSeconds} onChange={(e) => Number(e.target.value) >= 0 && setSettings({ idleSeconds: Number(e.target.value) })} /> s
            </label>
          </div>
          <button
            type="button"
            className="small-button"
            onClick={() => setSettings({ threshold: LIVE_UI_DEFAULTS.threshold, iou: LIVE_UI_DEFAULTS.iou, maxDetections: LIVE_UI_DEFAULTS.maxDetections, k: LIVE_UI_DEFAULTS.k, n: LIVE_UI_DEFAULTS.n, idleSeconds: LIVE_UI_DEFAULTS.idleSeconds })}
          >
            Reset to defaults
          </button>
          <h3>Speech</h3>
          <label className="row">
            <input type="checkbox" aria-label="speak said words" checked={settings.speech} disabled={s.voice.state !== 'ok'} onChange={(e) => setSettings({ speech: e.target.checked })} />
            Speak said words
          </label>
          <p className={s.voice.state === 'none' ? 'warn small' : 'muted small'} data-testid="voice-status">
            {s.voice.state === 'checking' && 'Looking for a Korean voice…'}
            {s.voice.state === 'none' && `Speech unavailable: ${s.voice.reason}.`}
            {s.voice.state === 'ok' && `Voice: ${s.voice.voice.name} (${s.voice.voice.lang})`}
          </p>
        </section>
      </div>

      <section className="panel">
        <div className="row">
          <h3 className="grow">Sentence</h3>
          <span className="muted" data-testid="live-current" lang="ko">
            {s.view.current ? `now: ${s.view.current.label} ${Math.round(s.view.current.score * 100)}%` : 'now: —'}
          </span>
          <button type="button" onClick={s.clear}>
            Clear
          </button>
        </div>
        <p className="sentence-strip" data-testid="sentence" lang="ko" aria-live="polite">
          {s.view.sentence.length === 0 && <span className="muted">Said words appear here.</span>}
          {s.view.sentence.map((w, i) => (
            <span key={`${w.t}-${i}`} className={`said-word ${i === s.view.sentence.length - 1 && s.view.held === w.word ? 'held' : ''}`} title={`${Math.round(w.score * 100)}%`}>
              {w.word}
            </span>
          ))}
        </p>
      </section>
    </div>
  );
}

function ModelSummary({ session: s }: { session: LiveSession }) {
  const m = s.model;
  if (m.state === 'none') return <p className="muted" data-testid="model-state">No model loaded.</p>;
  if (m.state === 'loading')
    return (
      <p className="muted" data-testid="model-state" role="status">
        Loading {m.id}… (a run is exported to ONNX on its first load)
      </p>
    );
  if (m.state === 'failed')
    return (
      <p className="error" data-testid="model-state" role="alert">
        Could not load {m.id}: {m.message}
      </p>
    );
  const info: LiveModelInfo = m.info;
  return (
    <div className="model-summary" data-testid="model-state" data-ready="true">
      <span>
        <strong>{info.name}</strong> ({info.format === 'tf2onnx' ? 'TF OD API via tf2onnx' : 'KSL Studio export'})
      </span>
      {info.input && (
        <span className="muted">
          input {info.input.width}×{info.input.height} {info.input.dtype} {info.input.layout}, {info.input.scaling}
        </span>
      )}
      {info.metrics && (info.metrics.AP50 !== undefined || info.metrics.AP !== undefined) && (
        <span className="muted">
          test AP50 {info.metrics.AP50?.toFixed(3) ?? '—'} · AP {info.metrics.AP?.toFixed(3) ?? '—'}
        </span>
      )}
      <span className="model-classes" lang="ko">
        {(info.classes ?? []).map((c) => (
          <span key={c.id} className="chip">
            {c.name}
          </span>
        ))}
      </span>
    </div>
  );
}

function Slider({ label, value, min, max, step, onChange }: { label: string; value: number; min: number; max: number; step: number; onChange: (v: number) => void }) {
  return (
    <label className="live-slider">
      <span>
        {label} <output>{value.toFixed(2)}</output>
      </span>
      <input type="range" aria-label={label} min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} />
    </label>
  );
}

export function CameraBadge({ status }: { status: CameraStatus }) {
  const text = cameraText(status);
  return (
    <span className={`camera-badge camera-${status.state}`} data-testid="camera-status" data-state={status.state} role="status">
      {text}
    </span>
  );
}

export function cameraText(status: CameraStatus): string {
  switch (status.state) {
    case 'idle':
      return 'camera off';
    case 'opening':
      return status.attempt > 1 ? `reconnecting to the camera (attempt ${status.attempt})…` : 'opening the camera…';
    case 'live':
      return `${status.label} · ${status.width}×${status.height}`;
    case 'retrying':
      return `camera lost: ${status.reason} — retrying every ${CAMERA_RETRY_MS / 1000} s`;
    case 'unsupported':
      return status.reason;
  }
}
