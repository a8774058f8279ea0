/**
 * Export for the TensorFlow Object Detection API: train.record and test.record from a stored split, with the
 * label map, pipeline.config and README that make the folder trainable on a GPU machine as it is. This is
 * the scale-out path: train the full model elsewhere, bring the ONNX back.
 *
 * Every file is written whole or not at all (records via TFRecordWriter's .partial + rename, the text files
 * via writeFileAtomic), and the text files are written only after both record files closed, so a folder
 * with a pipeline.config always has the records it names.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeLabelMap } from '../../../src-shared/formats/label-map';
import { pipelineConfig } from '../../../src-shared/formats/pipeline-config';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { DEFAULT_OD_API_FILES, OD_API_CHECKPOINT, odApiReadme } from '../export/od-api-readme';
import { TFRecordWriter, odApiExample, type OdApiBox } from '../export/tfrecord';
import { resolveInProject } from '../fs/project-paths';
import { writeFileAtomic } from './atomic-write';
import { labelMapItems } from './label-maps';
import { mixSeed, mulberry32, shuffled } from '../../../src-shared/random';
import { splitForExport, type SplitMethod, type SplitSide } from './split';
import { splitExamples, type ExampleBox, type SplitExample } from './split-examples';

export interface ExportTfrecordOptions {
  level?: number | null;
  splitId?: number;
  /** Training steps written to pipeline.config (num_steps and the schedule's total_steps); default 5000. */
  numSteps?: number;
  /** Default 16: fits an 8 GB GPU at 320x320. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export interface ExportTfrecordResult {
  /** The export folder (absolute). */
  out: string;
  train: { records: number; boxes: number };
  test: { records: number; boxes: number };
  labelMap: string;
  pipelineConfig: string;
  readme: string;
  numClasses: number;
  split: { id: number; method: SplitMethod; level: number | null; leaks: number };
  warnings: string[];
}

export const DEFAULT_NUM_STEPS = 5000;
export const DEFAULT_BATCH_SIZE = 16;

/** labelImg marks a box truncated when it reaches the image border; within 1 px, as its integer VOC coordinates did. */
export function touchesEdge(box: Pick<ExampleBox, 'x' | 'y' | 'w' | 'h'>, width: number, height: number): boolean {
  return box.x <= 1 || box.y <= 1 || box.x + box.w >= width - 1 || box.y + box.h >= height - 1;
}

/** The OD API's `image/object/view`: KETI's 방향 '정면' is a frontal recording; nothing else is known. */
export function viewOf(direction: string | null): string {
  return direction !== null && direction.normalize('NFC').trim() === '정면' ? 'Frontal' : 'Unspecified';
}

