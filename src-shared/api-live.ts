/**
 * The live interpreter's part of the API contract (models, one-frame detection, model-assisted
 * labelling): spread into `apiRequests` in api.ts. Same rules as everywhere: every request has a zod
 * schema; the main side validates before it touches a model or the disk.
 *
 * A frame is RGB bytes (3 per pixel, row-major, no padding, no alpha) at the size the camera gave,
 * capped at 1280 on the long side by the renderer: a Uint8Array — a WebSocket binary message
 * (src-shared/wire.ts), a structured clone over Electron IPC — or, for scripts that speak JSON, the same
 * bytes as a base64 string. Either way the schema checks that there are exactly width × height × 3 bytes.
 * The service does the preprocessing itself — the same stretch to the model's input and the same scaling
 * as training — so every door and the CLI see the same numbers. Exactly one frame is in flight per window:
 * the Live screen never queues camera frames, a newer one replaces the one waiting.
 */
import { z } from 'zod';
import { request } from './api-editor';
import { i420Length } from './yuv';

/** Where a model comes from: a trained run of this project, or an ONNX file under the project's models/ folder. */
export type LiveModelSource = 'run' | 'file';
/**
 * The output layout the service found in the graph:
 * - `ksl`: our export (`boxes` [1,N,4] ymin,xmin,ymax,xmax in [0,1]; `scores` [1,N,C] sigmoid; no NMS);
 * - `tf2onnx`: a TF OD API SavedModel converted with tf2onnx (`detection_boxes` [1,M,4], `detection_scores`
 *   [1,M], `detection_classes` [1,M] as label-map ids, `num_detections` [1]; NMS already applied in the graph,
 *   our threshold/NMS/max still apply on top).
 */
export type LiveModelFormat = 'ksl' | 'tf2onnx';

export interface LiveModelInfo {
  /** `run:<runId>` or `file:<path relative to the project>`. */
  id: string;
  name: string;
  source: LiveModelSource;
  /** Whether the ONNX file exists yet (a run's model.onnx is exported on first load). */
  ready: boolean;
  /** Filled once the model has been loaded (or when it is cheap to read). */
  format?: LiveModelFormat;
  input?: { width: number; height: number; dtype: 'float32' | 'uint8'; layout: 'NHWC'; scaling: string };
  classes?: { id: number; name: string }[];
  /** Test metrics of a run, when known. */
  metrics?: { AP?: number; AP50?: number };
  createdAt?: string;
}

export interface LiveDetection {
  /** Label-map id (1-based) and display name (the Korean word for runs). */
  classId: number;
  label: string;
  score: number;
  /** Normalised to the frame: [ymin, xmin, ymax, xmax] in [0,1] (TF OD API order). */
  box: [number, number, number, number];
}

export interface LiveDetectResult {
  detections: LiveDetection[];
  width: number;
  height: number;
  /** Milliseconds spent on the Node side: decode+preprocess, inference, NMS, and all of it. */
  /**
   * cropMs: the second stage (close-ups of the hands), when the model has one. tracked: the detector was
   * skipped and the last frame's hands followed by the second stage alone (KSL_LIVE_REDETECT).
   */
  timing: { preprocessMs: number; inferenceMs: number; nmsMs: number; cropMs?: number; tracked?: boolean; totalMs: number };
  /**
   * While the stream's hands are followed (the second stage alone reads them, without the detector): the
   * part of the NEXT frame the service will read — every pixel of each hand's close-up, even-aligned.
   * The client may send only that part as `region` (a hand or two instead of the whole picture). Absent
   * when the next frame needs the whole picture (the detector's turn, no hands, no second stage).
   */
  next?: LiveRegion;
  /**
   * The frame came as a `region`, but this frame needed the whole picture (the detector's turn came, or the
   * hands were not where the region was cut): nothing was detected. Send the next frame whole.
   */
  incomplete?: true;
}

/** A rectangle of the frame in whole pixels (x, y from the top left). */
export const LiveRegion = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(2), height: z.number().int().min(2) }).strict();
export type LiveRegion = z.infer<typeof LiveRegion>;

/** The notebook's settings; all adjustable. */
export const LIVE_DEFAULTS = { threshold: 0.6, iou: 0.6, maxDetections: 5 } as const;

export const LiveModelId = z
  .string()
  .max(1100)
  .regex(/^(run:[A-Za-z0-9_.-]{1,80}|file:[^\0\\]{1,1024})$/, 'a model id from live.models');

export const LiveSettings = z
  .object({
    threshold: z.number().min(0).max(1).default(LIVE_DEFAULTS.threshold),
    iou: z.number().gt(0).max(1).default(LIVE_DEFAULTS.iou),
    maxDetections: z.number().int().min(1).max(100).default(LIVE_DEFAULTS.maxDetections),
  })
  .strict();
export type LiveSettings = z.infer<typeof LiveSettings>;

/** The largest frame: 1280×1280 RGB. */
export const MAX_RGB_BYTES = 1280 * 1280 * 3;
/** …as base64 (6.6 MB); anything longer is refused before decoding. */
const MAX_RGB_BASE64 = Math.ceil(MAX_RGB_BYTES / 3) * 4;

