/** `ksl split`, `ksl export tfrecord`, `ksl export coco`: train/test splits and the files made from them. */
import { exportCocoLabels } from '../../services/annotate/export-labels';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { KslError } from '../../../src-shared/result';
import { openProject } from '../../services/catalog/project';
import { exportCocoSplit } from '../../services/dataset/export-coco';
import { exportTfrecord } from '../../services/dataset/export-tfrecord';
import { makeSplit, type SplitBy, type SplitReport } from '../../services/dataset/split';
import { note, printResult } from '../output';
import { withErrors } from '../with-errors';

const levelArg = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 99) throw new InvalidArgumentError(`--level must be a whole number from 1 to 99 (got ${JSON.stringify(v)}).`);
  return n;
};
const intArg = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min} (got ${JSON.stringify(v)}).`);
  return n;
};
const fractionArg = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError(`--test must be a fraction between 0 and 1, e.g. 0.33 (got ${JSON.stringify(v)}).`);
  return n;
};

/**
 * The JSON `ksl split` prints: the report with `leaks` as a plain number (what scripts test against 0) and
 * the groups behind it in `leakDetails`.
 */
export function splitJson(report: SplitReport): Omit<SplitReport, 'leaks'> & { leaks: number; leakDetails: SplitReport['leaks'] } {
  return { ...report, leaks: report.leaks.count, leakDetails: report.leaks };
}

function sideLine(name: string, s: { frames: number; videos: number; signers: number }): string {
  return `${name}: ${s.frames} frames, ${s.videos} videos, ${s.signers} signers`;
}

export function registerDatasetCommands(program: Command, exportCmd: Command): void {
  program
    .command('split')
    .description('split labelled frames into train and test without leakage (by signer: no person on both sides), stratified per word')
    .argument('<project>', 'project folder')
    .option('--by <unit>', 'signer | video | frame (frame is the notebook\'s leaky split, for comparison)')
    .option('--test <fraction>', 'fraction of each word\'s frames for test', fractionArg, 0.33)
    .option('--seed <n>', 'random seed; the same seed gives the same split', intArg('--seed', 0), 42)
    .option('--level <L>', 'only the words of this level', levelArg)
    .option('--holdout-signers <codes>', 'comma-separated signer codes to test on; everyone else trains')
    .option('--from-folders', 'keep the train/test folders of an imported labelImg set')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      const by = opts.by as string | undefined;
      if (by !== undefined && by !== 'signer' && by !== 'video' && by !== 'frame') {
        throw new KslError('INVALID', `--by must be signer, video or frame (got ${JSON.stringify(by)}).`);
      }
      const holdout = opts.holdoutSigners === undefined ? undefined : String(opts.holdoutSigners).split(',').map((s) => s.trim()).filter(Boolean);
      if (!by && !opts.fromFolders && !holdout) throw new KslError('INVALID', 'Give --by signer, --by video or --by frame (or --from-folders, or --holdout-signers).');
      if (by === 'frame') {
        // Said up front on stderr, whatever the output mode: this split is kept only to compare with the notebook.
        process.stderr.write('ksl: warning: --by frame puts near-duplicate frames of one video in both train and test; test scores will be optimistic. Use --by signer for a fair test.\n');
      }
      const p = openProject(dir);
      try {
        const r = makeSplit(p, {
          by: by as SplitBy | undefined,
          test: opts.test,
          seed: opts.seed,
          level: opts.level,
          holdoutSigners: holdout,
          fromFolders: !!opts.fromFolders,
        });
        // The frame split's own warning repeats the line printed above; say it once.
        for (const w of r.warnings) if (!(by === 'frame' && w.startsWith('Split by frame'))) note(opts, `ksl: warning: ${w}`);
        printResult(opts, splitJson(r), () =>
          [
            `split ${r.id} by ${r.method}${r.level === null ? '' : `, level ${r.level}`}${r.seed === null ? '' : `, seed ${r.seed}`}`,
            sideLine('train', r.train),
            sideLine('test ', r.test),
            `leaks: ${r.leaks.count}${r.leaks.count ? ` (${r.leaks.kind}s on both sides)` : ''}`,
          ].join('\n'),
        );
      } finally {
        p.close();
      }
    }));

  exportCmd
    .command('tfrecord')
    .description('write train.record, test.record, label_map.pbtxt, pipeline.config and a README for the TensorFlow Object Detection API')
    .argument('<project>', 'project folder')
    .argument('<out>', 'export folder (created if missing)')
    .option('--level <L>', 'the level to export (uses the latest split for it)', levelArg)
    .option('--split <id>', 'export this split instead of the latest', intArg('--split', 1))
    .option('--steps <N>', 'training steps in pipeline.config', intArg('--steps', 1), 5000)
    .option('--batch-size <N>', 'batch size in pipeline.config', intArg('--batch-size', 1), 16)
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (dir: string, out: string, opts) => {
      const p = openProject(dir);
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        let last = 0;
        const r = await exportTfrecord(p, out, {
          level: opts.level,
          splitId: opts.split,
          numSteps: opts.steps,
          batchSize: opts.batchSize,
          signal: abort.signal,
          onProgress: (done, total, message) => {
            if (Date.now() - last < 1000 && done < total) return;
            last = Date.now();
            note(opts, `export ${done}/${total}  ${message}`);
          },
        });
        for (const w of r.warnings) note(opts, `ksl: warning: ${w}`);
        printResult(opts, r, () =>
          `${r.out}: train.record ${r.train.records} images (${r.train.boxes} boxes), test.record ${r.test.records} images (${r.test.boxes} boxes), ${r.numClasses} classes; see README.md`,
        );
      } finally {
        process.removeListener('SIGINT', onSigint);
        p.close();
      }
    }));

  exportCmd
    .command('coco')
    .description('COCO JSON: OUT.json = one side of a split as ground truth (for pycocotools and other evaluators); OUT folder = every labelled frame copied with annotations.json')
    .argument('<project>', 'project folder')
    .argument('<out>', 'output .json file (a split), or a folder (all labels with their images)')
    .option('--level <L>', 'the level (uses the latest split for it)', levelArg)
    .option('--split <id>', 'use this split instead of the latest', intArg('--split', 1))
    .option('--side <side>', 'test | train | all', 'test')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, out: string, opts) => {
      if (!['test', 'train', 'all'].includes(opts.side)) throw new KslError('INVALID', `--side must be test, train or all (got ${JSON.stringify(opts.side)}).`);
      const p = openProject(dir);
      try {
        if (!out.toLowerCase().endsWith('.json')) {
          // labelImg-style export of every labelled frame (issue: export voc|yolo|coco)
          const r = exportCocoLabels(p, out, { level: opts.level });
          for (const w of r.warnings) note(opts, `ksl: warning: ${w}`);
          printResult(opts, r, () => `${r.out}: ${r.images} images, ${r.boxes} boxes, ${r.classes} classes (COCO annotations.json beside the copied images)`);
          return;
        }
        const r = exportCocoSplit(p, out, { level: opts.level, splitId: opts.split, side: opts.side });
        for (const w of r.warnings) note(opts, `ksl: warning: ${w}`);
        printResult(opts, r, () => `${r.out}: ${r.images} images, ${r.annotations} annotations, ${r.categories} categories (split ${r.splitId}, ${r.side})`);
      } finally {
        p.close();
      }
    }));
}
