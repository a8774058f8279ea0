/**
 * `ksl sample`: generates a small dataset shaped like the KETI Korean sign-language delivery
 * (sheets, range-folder videos, quirks included) plus exact hand boxes, so the whole pipeline can
 * be run and scored end to end without any real data or hand labelling.
 */
import { findFfmpeg } from '../media/ffmpeg-path';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEncoder, type VideoEncoder } from './encode-video';
import { formatGroundTruth, GROUND_TRUTH_FILE, type GroundTruth, type GroundTruthVideo } from './ground-truth';
import { planCatalogue, type PlannedVideo } from './sample-catalogue';
import { renderSampleReadme, SAMPLE_README_MARKER } from './sample-readme';
import { writeAnnotationWorkbook, writeLabelsWorkbook, writeSelectedWordsWorkbook } from './sample-sheet';
import { MAX_SAMPLE_WORDS, SAMPLE_WORDS } from './sign-lexicon';
import { createSignerProfile, createSignerScene, type SignerProfile } from './synthetic-signer';

export interface SampleOptions {
  out: string;
  /** Number of words, default 6, max 30. */
  words?: number;
  /** Number of signers, default 10, max 100. */
  signers?: number;
  /** Clip length in seconds, default 3. */
  seconds?: number;
  /** Default 1. */
  seed?: number;
  /** Default 640 (must be even: yuv420p). */
  width?: number;
  /** Default 360 (must be even: yuv420p). */
  height?: number;
  /** Default 30. */
  fps?: number;
  /** ffmpeg executable; default: found as everywhere else (ffmpeg-static, $FFMPEG_PATH, PATH). */
  ffmpeg?: string;
  onProgress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
}

export interface SampleResult {
  out: string;
  annotations: string;
  words: string;
  labels: string;
  videosDir: string;
  groundTruth: string;
  videos: number;
  wordList: string[];
  signers: number;
}

export const SAMPLE_FILES = {
  annotations: 'KETI-annotations.xlsx',
  words: 'selected_words.xlsx',
  labels: 'labels.xlsx',
  videos: 'videos',
  groundTruth: GROUND_TRUTH_FILE,
  readme: 'README.md',
} as const;

/** Two encoders: enough to keep two cores busy while the main thread rasterises frames. */
const PARALLEL_ENCODERS = 2;

interface ResolvedOptions {
  out: string;
  words: number;
  signers: number;
  seconds: number;
  seed: number;
  width: number;
  height: number;
  fps: number;
  ffmpeg: string;
}

function resolveOptions(opts: SampleOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    out: path.resolve(opts.out),
    words: opts.words ?? 6,
    signers: opts.signers ?? 10,
    seconds: opts.seconds ?? 3,
    seed: opts.seed ?? 1,
    width: opts.width ?? 640,
    height: opts.height ?? 360,
    fps: opts.fps ?? 30,
    ffmpeg: opts.ffmpeg ?? findFfmpeg().path,
  };
  const intIn = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`Sample option ${name} must be an integer from ${lo} to ${hi} (got ${v})`);
  };
  intIn('words', r.words, 1, MAX_SAMPLE_WORDS);
  // 2017 numbers must stay below the 2018 block (10001): 50 signers × (30 + 3) rows is far below.
  intIn('signers', r.signers, 1, 100);
  intIn('seed', r.seed, -0x80000000, 0xffffffff);
  intIn('width', r.width, 64, 3840);
  intIn('height', r.height, 64, 2160);
  if (r.width % 2 || r.height % 2) throw new Error(`Sample width and height must be even for yuv420p video (got ${r.width}x${r.height})`);
  if (!(r.fps > 0 && r.fps <= 120)) throw new Error(`Sample option fps must be in (0, 120] (got ${r.fps})`);
  if (!(r.seconds > 0 && r.seconds <= 60)) throw new Error(`Sample option seconds must be in (0, 60] (got ${r.seconds})`);
  return r;
}

/**
 * Makes `out` ready: created if missing; if it holds a previous sample (our README marker), that
 * sample is replaced; any other non-empty folder is refused rather than mixed with foreign files.
 */
function prepareOutputFolder(out: string): void {
  if (!existsSync(out)) {
    mkdirSync(out, { recursive: true });
    return;
  }
  if (!statSync(out).isDirectory()) throw new Error(`Sample output ${out} exists and is not a folder`);
  if (readdirSync(out).length === 0) return;
  const readme = path.join(out, SAMPLE_FILES.readme);
  const isSample = existsSync(readme) && readFileSync(readme, 'utf8').startsWith(SAMPLE_README_MARKER);
  if (!isSample) throw new Error(`Sample output folder ${out} is not empty and does not hold a previous sample; choose an empty or new folder`);
  for (const name of Object.values(SAMPLE_FILES)) rmSync(path.join(out, name), { recursive: true, force: true });
}