/** How many bytes a base64 string decodes to (padding and length only; a bad character makes the count wrong). */
export function base64ByteLength(b64: string): number {
  let pad = 0;
  if (b64.endsWith('==')) pad = 2;
  else if (b64.endsWith('=')) pad = 1;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** The frame's RGB bytes: raw (binary transports) or base64 (JSON). */
const RgbBytes = z.union(
  [
    z.custom<Uint8Array>((v) => v instanceof Uint8Array).refine((b) => b.byteLength <= MAX_RGB_BYTES, `at most ${MAX_RGB_BYTES} bytes (1280×1280 RGB)`),
    z.string().max(MAX_RGB_BASE64, `at most ${MAX_RGB_BASE64} base64 characters (1280×1280 RGB)`),
  ],
  { error: 'RGB bytes: a Uint8Array (binary message, IPC) or a base64 string (JSON), at most 1280×1280×3 bytes' },
);

/** The frame's I420 bytes as a camera gives them (src-shared/yuv.ts): raw only (binary transports). */
const I420Bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'I420 bytes: a Uint8Array (binary message, IPC)' })
  .refine((b) => b.byteLength <= MAX_RGB_BYTES / 2, `at most ${MAX_RGB_BYTES / 2} bytes (1280×1280 I420)`);

export const LiveDetectArgs = z
  .object({
    modelId: LiveModelId,
    width: z.number().int().min(8).max(1280),
    height: z.number().int().min(8).max(1280),
    /** The frame as RGB (3 bytes per pixel) — or, instead, `i420`. */
    rgb: RgbBytes.optional(),
    /** The frame as I420 planes (half the bytes), converted in the service with `colour` (default BT.601, limited range). */
    i420: I420Bytes.optional(),
    colour: z.object({ matrix: z.enum(['bt601', 'bt709']), fullRange: z.boolean() }).strict().optional(),
    settings: LiveSettings.optional(),
    /**
     * Which camera stream the frame belongs to (one per Live screen or kiosk): hands are followed from
     * frame to frame within a stream only. Absent: one shared stream.
     */
    stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64').optional(),
    /**
     * `rgb` / `i420` hold only this part of the width × height frame: the `next` region of the stream's
     * previous answer. Even x, y, width and height (I420's chroma is shared by 2×2 pixels).
     */
    region: LiveRegion.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.rgb === undefined) === (a.i420 === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['rgb'], message: 'Send the frame once: as `rgb` (RGB bytes) or as `i420` (I420 planes), not both and not neither.' });
      return;
    }
    const r = a.region;
    if (r !== undefined) {
      if (r.x + r.width > a.width || r.y + r.height > a.height) {
        ctx.addIssue({ code: 'custom', path: ['region'], message: `${r.width}×${r.height} at (${r.x}, ${r.y}) is not inside the ${a.width}×${a.height} frame.` });
        return;
      }
      if (r.x % 2 || r.y % 2 || r.width % 2 || r.height % 2) {
        ctx.addIssue({ code: 'custom', path: ['region'], message: `x, y, width and height must be even (got ${r.width}×${r.height} at (${r.x}, ${r.y})): send the \`next\` region of the previous answer as it is.` });
        return;
      }
    }
    // The bytes hold the region, when there is one, else the frame.
    const w = r?.width ?? a.width;
    const h = r?.height ?? a.height;
    const what = (kind: string) => (r ? `the ${w}×${h} region as ${kind}` : `a ${w}×${h}${kind === 'I420' ? ' I420' : ''} frame`);
    if (a.i420 !== undefined) {
      const expected = i420Length(w, h);
      if (a.i420.byteLength !== expected) {
        ctx.addIssue({ code: 'custom', path: ['i420'], message: `${a.i420.byteLength} bytes, but ${what('I420')} needs ${expected} (the Y plane, then U and V of ⌈width/2⌉ × ⌈height/2⌉ each, no row padding).` });
      }
      return;
    }
    if (a.colour !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['colour'], message: '`colour` is for `i420` frames; an RGB frame has none.' });
      return;
    }
    const rgb = a.rgb!;
    const bytes = typeof rgb === 'string' ? base64ByteLength(rgb) : rgb.byteLength;
    const expected = w * h * 3;
    if (bytes !== expected) {
      const how = typeof rgb === 'string' ? `${bytes} bytes (base64-decoded)` : `${bytes} bytes`;
      ctx.addIssue({
        code: 'custom',
        path: ['rgb'],
        message: `${how}, but ${what('RGB')} needs ${expected} (width × height × 3: RGB, one byte per channel, no alpha, no row padding). Send the frame's RGB bytes (a Uint8Array, or base64 in JSON) with its real width and height.`,
      });
    }
  });
export type LiveDetectArgs = z.infer<typeof LiveDetectArgs>;

export interface ProposeResult {
  frames: number;
  /** Boxes inserted (source 'model', unverified, with the model's score). */
  boxes: number;
  /** Frames left alone because they already had boxes or were skipped. */
  skipped: number;
}

export const liveRequests = {
  /** Models the Live screen can pick: trained runs (exported to runs/<id>/model.onnx on first load) and models/*.onnx. */
  'live.models': request(z.object({}).strict())<LiveModelInfo[]>(),
  /** Loads (exporting first if needed) a model in the inference worker; answers with its input, format and classes. */
  'live.load': request(z.object({ modelId: LiveModelId }).strict())<LiveModelInfo>(),
  /** One camera frame → detections after threshold, class-wise NMS and the max count. */
  'live.detect': request(LiveDetectArgs)<LiveDetectResult>(),
  /** Model-assisted labelling: run a model on frames that have no boxes; proposals enter as source 'model'. */
  'editor.propose': request(
    z
      .object({
        modelId: LiveModelId,
        frameIds: z.array(z.number().int().positive()).min(1).max(10_000),
        settings: LiveSettings.optional(),
      })
      .strict(),
  )<ProposeResult>(),
} as const;
