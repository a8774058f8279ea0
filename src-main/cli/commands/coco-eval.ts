import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { evaluateCoco, formatCocoSummary, validateCocoDt, validateCocoGt } from '../../../src-shared/coco/coco-eval';
import { KslError } from '../../../src-shared/result';
import { printResult } from '../output';
import { withErrors } from '../with-errors';

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new KslError('NOT_FOUND', `${file}: cannot read the ${what} file.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KslError('INVALID', `${file}: not valid JSON (${(e as Error).message}).`);
  }
}

export function registerCocoEvalCommand(program: Command): void {
  program
    .command('coco-eval')
    .description('COCO bbox evaluation, identical to pycocotools: AP, AP50, AP75, APs/m/l, AR1/10/100, ARs/m/l, plus AP per category')
    .requiredOption('--gt <file>', 'ground truth in COCO format (images, annotations, categories)')
    .requiredOption('--dt <file>', 'detections: a COCO results list [{image_id, category_id, bbox, score}]')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (opts) => {
      const gt = validateCocoGt(readJson(opts.gt, 'ground-truth'), opts.gt);
      const dt = validateCocoDt(readJson(opts.dt, 'detections'), opts.dt);
      const r = evaluateCoco(gt, dt);
      const perCategory = r.perCategory.map(({ pr50: _p50, pr75: _p75, ...rest }) => rest);
      printResult(opts, { stats: r.stats, perCategory, warnings: r.warnings }, () => formatCocoSummary(r));
    }));
}
