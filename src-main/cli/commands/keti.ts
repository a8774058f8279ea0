import type { Command } from 'commander';
import { openProject } from '../../services/catalog/project';
import { importKeti, type KetiImportResult } from '../../services/ingest/keti-import';
import { importGroundTruth } from '../../services/ingest/import-groundtruth';
import { progressPrinter, printResult } from '../output';
import { withErrors } from '../with-errors';

export function registerKetiCommand(importCmd: Command): void {
  importCmd
    .command('keti')
    .description('import the KETI annotation sheet (+ word list and level table); rows are matched to videos by their 10-digit number')
    .argument('<project>', 'project folder')
    .requiredOption('--annotations <xlsx>', 'KETI annotation workbook (xlsx or csv)')
    .option('--words <xlsx>', 'selected words (column 단어): only these are imported')
    .option('--labels <xlsx>', 'level table (단어 or 한국어, index, 레벨)')
    .option('--direction <d>', 'keep rows whose 방향 is this, e.g. 정면')
    .option('--type <t>', 'keep rows whose 타입 is this, e.g. 단어')
    .option('--videos <dir>', 'folder with the delivered videos (any extension, any subfolder)')
    .option('--dry-run', 'show what would be imported; write nothing')
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (dir: string, opts) => {
      const p = openProject(dir);
      const printer = progressPrinter(opts, 'import');
      let last = 0;
      try {
        const r: KetiImportResult = await importKeti(p, {
          annotations: opts.annotations,
          words: opts.words,
          labels: opts.labels,
          direction: opts.direction,
          type: opts.type,
          videos: opts.videos,
          dryRun: !!opts.dryRun,
          onProgress: (done, total, message) => {
            if (Date.now() - last < 100 && done < total) return;
            last = Date.now();
            printer({ type: 'progress', jobId: '-', kind: 'import.keti', done, total, rate: 0, etaSeconds: null, message });
          },
        });
        printer({ type: 'end', jobId: '-', kind: 'import.keti', outcome: 'ok' });
        printResult(opts, r, () => {
          const lines = [
            `${r.dryRun ? '(dry run) ' : ''}${r.rows} rows read from sheet "${r.sheet}", ${r.imported} imported: ${r.words} words, ${r.signers} signers; videos matched ${r.videos.matched}, missing ${r.videos.missing}`,
          ];
          for (const [kind, n] of Object.entries(r.problemCounts)) lines.push(`  ${n} × ${kind}`);
          for (const pr of r.problems.slice(0, 20)) lines.push(`  ${pr.sheet ? `${pr.sheet}` : ''}${pr.row ? ` row ${pr.row}` : ''}${pr.column ? ` [${pr.column}]` : ''}: ${pr.message}`);
          if (r.problems.length > 20) lines.push(`  … ${r.problems.length - 20} more (use --json)`);
          return lines.join('\n');
        });
      } finally {
        p.close();
      }
    }));
}

export function registerGroundTruthCommand(importCmd: Command): void {
  importCmd
    .command('groundtruth')
    .description('boxes for extracted frames from a sample dataset\'s ground-truth.json (source "groundtruth")')
    .argument('<project>', 'project folder')
    .argument('<file>', 'ground-truth.json written by ksl sample')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, file: string, opts) => {
      const p = openProject(dir);
      try {
        const r = importGroundTruth(p, file);
        printResult(opts, r, () => `${r.boxes} boxes on ${r.frames} frames of ${r.videos} videos${r.unmatchedFrames ? `; ${r.unmatchedFrames} frames outside the ground truth` : ''}${r.missingVideos.length ? `; ${r.missingVideos.length} ground-truth videos not in the catalog` : ''}`);
      } finally {
        p.close();
      }
    }));
}