export async function exportTfrecord(project: Project, outDir: string, opts: ExportTfrecordOptions = {}): Promise<ExportTfrecordResult> {
  const numSteps = opts.numSteps ?? DEFAULT_NUM_STEPS;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new KslError('INVALID', `--steps must be a positive whole number (got ${numSteps}).`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new KslError('INVALID', `The batch size must be a positive whole number (got ${batchSize}).`);
  const split = splitForExport(project, { splitId: opts.splitId, level: opts.level });
  const level = split.level;
  const labelMap = labelMapItems(project, level);
  if (labelMap.length === 0) throw new KslError('INVALID', `There are no words in ${level === null ? 'the project' : `level ${level}`} to train on.`);

  const warnings: string[] = [];
  if (split.leaks > 0) {
    const what = split.report.leaks?.kind === 'signer' ? 'signers' : 'videos';
    warnings.push(`Split ${split.id} (by ${split.method}) has ${split.leaks} ${what} with frames on both sides; test scores from this export will be optimistic.`);
  }
  const { examples, dropped } = splitExamples(project, split.id, 'all', labelMap);
  if (dropped.length) {
    warnings.push(`${dropped.length} frames of split ${split.id} no longer have boxes of these words and are not marked skipped; they were left out. Run ksl split again to refresh it.`);
  }
  if (!examples.some((e) => e.side === 'train' && e.boxes.length > 0)) {
    throw new KslError('INVALID', `Split ${split.id} has no training frames with boxes, so there is nothing to train on.`);
  }
  // The OD API reads records in file order through a bounded shuffle buffer; in frame-id order a batch would
  // hold one word's consecutive frames. A seeded shuffle of the train side keeps exports reproducible.
  const train = shuffled(
    examples.filter((e) => e.side === 'train'),
    mulberry32(mixSeed(split.seed ?? 0, split.id)),
  );
  const test = examples.filter((e) => e.side === 'test');

  const out = path.resolve(outDir);
  mkdirSync(out, { recursive: true });
  const files = DEFAULT_OD_API_FILES;
  const writers: Record<SplitSide, TFRecordWriter> = {
    train: new TFRecordWriter(path.join(out, files.trainRecord)),
    test: new TFRecordWriter(path.join(out, files.testRecord)),
  };
  const tally = { train: { records: 0, boxes: 0 }, test: { records: 0, boxes: 0 } };
  const total = train.length + test.length;
  let done = 0;
  try {
    for (const side of ['train', 'test'] as const) {
      for (const ex of side === 'train' ? train : test) {
        if (opts.signal?.aborted) throw new KslError('CANCELLED', 'Export cancelled; nothing was written.');
        await writers[side].write(await encode(project, ex));
        tally[side].records++;
        tally[side].boxes += ex.boxes.length;
        done++;
        if (opts.onProgress && (done % 50 === 0 || done === total)) opts.onProgress(done, total, `${side}: ${ex.file}`);
      }
    }
    await writers.train.close();
    await writers.test.close();
  } catch (e) {
    await Promise.all([writers.train.abort(), writers.test.abort()]);
    throw e;
  }

  const labelMapPath = path.join(out, files.labelMap);
  const configPath = path.join(out, files.pipelineConfig);
  const readmePath = path.join(out, 'README.md');
  writeFileAtomic(labelMapPath, writeLabelMap(labelMap));
  writeFileAtomic(
    configPath,
    pipelineConfig({
      numClasses: labelMap.length,
      numSteps,
      batchSize,
      // Relative paths: the README has the researcher run everything from inside the export folder.
      fineTuneCheckpoint: `${OD_API_CHECKPOINT}/checkpoint/ckpt-0`,
      labelMapPath: files.labelMap,
      trainRecord: files.trainRecord,
      testRecord: files.testRecord,
    }),
  );
  writeFileAtomic(
    readmePath,
    odApiReadme({ level, numClasses: labelMap.length, trainCount: tally.train.records, testCount: tally.test.records, numSteps, files }),
  );
  return {
    out,
    train: tally.train,
    test: tally.test,
    labelMap: labelMapPath,
    pipelineConfig: configPath,
    readme: readmePath,
    numClasses: labelMap.length,
    split: { id: split.id, method: split.method, level, leaks: split.leaks },
    warnings,
  };
}

async function encode(project: Project, ex: SplitExample): Promise<Uint8Array> {
  let image: Uint8Array;
  try {
    image = await readFile(resolveInProject(project.dir, ex.file));
  } catch (e) {
    if (e instanceof KslError) throw e;
    throw new KslError('NOT_FOUND', `Cannot read frame ${ex.frameId} (${ex.file}): ${(e as Error).message}. Run ksl check, or extract the frames again.`, {
      file: ex.file,
    });
  }
  const view = viewOf(ex.direction);
  const boxes: OdApiBox[] = ex.boxes.map((b) => ({
    xmin: b.x,
    ymin: b.y,
    xmax: b.x + b.w,
    ymax: b.y + b.h,
    text: b.className,
    label: b.classId,
    difficult: b.difficult,
    truncated: touchesEdge(b, ex.width, ex.height),
    view,
  }));
  // source_id is the frame id: the OD API's COCO evaluation uses it as the image id, as our COCO export does.
  return odApiExample({ image, filename: ex.file, sourceId: String(ex.frameId), width: ex.width, height: ex.height, boxes });
}

