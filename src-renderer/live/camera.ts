/**
 * The camera: pick a device, open it into a <video>, and keep it open. A track that ends (cable
 * pulled, device lost, another app took it) or a failed open is retried every few seconds with a
 * visible status — a kiosk must come back on its own.
 */
import { frameFit } from '../../src-shared/frame-fit';

export type CameraStatus =
  | { state: 'idle' }
  | { state: 'opening'; attempt: number }
  | { state: 'live'; label: string; width: number; height: number }
  | { state: 'retrying'; reason: string; attempt: number; retryAt: number }
  | { state: 'unsupported'; reason: string };

export const CAMERA_RETRY_MS = 3000;

/**
 * What to ask the camera for. A model trained at its frames' aspect ratio (a non-square input such as
 * 512×288) should get frames of that shape: a 4:3 frame stretched to 16:9 widens every hand by a third.
 * Square models (320×320, trained on stretched frames) keep the usual 640×480.
 */
export function cameraConstraints(modelInput?: { width: number; height: number }): MediaTrackConstraints {
  if (!modelInput || modelInput.width === modelInput.height || !(modelInput.width > 0 && modelInput.height > 0)) {
    return { width: { ideal: 640 }, height: { ideal: 480 } };
  }
  // The nearest common camera shape: an input of 640×352 (sides are multiples of 32) is 16:9 footage.
  const wanted = modelInput.width / modelInput.height;
  const aspect = [16 / 9, 4 / 3, 9 / 16, 3 / 4].reduce((best, r) => (Math.abs(Math.log(r / wanted)) < Math.abs(Math.log(best / wanted)) ? r : best));
  const width = aspect >= 1 ? 640 : Math.round(480 * aspect);
  const height = aspect >= 1 ? Math.round(640 / aspect) : 480;
  return { width: { ideal: width }, height: { ideal: height }, aspectRatio: { ideal: aspect } };
}

/**
 * What to tell the user when the camera's frames are not the model's shape (the service pads them,
 * src-shared/frame-fit.ts), else null: they are still read, but a hand covers fewer of the model's pixels
 * than in a camera mode of the model's own shape.
 */
export function fitNote(camera: { width: number; height: number }, model: { format?: string; input?: { width: number; height: number } }): string | null {
  if (model.format !== 'ksl' || !model.input || !camera.width || !camera.height) return null;
  const fit = frameFit(camera.width, camera.height, model.input.width, model.input.height);
  if (fit.mode !== 'pad') return null;
  const shape = (w: number, h: number) => {
    const named = [[16, 9], [4, 3], [9, 16], [3, 4], [1, 1]].find(([a, b]) => Math.abs(w / h / (a! / b!) - 1) < 0.05);
    return named ? `${named[0]}:${named[1]}` : `${w}×${h}`;
  };
  const modelShape = shape(model.input.width, model.input.height);
  return `The camera gives ${camera.width}×${camera.height} (${shape(camera.width, camera.height)}) and the model was trained on ${modelShape} frames: each frame is fitted in with black bars, not stretched (which would misshape the hands). A ${modelShape} camera mode gives the hands more of the model's pixels.`;
}

/** Cameras the browser knows; labels are empty until camera permission has been given once. */
export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const all = await navigator.mediaDevices.enumerateDevices();
  return all.filter((d) => d.kind === 'videoinput');
}

function describeError(e: unknown): string {
  if (e instanceof DOMException) {
    if (e.name === 'NotAllowedError') return 'camera permission refused';
    if (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') return 'no such camera';
    if (e.name === 'NotReadableError') return 'the camera is busy or was unplugged';
    return `${e.name}: ${e.message}`;
  }
  return String(e);
}

export class CameraConnection {
  private stream: MediaStream | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;
  private readonly onDeviceChange = () => {
    // a camera was plugged in: retry now instead of waiting for the timer
    if (this.status.state === 'retrying') this.open();
  };
  status: CameraStatus = { state: 'idle' };

  constructor(
    private video: HTMLVideoElement,
    private deviceId: string | undefined,
    private onStatus: (s: CameraStatus) => void,
    private constraints: MediaTrackConstraints = cameraConstraints(),
  ) {}

  start(): void {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.set({ state: 'unsupported', reason: 'this browser has no camera access (navigator.mediaDevices is missing; is the page served over http://127.0.0.1 or https?)' });
      return;
    }
    navigator.mediaDevices.addEventListener('devicechange', this.onDeviceChange);
    this.open();
  }

  /**
   * New constraints (the model changed shape): applied to the open track in place — no reopen, so the
   * picture and the detect loop carry on — and used by every later (re)open. A camera that cannot
   * change keeps its mode.
   */
  setConstraints(c: MediaTrackConstraints): void {
    this.constraints = c;
    const track = this.stream?.getVideoTracks()[0];
    if (!track) return;
    void track
      .applyConstraints({ ...c, ...(this.deviceId ? { deviceId: { exact: this.deviceId } } : {}) })
      .then(() => {
        if (this.status.state !== 'live') return;
        const s = track.getSettings();
        if (s.width && s.height) this.set({ ...this.status, width: s.width, height: s.height });
      })
      .catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.release();
    this.set({ state: 'idle' });
  }

  private set(s: CameraStatus): void {
    this.status = s;
    this.onStatus(s);
  }

  private release(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  private open(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempt++;
    this.set({ state: 'opening', attempt: this.attempt });
    const video: MediaTrackConstraints = { ...this.constraints };
    if (this.deviceId) video.deviceId = { exact: this.deviceId };
    navigator.mediaDevices
      .getUserMedia({ video, audio: false })
      .then(async (stream) => {
        if (this.stopped) {
          for (const t of stream.getTracks()) t.stop();
          return;
        }
        this.release();
        this.stream = stream;
        const track = stream.getVideoTracks()[0]!;
        track.addEventListener('ended', () => this.lost('the camera stopped (unplugged or taken by another program)'));
        this.video.srcObject = stream;
        this.video.muted = true;
        this.video.playsInline = true;
        await this.video.play().catch(() => undefined);
        if (!this.video.videoWidth) await new Promise((r) => this.video.addEventListener('loadedmetadata', r, { once: true }));
        if (this.stopped || this.stream !== stream) return;
        this.attempt = 0;
        this.set({ state: 'live', label: track.label || 'camera', width: this.video.videoWidth, height: this.video.videoHeight });
      })
      .catch((e: unknown) => this.lost(describeError(e)));
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.release();
    const retryAt = Date.now() + CAMERA_RETRY_MS;
    this.set({ state: 'retrying', reason, attempt: this.attempt, retryAt });
    this.timer = setTimeout(() => this.open(), CAMERA_RETRY_MS);
  }
}
