import type { Command } from 'commander';
import { TrainParams } from '../../../src-shared/api';
import { KslError } from '../../../src-shared/result';
import { openProject } from '../../services/catalog/project';
import type { TrainResult } from '../../services/training/train-job';
import { evaluateRun } from '../../services/training/evaluate-run';
import { listRuns } from '../../services/training/runs-query';
import { printResult } from '../output';
import { runJobInCli } from '../run-job';
import { withErrors } from '../with-errors';
import { positiveInt, positiveNumber } from './media';

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('train a detector for one word level (fast: frozen pretrained SSD MobileNetV2 FPNLite backbone, head trained with TensorFlow.js); evaluates on the test split')
    .argument('<project>', 'project folder')
    .option('--level <L>', 'word level (default: all words)', positiveInt('--level'))
    .option('--preset <p>', 'fast | full', 'fast')
    .option('--steps <N>', 'optimiser steps (the schedule follows)', positiveInt('--steps'))
    .option('--batch <N>', 'batch size', positiveInt('--batch'))
    .option('--copies <N>', 'copies of each training frame (1 original + augmented)', positiveInt('--copies'))
    .option('--lr <x>', 'peak learning rate', positiveNumber('--lr'))
    .option('--input <WxH>', "network input in pixels, multiples of 32 (default auto: the frames' aspect ratio at ~86k pixels, 384x224 for 16:9; the second stage reads the words at the frame's own resolution)")
    .option('--checkpoints <N>', 'evaluations during the run', positiveInt('--checkpoints'))
    .option('--split <id>', 'use this split instead of the level\'s latest', positiveInt('--split'))
    .option('--resume <run>', 'continue an interrupted or cancelled run')
    .option('--force', 'train even on a split that leaks')
    .option('--seed <N>', 'random seed', (v) => Number(v))
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (dir: string, opts) => {
      const parsed = TrainParams.safeParse({
        level: opts.level,
        preset: opts.preset,
        steps: opts.steps,
        batch: opts.batch,
        copies: opts.copies,
        lr: opts.lr,
        input: opts.input,
        checkpoints: opts.checkpoints,
        splitId: opts.split,
        runId: opts.resume,
        force: !!opts.force,
        seed: opts.seed,
      });
      if (!parsed.success) throw new KslError('INVALID', `train: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const p = openProject(dir);
      try {
        const r = (await runJobInCli(p, 'train', parsed.data, opts, 'train')) as TrainResult;
        printResult(opts, r, () => {
          const m = r.metrics;
          const lines = [
            `run ${r.run} (${r.preset}, input ${r.input.width}×${r.input.height}, head on ${r.backend}, features on ${r.featureBackend}) in ${r.seconds.toFixed(0)} s, ${r.samplesPerSecond.toFixed(1)} samples/s`,
            `test AP ${m.AP!.toFixed(3)}  AP50 ${m.AP50!.toFixed(3)}  AP75 ${m.AP75!.toFixed(3)}  (best checkpoint: step ${r.bestStep})`,
          ];
          for (const w of r.perWord) lines.push(`  ${w.word}${w.label ? ` (${w.label})` : ''}: AP ${w.AP.toFixed(3)}  AP50 ${w.AP50.toFixed(3)}`);
          return lines.join('\n');
        });
      } finally {
        p.close();
      }
    }));
}

export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description("recompute a run's metrics on its split (COCO evaluation of the best checkpoint)")
    .argument('<project>', 'project folder')
    .requiredOption('--run <id>', 'training run (ksl runs lists them)')
    .option('--split <side>', 'test | train', 'test')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      if (opts.split !== 'test' && opts.split !== 'train') throw new KslError('INVALID', `--split must be test or train (got ${JSON.stringify(opts.split)}).`);
      const p = openProject(dir);
      try {
        const r = await evaluateRun(p, opts.run, opts.split);
        printResult(opts, r, () => [`run ${r.run}, step ${r.step}, ${r.split} split: AP ${r.metrics.AP!.toFixed(3)}  AP50 ${r.metrics.AP50!.toFixed(3)}  AP75 ${r.metrics.AP75!.toFixed(3)}`, ...r.perWord.map((w) => `  ${w.word}: AP ${w.AP.toFixed(3)}  AP50 ${w.AP50.toFixed(3)}`)].join('\n'));
      } finally {
        p.close();
      }
    }));

  program
    .command('runs')
    .description("list the project's training runs with their test metrics")
    .argument('<project>', 'project folder')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      const p = openProject(dir);
      try {
        const runs = listRuns(p);
        printResult(opts, runs, () => runs.map((r) => `${r.id}  level ${r.level ?? 'all'}  ${r.preset}  ${r.status}  AP ${r.metrics.AP?.toFixed(3) ?? '—'}  AP50 ${r.metrics.AP50?.toFixed(3) ?? '—'}`).join('\n') || 'No runs yet.');
      } finally {
        p.close();
      }
    }));
}
