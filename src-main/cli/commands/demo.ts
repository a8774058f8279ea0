import type { Command } from 'commander';
import { defaultDemoDir, runDemo } from '../../services/demo/run-demo';
import { detectVideoForDemo } from '../../services/demo/demo-detect';
import { note, printResult, progressPrinter } from '../output';
import { withErrors } from '../with-errors';
import { positiveInt } from './media';

/** `ksl demo [--out DIR] --json`: the whole pipeline on the synthetic sample (the main job, `npm run demo`). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline on a synthetic sample: sample → import → extract → boxes → split by signer → train (fast) → evaluate → export ONNX → detect on a held-out signer')
    .option('--out <dir>', 'new or empty folder for everything it writes (default: ./ksl-demo, or ./ksl-demo-2, … if taken)')
    .option('--steps <N>', 'training steps (default: the fast preset\'s)', positiveInt('--steps'))
    .option('--words <N>', 'words in the sample', positiveInt('--words'))
    .option('--signers <N>', 'signers in the sample', positiveInt('--signers'))
    .option('--seconds <S>', 'clip length of the sample videos', positiveInt('--seconds'))
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (opts) => {
      const out = (opts.out as string | undefined) ?? defaultDemoDir(process.cwd());
      const controller = new AbortController();
      const onSigint = () => {
        process.stderr.write('\nCancelling the demo… (Ctrl+C again to quit at once)\n');
        controller.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      let label = 'demo';
      const printer = progressPrinter(opts, 'demo');
      const t0 = Date.now();
      const r = await runDemo({
        out,
        steps: opts.steps,
        words: opts.words,
        signers: opts.signers,
        seconds: opts.seconds,
        signal: controller.signal,
        onStage: (stage, message) => {
          label = stage;
          note(opts, `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${stage}: ${message}`);
        },
        onJob: (e) => printer(e.type === 'progress' ? { ...e, message: `${label}: ${e.message}` } : e),
        detectVideo: (model, video, labels, signal) => detectVideoForDemo(model, video, labels, signal),
      });
      process.removeListener('SIGINT', onSigint);
      printResult(opts, r, () => {
        const m = r.metrics;
        return [
          `KSL Studio demo finished in ${r.seconds.total.toFixed(0)} s.`,
          `  project   ${r.project}   (open it: npx ksl serve ${r.project}, or npm start)`,
          `  model     ${r.model}`,
          `  labels    ${r.labelMap}`,
          `  split     by signer: ${r.split.train.frames} train frames (${r.split.train.signers} signers), ${r.split.test.frames} test frames (${r.split.test.signers} held-out signers)`,
          `  test      AP50 ${m.AP50!.toFixed(3)}  AP ${m.AP!.toFixed(3)}  AP75 ${m.AP75!.toFixed(3)}   (run ${r.run})`,
          ...r.perWord.map((w) => `            ${w.word}${w.label ? ` (${w.label})` : ''}: AP50 ${w.AP50.toFixed(3)}  AP ${w.AP.toFixed(3)}`),
          `  live      ${r.detect.fps.toFixed(1)} fps, latency p50 ${r.detect.latencyMs.p50.toFixed(1)} ms, p95 ${r.detect.latencyMs.p95.toFixed(1)} ms on ${r.detect.frames} frames of ${r.detect.signer}'s "${r.detect.word}"`,
          `            most frequent word said: ${r.detect.topWord ?? '(none)'} (${(100 * r.detect.topWordShare).toFixed(0)}% of frames)`,
          `  stages    ${Object.entries(r.seconds).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}`,
        ].join('\n');
      });
    }));
}
