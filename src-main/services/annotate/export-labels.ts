/**
 * `ksl export voc|yolo` (and the label export behind `ksl export coco`): the project's boxes in the formats
 * other tools read, each a self-contained folder with the images copied in.
 *
 *  - voc: labelImg's own layout — each image with `name.xml` beside it, elements in labelImg's order and
 *    integer coordinates as labelImg writes them (PascalVocWriter), so labelImg opens the folder and the
 *    TF OD API / notebook scripts read it unchanged.
 *  - yolo: `classes.txt` plus `name.txt` beside each image, one `class cx cy w h` line per box, normalised,
 *    6 decimals (labelImg's YOLOWriter format).
 *  - coco: `annotations.json` (instances: images / annotations / categories) beside the image tree.
 *
 * Which frames and classes: those of `level` (every word when absent), chosen exactly as splits and the
 * TFRecord export choose them (framesInScope, labelMapItems), so class ids agree with the label maps.
 * Skipped frames (background) are exported without boxes. Paths inside the export mirror the project's
 * (`frames/<video>/…` loses its `frames/`, `imports/voc/train/…` its `imports/voc/`), so a labelImg set
 * imported with train/test folders comes back out with the same folders.
 */
import { copyFileSync, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CocoGt } from '../../../src-shared/coco/coco-types';
import { truncated, type Box } from '../../../src-shared/geometry/boxes';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { writeFileAtomic } from '../dataset/atomic-write';
import { framesInScope } from '../dataset/frames-in-scope';
import { labelMapItems, type LabelMapEntry } from '../dataset/label-maps';
import { fromCatalogPath, isInside } from '../fs/project-paths';
import { readImageHeader } from './image-header';
import { VOC_IMPORT_DIR } from './import-voc';
import { writeXml, type XmlNode } from './voc-xml';

export type LabelFormat = 'voc' | 'yolo' | 'coco';
export const LABEL_FORMATS: readonly LabelFormat[] = ['voc', 'yolo', 'coco'];

export interface ExportLabelsOptions {
  /** Only the words of this level (and their frames); every word when absent or null. */
  level?: number | null;
}

export interface ExportLabelsResult {
  format: LabelFormat;
  out: string;
  images: number;
  boxes: number;
  classes: number;
  /** Frames left out, e.g. an image file missing from the project. */
  warnings: string[];
}

/** The COCO file written by the coco format, inside `out`. */
export const COCO_LABELS_FILE = 'annotations.json';

interface ExportFrame {
  id: number;
  file: string;
  width: number;
  height: number;
  status: string;
  /** Path inside the export, forward slashes. */
  rel: string;
  boxes: { id: number; box: Box; difficult: boolean; cls: LabelMapEntry }[];
}

export function exportLabels(project: Project, out: string, format: LabelFormat, opts: ExportLabelsOptions = {}): ExportLabelsResult {
  if (!LABEL_FORMATS.includes(format)) throw new KslError('INVALID', `Label export format must be voc, yolo or coco (got ${JSON.stringify(format)}).`);
  const outDir = checkOut(project, out);
  const labelMap = labelMapItems(project, opts.level);
  if (labelMap.length === 0) {
    throw new KslError('INVALID', opts.level === undefined || opts.level === null ? 'The project has no words yet; import or label something first.' : `No words have level ${opts.level}.`);
  }
  const frames = collectFrames(project, labelMap, opts.level);
  mkdirSync(outDir, { recursive: true });
  const result: ExportLabelsResult = { format, out: outDir, images: 0, boxes: 0, classes: labelMap.length, warnings: [] };
  const written: ExportFrame[] = [];
  for (const f of frames) {
    const src = fromCatalogPath(project.dir, f.file);
    if (!existsSync(src)) {
      result.warnings.push(`frame ${f.id}: ${f.file} is missing from the project folder; it was left out.`);
      continue;
    }
    const dest = path.join(outDir, ...f.rel.split('/'));
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    const stem = dest.slice(0, dest.length - path.extname(dest).length);
    if (format === 'voc') writeFileSync(`${stem}.xml`, vocXml(f, dest, readDepth(src)));
    else if (format === 'yolo') writeFileSync(`${stem}.txt`, yoloLines(f));
    written.push(f);
    result.images++;
    result.boxes += f.boxes.length;
  }
  if (format === 'yolo') writeFileAtomic(path.join(outDir, 'classes.txt'), labelMap.map((c) => c.name).join('\n') + '\n');
  if (format === 'coco') writeFileAtomic(path.join(outDir, COCO_LABELS_FILE), JSON.stringify(cocoDocument(written, labelMap, opts.level ?? null)));
  return result;
}

