/**
 * A split side as COCO ground truth (instances JSON), so external tools (pycocotools, the OD API's
 * evaluator, other detectors) can score a model on exactly the frames KSL Studio held out.
 *
 * Ids are the catalog's: image id = frame id (the TFRecord export's source_id), annotation id = box id,
 * category id = label map id. Background (skipped) frames are images without annotations, so detections on
 * them count as false positives, as they should.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CocoGt } from '../../../src-shared/coco/coco-types';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { writeFileAtomic } from './atomic-write';
import { labelMapItems } from './label-maps';
import { splitForExport, type SplitSide } from './split';
import { splitExamples } from './split-examples';

export interface ExportCocoOptions {
  splitId?: number;
  level?: number | null;
  /** Default 'test': what a model is evaluated on. */
  side?: SplitSide | 'all';
}

export interface ExportCocoResult {
  out: string;
  splitId: number;
  side: SplitSide | 'all';
  images: number;
  annotations: number;
  categories: number;
  warnings: string[];
}

export interface KslCocoGt extends CocoGt {
  info: { description: string; split_id: number; side: SplitSide | 'all'; level: number | null; date_created: string };
}

/** Builds the COCO document without writing it (the evaluator can take it directly). */
export function cocoForSplit(project: Project, opts: ExportCocoOptions = {}): { coco: KslCocoGt; dropped: number[]; splitId: number } {
  const side = opts.side ?? 'test';
  if (!['train', 'test', 'all'].includes(side)) throw new KslError('INVALID', `--side must be train, test or all (got ${JSON.stringify(side)}).`);
  const split = splitForExport(project, { splitId: opts.splitId, level: opts.level });
  const labelMap = labelMapItems(project, split.level);
  const { examples, dropped } = splitExamples(project, split.id, side, labelMap);
  const coco: KslCocoGt = {
    info: {
      description: `KSL Studio split ${split.id} (by ${split.method}), ${side === 'all' ? 'train and test' : side}, ${split.level === null ? 'all words' : `level ${split.level}`}`,
      split_id: split.id,
      side,
      level: split.level,
      date_created: new Date().toISOString(),
    },
    images: examples.map((e) => ({ id: e.frameId, file_name: e.file, width: e.width, height: e.height })),
    annotations: examples.flatMap((e) =>
      e.boxes.map((b) => ({ id: b.boxId, image_id: e.frameId, category_id: b.classId, bbox: [b.x, b.y, b.w, b.h] as [number, number, number, number], area: b.w * b.h, iscrowd: 0 })),
    ),
    categories: labelMap.map((c) => ({ id: c.id, name: c.name, supercategory: 'sign' })),
  };
  return { coco, dropped, splitId: split.id };
}

export function exportCocoSplit(project: Project, outFile: string, opts: ExportCocoOptions = {}): ExportCocoResult {
  const side = opts.side ?? 'test';
  const { coco, dropped, splitId } = cocoForSplit(project, { ...opts, side });
  const out = path.resolve(outFile);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileAtomic(out, JSON.stringify(coco));
  const warnings = dropped.length
    ? [`${dropped.length} frames of split ${splitId} no longer have boxes of these words and are not marked skipped; they were left out.`]
    : [];
  return { out, splitId, side, images: coco.images.length, annotations: coco.annotations.length, categories: coco.categories.length, warnings };
}
