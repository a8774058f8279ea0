/**
 * ground-truth.json of a synthetic sample: the tight box of the signing hand in every encoded
 * frame, so detection and tracking can be scored without hand labelling.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface GroundTruthBox {
  /** Presentation time of the frame in seconds (frame index / fps). */
  t: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GroundTruthVideo {
  /** The number in 파일명 (KETI_SL_<10 digits>). */
  number: number;
  /** Path relative to the sample folder, forward slashes. */
  file: string;
  word: string;
  signer: number;
  fps: number;
  frames: number;
  /** One per encoded frame, in presentation order. */
  boxes: GroundTruthBox[];
}

export interface GroundTruth {
  version: 1;
  width: number;
  height: number;
  videos: GroundTruthVideo[];
}

export const GROUND_TRUTH_FILE = 'ground-truth.json';

const boxSchema = z.object({
  t: z.number().nonnegative(),
  x: z.number().nonnegative(),
  y: z.number().nonnegative(),
  w: z.number().positive(),
  h: z.number().positive(),
});

const videoSchema = z.object({
  number: z.number().int().nonnegative(),
  file: z
    .string()
    .min(1)
    .refine((f) => !f.includes('\\') && !f.startsWith('/') && !f.split('/').includes('..'), {
      message: 'must be a relative path with forward slashes inside the sample folder',
    }),
  word: z.string().min(1),
  signer: z.number().int().positive(),
  fps: z.number().positive(),
  frames: z.number().int().positive(),
  boxes: z.array(boxSchema),
});

const groundTruthSchema = z.object({
  version: z.literal(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  videos: z.array(videoSchema),
});

/** Reads and validates ground-truth.json; every error names the file and the offending entry. */
export function readGroundTruth(file: string): GroundTruth {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ground truth ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Ground truth ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = groundTruthSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`Ground truth ${file} is invalid: ${issues}`);
  }
  const gt = parsed.data as GroundTruth;
  // Consistency the schema cannot express: one box per frame, boxes inside the frame, time order.
  const seen = new Set<number>();
  gt.videos.forEach((v, i) => {
    const where = `videos.${i} (${v.file})`;
    if (seen.has(v.number)) throw new Error(`Ground truth ${file} is invalid: ${where}: duplicate video number ${v.number}`);
    seen.add(v.number);
    if (v.boxes.length !== v.frames) {
      throw new Error(`Ground truth ${file} is invalid: ${where}: ${v.boxes.length} boxes for ${v.frames} frames`);
    }
    v.boxes.forEach((b, j) => {
      if (b.x + b.w > gt.width || b.y + b.h > gt.height) {
        throw new Error(`Ground truth ${file} is invalid: ${where}.boxes.${j} lies outside the ${gt.width}x${gt.height} frame`);
      }
      if (j > 0 && b.t <= v.boxes[j - 1].t) {
        throw new Error(`Ground truth ${file} is invalid: ${where}.boxes.${j}: times must increase`);
      }
    });
  });
  return gt;
}

/** Serialises with one box per line: readable, diffable, and a third of the size of indent-2. */
export function formatGroundTruth(gt: GroundTruth): string {
  const lines: string[] = ['{', `  "version": ${gt.version},`, `  "width": ${gt.width},`, `  "height": ${gt.height},`, '  "videos": ['];
  gt.videos.forEach((v, i) => {
    const { boxes, ...head } = v;
    const headJson = Object.entries(head)
      .map(([k, val]) => `      ${JSON.stringify(k)}: ${JSON.stringify(val)},`)
      .join('\n');
    const boxLines = boxes.map((b, j) => `        ${JSON.stringify(b)}${j < boxes.length - 1 ? ',' : ''}`).join('\n');
    lines.push('    {', headJson, '      "boxes": [', boxLines, '      ]', `    }${i < gt.videos.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

/**
 * The hand box at time `t` seconds: the box of the NEAREST frame (what a frame-accurate extractor
 * that rounds to the nearest frame shows), or null outside the clip, i.e. before the first frame's
 * presentation time minus half a frame or from the clip's end (last frame + one frame period) on.
 */
export function groundTruthBoxAt(
  video: GroundTruthVideo,
  t: number,
): { x: number; y: number; w: number; h: number } | null {
  const boxes = video.boxes;
  if (!Number.isFinite(t) || boxes.length === 0) return null;
  const period = 1 / video.fps;
  // The epsilon keeps t = duration (e.g. 0.2 + 0.1 → 0.30000000000000004) outside the clip.
  if (t < boxes[0].t - period / 2 || t >= boxes[boxes.length - 1].t + period - 1e-9) return null;
  // Binary search for the last box with b.t <= t, then pick the nearer of it and its successor.
  let lo = 0;
  let hi = boxes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (boxes[mid].t <= t) lo = mid;
    else hi = mid - 1;
  }
  let k = lo;
  if (k + 1 < boxes.length && boxes[k + 1].t - t < t - boxes[k].t) k += 1;
  const { x, y, w, h } = boxes[k];
  return { x, y, w, h };
}