/** What `ksl export coco` calls for labels (rather than a split): the coco format of exportLabels. */
export function exportCocoLabels(project: Project, out: string, opts: ExportLabelsOptions = {}): ExportLabelsResult {
  return exportLabels(project, out, 'coco', opts);
}

/** The export folder, refused where writing would touch the project's own images. */
function checkOut(project: Project, out: string): string {
  const abs = path.resolve(out);
  const real = existsSync(abs) ? realpathSync(abs) : abs;
  const forbidden = ['frames', 'imports'].map((d) => path.join(project.dir, d));
  if (isInside(real, project.dir) || forbidden.some((d) => isInside(d, real))) {
    throw new KslError('INVALID', `${abs} would overwrite the project's own files; export to a new folder (for example ${path.join(project.dir, 'exports', 'voc')}).`);
  }
  return abs;
}

function collectFrames(project: Project, labelMap: readonly LabelMapEntry[], level?: number | null): ExportFrame[] {
  const byWord = new Map(labelMap.map((c) => [c.wordId, c]));
  const getFrame = project.db.prepare('SELECT id, file, width, height, status FROM frames WHERE id = ?');
  const getBoxes = project.db.prepare('SELECT id, word_id, x, y, w, h, difficult FROM boxes WHERE frame_id = ? ORDER BY id');
  const out: ExportFrame[] = [];
  const used = new Set<string>();
  for (const s of framesInScope(project, level)) {
    const f = getFrame.get(s.id) as { id: number; file: string; width: number; height: number; status: string };
    const boxes = (getBoxes.all(f.id) as { id: number; word_id: number | null; x: number; y: number; w: number; h: number; difficult: number }[]).flatMap((b) => {
      const cls = b.word_id === null ? undefined : byWord.get(b.word_id);
      return cls ? [{ id: b.id, box: { x: b.x, y: b.y, w: b.w, h: b.h }, difficult: b.difficult !== 0, cls }] : [];
    });
    let rel = exportPath(f.file, f.id);
    // Two catalog paths can map to one export path (frames/x.jpg and imports/voc/x.jpg): keep both.
    if (used.has(rel)) rel = rel.replace(/(\.[^./]*)?$/, (ext) => `~${f.id}${ext}`);
    used.add(rel);
    out.push({ ...f, rel, boxes });
  }
  return out;
}

/** A frame's path inside the export (see the file comment). */
export function exportPath(file: string, frameId: number): string {
  const parts = file.split('/');
  if (path.isAbsolute(file) || parts.includes('..') || parts.includes('')) return `other/${frameId}${path.extname(file)}`;
  for (const prefix of [`${VOC_IMPORT_DIR}/`, 'frames/']) if (file.startsWith(prefix)) return file.slice(prefix.length);
  return file;
}

function readDepth(file: string): number {
  try {
    return readImageHeader(file)?.depth ?? 3;
  } catch {
    return 3;
  }
}

/**
 * labelImg's integer box: LabelFile.convert_points_to_bndbox raises xmin/ymin below 1 to 1 ("0-valued
 * coordinates of BB caused an error while training faster-rcnn") and truncates with int().
 */
