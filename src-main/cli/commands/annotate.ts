/**
 * `ksl import voc`, `ksl export voc`, `ksl export yolo` and `ksl qa`: labelImg folders in and out, and the
 * label checks to run before training. (`ksl export coco` belongs to the dataset commands; for labels
 * rather than a split it calls exportCocoLabels.)
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import { openProject } from '../../services/catalog/project';
import { exportLabels, type ExportLabelsResult, type LabelFormat } from '../../services/annotate/export-labels';
import { importVoc } from '../../services/annotate/import-voc';
import { qaReport, QA_KINDS } from '../../services/annotate/qa';
import { note, printResult } from '../output';
import { withErrors } from '../with-errors';

const levelArg = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 99) throw new InvalidArgumentError(`--level must be a whole number from 1 to 99 (got ${JSON.stringify(v)}).`);
  return n;
};
const limitArg = (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--limit must be a whole number ≥ 0 (got ${JSON.stringify(v)}).`);
  return n;
};

export function exportSummary(r: ExportLabelsResult): string {
  return `${r.out}: ${r.images} images, ${r.boxes} boxes, ${r.classes} classes (${r.format})${r.warnings.length ? `\n${r.warnings.map((w) => `  warning: ${w}`).join('\n')}` : ''}`;
}

export function registerAnnotateCommands(program: Command, importCmd: Command, exportCmd: Command): void {
  importCmd
    .command('voc')
    .description('import a labelImg (Pascal VOC) folder: images with .xml beside them; train/ and test/ subfolders are remembered')
    .argument('<project>', 'project folder')
    .argument('<dir>', 'the folder labelImg saved into (searched recursively)')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, vocDir: string, opts) => {
      const p = openProject(dir);
      try {
        const r = importVoc(p, vocDir);
        printResult(opts, r, () => {
          const labels = Object.entries(r.labels)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ');
          const lines = [`${r.images} images (${r.copied} copied into the project, ${r.unlabelled} without annotations, ${r.verified} verified), ${r.boxes} boxes${labels ? `: ${labels}` : ''}`];
          if (r.problems.length) lines.push(`${r.problems.length} problems:`, ...r.problems.map((x) => `  [${x.kind}] ${x.message}`));
          return lines.join('\n');
        });
      } finally {
        p.close();
      }
    }));

  for (const format of ['voc', 'yolo'] as const satisfies readonly LabelFormat[]) {
    exportCmd
      .command(format)
      .description(
        format === 'voc'
          ? "write the boxes as labelImg's Pascal VOC folder: each image copied with its .xml beside it"
          : 'write the boxes in YOLO format: classes.txt and a .txt beside each copied image',
      )
      .argument('<project>', 'project folder')
      .argument('<out>', 'export folder (created if missing)')
      .option('--level <L>', "only this level's words", levelArg)
      .option('--json', 'print one JSON document')
      .action(withErrors(async (dir: string, out: string, opts) => {
        const p = openProject(dir);
        try {
          const r = exportLabels(p, out, format, { level: opts.level });
          if (!opts.json) for (const w of r.warnings) note(opts, `ksl: warning: ${w}`);
          printResult(opts, r, () => exportSummary({ ...r, warnings: [] }));
        } finally {
          p.close();
        }
      }));
  }

  program
    .command('qa')
    .description('check the labels before training: words outside the label map, boxes whose word differs from their video, degenerate or out-of-bounds boxes, unlabelled frames, class balance per signer')
    .argument('<project>', 'project folder')
    .option('--level <L>', "only this level's words and videos", levelArg)
    .option('--label-map <file>', 'check names against this label_map.pbtxt instead of the words that have a level')
    .option('--limit <N>', 'findings listed per kind (counts are always complete)', limitArg, 200)
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      let labelMap;
      if (opts.labelMap) {
        let text: string;
        try {
          text = readFileSync(opts.labelMap, 'utf8');
        } catch {
          throw new KslError('NOT_FOUND', `${opts.labelMap}: cannot read the label map file.`);
        }
        labelMap = parseLabelMap(text, opts.labelMap);
      }
      const p = openProject(dir);
      try {
        const r = qaReport(p, { level: opts.level, labelMap, limit: opts.limit });
        printResult(opts, r, () => {
          const lines = QA_KINDS.map((k) => `${k}: ${r.counts[k]}`);
          for (const n of r.notes) lines.push(`note: ${n}`);
          for (const f of r.findings) lines.push(`  [${f.kind}] ${f.message}`);
          if (r.capped) lines.push(`  … (lists capped at ${opts.limit} per kind; use --limit)`);
          if (r.balance.words.length) {
            lines.push(`boxes per word and signer (${r.balance.signers.join(', ')}):`);
            for (const w of r.balance.words) lines.push(`  ${w.name}: ${w.total} (${r.balance.signers.map((s) => w.perSigner[s] ?? 0).join(' / ')})`);
          }
          return lines.join('\n');
        });
      } finally {
        p.close();
      }
    }));
}