function roundTime(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

export async function generateSample(opts: SampleOptions): Promise<SampleResult> {
  const o = resolveOptions(opts);
  const signal = opts.signal;
  signal?.throwIfAborted();
  const words = SAMPLE_WORDS.slice(0, o.words);
  const frames = Math.max(1, Math.round(o.seconds * o.fps));
  const profiles: SignerProfile[] = [];
  for (let s = 1; s <= o.signers; s++) profiles.push(createSignerProfile(o.seed, s));
  const catalogue = planCatalogue(words, o.signers);

  prepareOutputFolder(o.out);
  // README first: it marks the folder as ours even if generation is interrupted.
  writeFileSync(
    path.join(o.out, SAMPLE_FILES.readme),
    renderSampleReadme({ seed: o.seed, width: o.width, height: o.height, fps: o.fps, frames, words, profiles, catalogue }),
  );
  for (const dir of new Set(catalogue.videos.map((v) => path.dirname(v.file)))) mkdirSync(path.join(o.out, dir), { recursive: true });

  const total = catalogue.videos.length + 1;
  let done = 0;
  opts.onProgress?.(0, total, `Encoding ${catalogue.videos.length} videos`);

  const results = new Map<number, GroundTruthVideo>();
  const active = new Set<VideoEncoder>();
  let failed = false;

  const encodeOne = async (plan: PlannedVideo): Promise<void> => {
    const scene = createSignerScene({
      width: o.width,
      height: o.height,
      fps: o.fps,
      seed: o.seed,
      videoNumber: plan.number,
      signer: profiles[plan.signer - 1],
      word: plan.word,
    });
    const encoder = startEncoder({ ffmpeg: o.ffmpeg, file: path.join(o.out, plan.file), width: o.width, height: o.height, fps: o.fps, container: plan.container });
    active.add(encoder);
    try {
      const boxes: GroundTruthVideo['boxes'] = [];
      for (let i = 0; i < frames; i++) {
        if (failed) throw new Error('stopped');
        signal?.throwIfAborted();
        const { rgb, box } = scene.renderFrame(i);
        boxes.push({ t: roundTime(i / o.fps), ...box });
        await encoder.write(rgb);
      }
      await encoder.finish();
      results.set(plan.number, { number: plan.number, file: plan.file, word: plan.word.korean, signer: plan.signer, fps: o.fps, frames, boxes });
    } catch (err) {
      // Wait for ffmpeg to die and the partial file to go, so a rejected generateSample leaves
      // no half-written video and no running encoder behind.
      await encoder.abort();
      throw err;
    } finally {
      active.delete(encoder);
    }
    done++;
    opts.onProgress?.(done, total, `Encoded ${plan.file}`);
  };

  const queue = [...catalogue.videos];
  const worker = async () => {
    for (let plan = queue.shift(); plan; plan = queue.shift()) await encodeOne(plan);
  };
  let firstError: unknown;
  const workers = Array.from({ length: Math.min(PARALLEL_ENCODERS, queue.length) }, () =>
    worker().catch((err: unknown) => {
      // The first failure (or the abort) is the root cause; it stops the other encoders, whose
      // own follow-up errors ("stopped", killed ffmpeg) are not worth reporting.
      if (!failed) {
        failed = true;
        firstError = err;
        // Their own catch blocks await the clean-up; this only makes them fail fast.
        for (const e of active) void e.abort();
      }
    }),
  );
  await Promise.all(workers);
  if (failed) throw firstError;

  const groundTruth: GroundTruth = {
    version: 1,
    width: o.width,
    height: o.height,
    videos: catalogue.videos.map((v) => results.get(v.number)!).sort((a, b) => a.number - b.number),
  };
  const file = (name: string) => path.join(o.out, name);
  writeAnnotationWorkbook(file(SAMPLE_FILES.annotations), catalogue.rows);
  writeSelectedWordsWorkbook(file(SAMPLE_FILES.words), words);
  writeLabelsWorkbook(file(SAMPLE_FILES.labels), words);
  writeFileSync(file(SAMPLE_FILES.groundTruth), formatGroundTruth(groundTruth));
  opts.onProgress?.(total, total, 'Wrote sheets and ground truth');

  return {
    out: o.out,
    annotations: file(SAMPLE_FILES.annotations),
    words: file(SAMPLE_FILES.words),
    labels: file(SAMPLE_FILES.labels),
    videosDir: file(SAMPLE_FILES.videos),
    groundTruth: file(SAMPLE_FILES.groundTruth),
    videos: catalogue.videos.length,
    wordList: words.map((w) => w.korean),
    signers: o.signers,
  };
}