export function vocBndbox(b: Box): { xmin: number; ymin: number; xmax: number; ymax: number } {
  return { xmin: Math.trunc(Math.max(1, b.x)), ymin: Math.trunc(Math.max(1, b.y)), xmax: Math.trunc(b.x + b.w), ymax: Math.trunc(b.y + b.h) };
}

function vocXml(f: ExportFrame, imagePath: string, depth: number): string {
  const el = (name: string, text: string | number): XmlNode => ({ name, text: String(text) });
  const objects: XmlNode[] = f.boxes.map((b) => {
    const v = vocBndbox(b.box);
    return {
      name: 'object',
      children: [
        el('name', b.cls.name),
        el('pose', 'Unspecified'),
        el('truncated', truncated({ x: v.xmin, y: v.ymin, w: v.xmax - v.xmin, h: v.ymax - v.ymin }, f.width, f.height) ? 1 : 0),
        el('difficult', b.difficult ? 1 : 0),
        { name: 'bndbox', children: [el('xmin', v.xmin), el('ymin', v.ymin), el('xmax', v.xmax), el('ymax', v.ymax)] },
      ],
    };
  });
  const root: XmlNode = {
    name: 'annotation',
    attrs: f.status === 'verified' ? { verified: 'yes' } : {},
    children: [
      el('folder', path.basename(path.dirname(imagePath))),
      el('filename', path.basename(imagePath)),
      el('path', imagePath),
      { name: 'source', children: [el('database', 'Unknown')] },
      { name: 'size', children: [el('width', f.width), el('height', f.height), el('depth', depth)] },
      el('segmented', 0),
      ...objects,
    ],
  };
  return writeXml(root);
}

function yoloLines(f: ExportFrame): string {
  return f.boxes
    .map((b) => {
      const { x, y, w, h } = b.box;
      const vals = [(x + w / 2) / f.width, (y + h / 2) / f.height, w / f.width, h / f.height].map((v) => pyFixed(v, 6));
      return `${b.cls.id - 1} ${vals.join(' ')}\n`;
    })
    .join('');
}

/**
 * Python's `'%.6f' % v`. JavaScript's toFixed rounds an exact tie up (0.0078125 → '0.007813'); Python rounds
 * the exact binary value half to even ('0.007812'). Ties are real here: 0.5 / 64 is one. Digits past the
 * 6th are read from toFixed(30), which is exact for every double in YOLO's [0, 1] range that can tie.
 */
export function pyFixed(v: number, digits = 6): string {
  const s = v.toFixed(digits);
  const long = Math.abs(v).toFixed(30);
  const cut = long.indexOf('.') + 1 + digits;
  if (long[cut] !== '5' || !/^0*$/.test(long.slice(cut + 1))) return s;
  // An exact tie: round half to even. toFixed already rounded up, which is right after an odd digit;
  // after an even one the answer is the exact value cut after `digits` decimals.
  if (Number(long[cut - 1]) % 2 === 1) return s;
  return (v < 0 ? '-' : '') + long.slice(0, digits === 0 ? cut - 1 : cut);
}

function cocoDocument(frames: readonly ExportFrame[], labelMap: readonly LabelMapEntry[], level: number | null): CocoGt & { info: Record<string, unknown> } {
  return {
    info: { description: `KSL Studio labels, ${level === null ? 'all words' : `level ${level}`}`, date_created: new Date().toISOString() },
    images: frames.map((f) => ({ id: f.id, file_name: f.rel, width: f.width, height: f.height })),
    annotations: frames.flatMap((f) =>
      f.boxes.map((b) => ({
        id: b.id,
        image_id: f.id,
        category_id: b.cls.id,
        bbox: [b.box.x, b.box.y, b.box.w, b.box.h] as [number, number, number, number],
        area: b.box.w * b.box.h,
        iscrowd: 0,
      })),
    ),
    categories: labelMap.map((c) => ({ id: c.id, name: c.name, supercategory: 'sign' })),
  };
}
