import type { Command } from 'commander';
import { generateSample } from '../../services/sample/generate-sample';
import { positiveInt } from './media';
import { progressPrinter, printResult } from '../output';
import { withErrors } from '../with-errors';
import { ProgressMeter } from '../../../src-shared/progress';

export function registerSampleCommand(program: Command): void {
  program
    .command('sample')
    .description('write a dataset shaped like KETI (sheet with its quirks, word list, level table, videos in number-range folders) with synthetic signers and a ground-truth box per frame')
    .requiredOption('--out <dir>', 'output folder (created; a previous sample there is replaced)')
    .option('--words <N>', 'number of words (max 30)', positiveInt('--words'), 6)
    .option('--signers <N>', 'number of signers', positiveInt('--signers'), 10)
    .option('--seconds <S>', 'clip length in seconds', positiveInt('--seconds'), 3)
    .option('--seed <N>', 'random seed', (v) => Number(v), 1)
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (opts) => {
      const printer = progressPrinter(opts, 'sample');
      const meter = new ProgressMeter(Date.now);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      const r = await generateSample({
        out: opts.out,
        words: opts.words,
        signers: opts.signers,
        seconds: opts.seconds,
        seed: opts.seed,
        signal: controller.signal,
        onProgress: (done, total, message) => {
          const rate = meter.update(done);
          printer({ type: 'progress', jobId: '-', kind: 'sample', done, total, rate, etaSeconds: meter.eta(done, total), message });
        },
      });
      printer({ type: 'end', jobId: '-', kind: 'sample', outcome: 'ok' });
      printResult(opts, r, () =>
        [
          `Sample dataset in ${r.out}: ${r.videos} videos, ${r.wordList.length} words (${r.wordList.join(', ')}), ${r.signers} signers`,
          `  annotations  ${r.annotations}`,
          `  word list    ${r.words}`,
          `  level table  ${r.labels}`,
          `  videos       ${r.videosDir}`,
          `  ground truth ${r.groundTruth}`,
        ].join('\n'),
      );
    }));
}
