import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { KslError } from '../../../src-shared/result';
import { detectMedia } from '../../services/inference/detect-media';
import { FOLLOW_REDETECT } from '../../services/inference/detector';
import { printResult } from '../output';
import { withErrors } from '../with-errors';

const fraction = (name: string, open0: boolean) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n > 1 || (open0 ? n <= 0 : n < 0)) {
    throw new InvalidArgumentError(`${name} must be a number ${open0 ? 'above 0' : 'from 0'} up to 1, e.g. 0.6 (got ${JSON.stringify(v)}).`);
  }
  return n;
};
const whole = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)}).`);
  return n;
};
const LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

/**
 * A batch run has the machine to itself (unlike the Live screen, whose worker keeps to one thread beside the
 * UI and the camera): every core, up to 4 (MobileNet's convolutions gain little beyond that). ffmpeg's
 * decoding shares them; scripts/bench/detect.ts measures 1 against 2 threads.
 */
const defaultThreads = () => Math.max(1, Math.min(4, os.availableParallelism()));

/**
 * `ksl detect MODEL.onnx (--video FILE | --images DIR)`: detections per frame, frames per second and
 * latency (decode, preprocessing, inference and NMS) — see services/inference/detect-media.ts.
 */
export function registerDetectCommand(program: Command): void {
  program
    .command('detect')
    .description('run an ONNX detector (ksl export onnx, or a TF OD API model converted with tf2onnx) over a video or a folder of images; prints detections, fps and latency')
    .argument('<model>', 'the .onnx model (label_map.pbtxt beside it unless --labels)')
    .option('--video <file>', 'a video file (decoded with ffmpeg)')
    .option('--images <dir>', 'a folder of .jpg/.png images, in name order')
    .option('--threshold <score>', 'drop detections scoring below this', fraction('--threshold', false), 0.6)
    .option('--max <n>', 'at most this many boxes per frame', whole('--max', 1, 100), 5)
    .option('--iou <iou>', 'class-wise NMS: drop a box overlapping a better one of its class by more than this', fraction('--iou', true), 0.6)
    .option('--labels <file>', 'label_map.pbtxt (default: the one beside the model)')
    .option('--threads <n>', `onnxruntime intra-op threads (default: the machine's cores, at most 4: here ${defaultThreads()})`, whole('--threads', 1, 64))
    .option('--opt-level <level>', `onnxruntime graph optimisation: ${LEVELS.join(', ')}`, (v: string) => {
      if (!(LEVELS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--opt-level must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(v)}).`);
      return v as (typeof LEVELS)[number];
    }, 'all')
    .option('--redetect <n>', 'with a second stage, on a video: run the detector every n frames and follow the hands it found with the second stage alone in between (1: the detector on every frame; it also runs whenever no hand is followed)', whole('--redetect', 1, 1000), FOLLOW_REDETECT)
    .option('--frames <n>', 'stop after this many frames', whole('--frames', 1, 10_000_000))
    .option('--json', 'print one JSON document')
    .action(withErrors(async (model: string, opts) => {
      if (!!opts.video === !!opts.images) throw new KslError('INVALID', 'Give exactly one of --video FILE or --images DIR.');
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const r = await detectMedia(model, {
          video: opts.video as string | undefined,
          images: opts.images as string | undefined,
          labelMap: opts.labels as string | undefined,
          settings: { threshold: opts.threshold as number, iou: opts.iou as number, maxDetections: opts.max as number },
          intraOpThreads: (opts.threads as number | undefined) ?? defaultThreads(),
          graphOptimizationLevel: opts.optLevel,
          maxFrames: opts.frames as number | undefined,
          redetectEvery: opts.redetect as number,
          signal: ac.signal,
        });
        printResult(opts, r, () => {
          const withBoxes = r.detections.filter((d) => d.boxes.length > 0).length;
          const counts = new Map<string, number>();
          for (const d of r.detections) for (const b of d.boxes) counts.set(b.label, (counts.get(b.label) ?? 0) + 1);
          return [
            `${r.frames} frames in ${r.seconds} s: ${r.fps} fps, latency p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms (${r.format} model, input ${r.input.dynamic ? 'frame size' : `${r.input.width}×${r.input.height}`}, ${r.threads} thread(s))`,
            `  per frame (median): waiting for decode ${r.breakdownMs.decodeWait} ms, preprocess ${r.breakdownMs.preprocess} ms, inference ${r.breakdownMs.inference} ms, NMS ${r.breakdownMs.nms} ms`,
            `  ${withBoxes} frames with detections (score ≥ ${r.settings.threshold}, at most ${r.settings.maxDetections})${counts.size ? ': ' + [...counts].map(([k, v]) => `${k} ×${v}`).join(', ') : ''}`,
          ].join('\n');
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    }));
}
