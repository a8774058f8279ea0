/**
 * `ksl import voc`: bring a labelImg (Pascal VOC) folder into a project — the notebook's annotations were
 * made this way, so earlier work is not lost.
 *
 * labelImg saves `name.xml` beside `name.jpg`; sets are often split into `train/` and `test/` folders, which
 * are remembered per frame (frames.split_hint) so `ksl split --from-folders` can keep them. Each image
 * becomes a frame without a video; each `<object>` a box (source 'imported') of the word named by
 * `<name>` (NFC; created when the project does not have it yet; matched case-sensitively against the words'
 * text, then their ASCII label, so a VOC export of this project imports back onto the same words).
 *
 * Tolerant of what other tools write: fields are found by name in any order, coordinates may be floats,
 * unknown elements (`<occluded>`, `<pose>`, `<attributes>`) are ignored. What cannot be imported as written
 * is imported as well as possible and reported in `problems` (a box past the image edge is clamped; a file
 * that is not XML is skipped). The one thing that stops the whole import is an XML file with a DTD, which
 * is refused as hostile before anything is written (see voc-xml.ts).
 *
 * Images outside the project are copied into `<project>/imports/voc/<path inside the folder>` first, so the
 * project stays self-contained (it can be moved or archived as one folder).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { nfc } from '../../../src-shared/paths';
import { boxFromCorners, clampBox, isDegenerate, type Box } from '../../../src-shared/geometry/boxes';
import { KslError } from '../../../src-shared/result';
import { CATALOG_FILE, type Project } from '../catalog/project';
import { isInside, toCatalogPath } from '../fs/project-paths';
import { readImageHeader, type ImageHeader } from './image-header';
import { MIN_BOX_SIDE } from './boxes';
import { child, childrenNamed, childText, parseXml, type XmlElement } from './voc-xml';

export const VOC_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp']);

/** Where copies of outside images go, relative to the project folder. */
export const VOC_IMPORT_DIR = 'imports/voc';

/** Folder names that mean a train/test split (what `split --from-folders` understands). */
const SPLIT_FOLDERS: Record<string, string> = { train: 'train', training: 'train', test: 'test', testing: 'test', val: 'val', valid: 'val', validation: 'val', eval: 'val' };

export type VocProblemKind =
  | 'bad-xml' // not XML, or not a VOC <annotation>
  | 'missing-image' // no image beside the XML
  | 'unreadable-image' // not a JPEG/PNG/BMP this reader understands
  | 'size-mismatch' // <size> differs from the image on disk (the image's size is used)
  | 'bad-box' // a coordinate is missing or not a number, or the corners are swapped
  | 'no-label' // an <object> without <name>
  | 'out-of-bounds' // a box past the image edge, clamped
  | 'degenerate' // nothing left of the box after clamping (or smaller than a pixel)
  | 'duplicate' // a second XML for an image already paired
  | 'already-imported'; // this image is already a frame of the project

export interface VocProblem {
  kind: VocProblemKind;
  /** The XML (or image) the problem is in, as given (absolute). */
  file: string;
  message: string;
  /** 1-based index of the <object> in its file. */
  object?: number;
  label?: string;
  /** The box as written (x, y, w, h from xmin/ymin/xmax/ymax). */
  box?: Box;
  /** The box as imported, after clamping. */
  clampedTo?: Box;
}

export interface ImportVocResult {
  dir: string;
  /** Images registered as new frames (with or without an XML). */
  images: number;
  boxes: number;
  /** Boxes imported per label (NFC). */
  labels: Record<string, number>;
  /** Images copied into imports/voc. */
  copied: number;
  /** Images without an XML, registered as unlabelled frames. */
  unlabelled: number;
  /** Frames marked verified (`<annotation verified="yes">`). */
  verified: number;
  problems: VocProblem[];
}

interface VocObject {
  label: string;
  box: Box;
  difficult: boolean;
}

interface PlannedImage {
  abs: string;
  /** Relative to the import folder, forward slashes. */
  rel: string;
  header: ImageHeader;
  xml: string | null;
  verified: boolean;
  /** null: no XML (unlabelled). */
  objects: VocObject[] | null;
  /** <object> elements in the XML, imported or not. */
  objectCount: number;
  splitHint: string | null;
}

export function importVoc(project: Project, dir: string): ImportVocResult {
  const root = path.resolve(dir);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new KslError('NOT_FOUND', `${root}: no such folder; give the folder labelImg saved into (images with .xml files beside them).`);
  }
  if (!st.isDirectory()) throw new KslError('INVALID', `${root} is a file; give the folder labelImg saved into.`);
  const realRoot = realpathSync(root);
  const result: ImportVocResult = { dir: root, images: 0, boxes: 0, labels: {}, copied: 0, unlabelled: 0, verified: 0, problems: [] };
  const problem = (p: VocProblem) => result.problems.push(p);

  // 1. Find the files, and pair each XML with its image.
  const { xmls, images } = listVocFolder(realRoot);
  const imageByKey = new Map<string, string>();
  for (const img of images) {
    const p = path.parse(img);
    const key = path.join(p.dir, p.name.toLowerCase());
    if (!imageByKey.has(key)) imageByKey.set(key, img);
  }
  const paired = new Set<string>();
  const planned: PlannedImage[] = [];

  // 2. Read every XML before writing anything: a hostile file stops the import with nothing half-done.
  for (const xml of xmls) {
    let doc: XmlElement;
    try {
      doc = parseXml(readFileSync(xml), xml);
    } catch (e) {
      if (e instanceof KslError && e.code === 'FORBIDDEN') throw e;
      problem({ kind: 'bad-xml', file: xml, message: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (doc.name !== 'annotation') {
      problem({ kind: 'bad-xml', file: xml, message: `${xml}: the root element is <${doc.name}>, not <annotation>; this is not a Pascal VOC file.` });
      continue;
    }
    const img = findImage(xml, doc, imageByKey);
    if (!img) {
      const named = childText(doc, 'filename');
      problem({ kind: 'missing-image', file: xml, message: `${xml}: no image beside it${named ? ` (the XML names ${JSON.stringify(named)})` : ''}; put the image next to the XML with the same name.` });
      continue;
    }
    if (paired.has(img)) {
      problem({ kind: 'duplicate', file: xml, message: `${xml}: ${img} is already described by another XML file; this one was ignored.` });
      continue;
    }
    paired.add(img);
    const header = headerOrProblem(img, problem);
    if (!header) continue;
    checkSize(xml, doc, header, problem);
    planned.push({
      abs: img,
      rel: relPath(realRoot, img),
      header,
      xml,
      verified: doc.attrs['verified'] === 'yes',
      objects: readObjects(xml, doc, header, problem),
      objectCount: childrenNamed(doc, 'object').length,
      splitHint: splitHintFor(relPath(realRoot, img)),
    });
  }
  // Images nobody annotated yet: labelImg shows them as the next ones to do; so does the editor.
  for (const img of images) {
    if (paired.has(img)) continue;
    const header = headerOrProblem(img, problem);
    if (!header) continue;
    planned.push({ abs: img, rel: relPath(realRoot, img), header, xml: null, verified: false, objects: null, objectCount: 0, splitHint: splitHintFor(relPath(realRoot, img)) });
  }
  planned.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

  // 3. Place the images inside the project (copying outside ones) and write the catalog in one transaction.
  const db = project.db;
  const frameByFile = db.prepare('SELECT id FROM frames WHERE file = ?');
  const placed: { plan: PlannedImage; file: string }[] = [];
  for (const plan of planned) {
    const target = placeInProject(project, plan, frameByFile, problem);
    if (target === null) continue;
    if (target.copied) result.copied++;
    placed.push({ plan, file: target.file });
  }

  const findWordByText = db.prepare('SELECT id FROM words WHERE text = ?');
  const findWordByLabel = db.prepare('SELECT id FROM words WHERE label = ?');
  const insertWord = db.prepare('INSERT INTO words (text) VALUES (?) RETURNING id');
  const insertFrame = db.prepare('INSERT INTO frames (video_id, t, file, width, height, status, split_hint) VALUES (NULL, NULL, ?, ?, ?, ?, ?) RETURNING id');
  const insertBox = db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, difficult, source, verified) VALUES (?, ?, ?, ?, ?, ?, ?, 'imported', ?)");
  const wordIds = new Map<string, number>();
  const wordFor = (label: string): number => {
    let id = wordIds.get(label);
    if (id === undefined) {
      const row = (findWordByText.get(label) ?? findWordByLabel.get(label) ?? insertWord.get(label)) as { id: number };
      id = row.id;
      wordIds.set(label, id);
    }
    return id;
  };

  db.transaction(() => {
    for (const { plan, file } of placed) {
      const objects = plan.objects;
      // An XML without any <object> is a person saying "nothing here": a background frame ('skipped'). One
      // whose objects all failed to import is not: it stays 'unlabelled', to be redone.
      const status =
        objects === null ? 'unlabelled' : plan.objectCount === 0 ? 'skipped' : objects.length === 0 ? 'unlabelled' : plan.verified ? 'verified' : 'labelled';
      const { id: frameId } = insertFrame.get(file, plan.header.width, plan.header.height, status, plan.splitHint) as { id: number };
      result.images++;
      if (objects === null) result.unlabelled++;
      if (status === 'verified') result.verified++;
      for (const o of objects ?? []) {
        insertBox.run(frameId, wordFor(o.label), o.box.x, o.box.y, o.box.w, o.box.h, o.difficult ? 1 : 0, plan.verified ? 1 : 0);
        result.boxes++;
        result.labels[o.label] = (result.labels[o.label] ?? 0) + 1;
      }
    }
  })();
  return result;
}

function listVocFolder(root: string): { xmls: string[]; images: string[] } {
  const xmls: string[] = [];
  const images: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      // Symbolic links to folders are not followed (a link back up would loop); links to files are.
      const isDir = e.isDirectory();
      const isFile = e.isFile() || (e.isSymbolicLink() && safeIsFile(p));
      if (isDir) {
        // Never descend into a KSL project (e.g. the project itself, when the folder holds it).
        if (existsSync(path.join(p, CATALOG_FILE))) continue;
        walk(p);
      } else if (isFile) {
        const ext = path.extname(e.name).toLowerCase();
        if (ext === '.xml') xmls.push(p);
        else if (VOC_IMAGE_EXTENSIONS.has(ext)) images.push(p);
      }
    }
  };
  walk(root);
  return { xmls: xmls.sort(), images: images.sort() };
}

function safeIsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The image an XML describes: the file named by `<filename>` in the XML's folder (its base name only — a
 * `../` in it must not reach outside), else an image with the XML's own stem. `<path>` is ignored: it is
 * an absolute path on the annotator's machine.
 */
function findImage(xml: string, doc: XmlElement, imageByKey: Map<string, string>): string | null {
  const dir = path.dirname(xml);
  const named = childText(doc, 'filename');
  if (named) {
    const base = path.basename(named.replace(/\\/g, '/'));
    for (const candidate of [base, base.normalize('NFC'), base.normalize('NFD')]) {
      const p = path.join(dir, candidate);
      if (VOC_IMAGE_EXTENSIONS.has(path.extname(p).toLowerCase()) && safeIsFile(p)) return p;
    }
  }
  return imageByKey.get(path.join(dir, path.parse(xml).name.toLowerCase())) ?? null;
}

function headerOrProblem(img: string, problem: (p: VocProblem) => void): ImageHeader | null {
  let header: ImageHeader | null = null;
  try {
    header = readImageHeader(img);
  } catch (e) {
    problem({ kind: 'unreadable-image', file: img, message: `${img}: cannot be read (${e instanceof Error ? e.message : String(e)}).` });
    return null;
  }
  if (!header) problem({ kind: 'unreadable-image', file: img, message: `${img}: not a JPEG, PNG or BMP image this app can read; it was not imported.` });
  return header;
}

function checkSize(xml: string, doc: XmlElement, header: ImageHeader, problem: (p: VocProblem) => void): void {
  const size = child(doc, 'size');
  if (!size) return;
  const w = Number(childText(size, 'width'));
  const h = Number(childText(size, 'height'));
  if (!Number.isFinite(w) || !Number.isFinite(h) || w <= 0 || h <= 0) return; // labelImg-era files sometimes write 0
  if (w !== header.width || h !== header.height) {
    problem({
      kind: 'size-mismatch',
      file: xml,
      message: `${xml}: <size> says ${w}×${h} but the image is ${header.width}×${header.height}; the boxes were kept as written and checked against the real image (was it resized after annotation?).`,
    });
  }
}

const coordinate = (s: string | undefined): number | null => {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

function readObjects(xml: string, doc: XmlElement, header: ImageHeader, problem: (p: VocProblem) => void): VocObject[] {
  const out: VocObject[] = [];
  childrenNamed(doc, 'object').forEach((obj, k) => {
    const index = k + 1;
    const where = `${xml}, object ${index}`;
    const rawName = childText(obj, 'name');
    if (!rawName) {
      problem({ kind: 'no-label', file: xml, object: index, message: `${where} (line ${obj.line}): no <name>; the box was skipped.` });
      return;
    }
    const label = nfc(rawName);
    const bnd = child(obj, 'bndbox');
    const c = bnd ? (['xmin', 'ymin', 'xmax', 'ymax'] as const).map((n) => coordinate(childText(bnd, n))) : [];
    if (!bnd || c.some((v) => v === null)) {
      problem({ kind: 'bad-box', file: xml, object: index, label, message: `${where} (${label}): <bndbox> needs numeric xmin, ymin, xmax and ymax; the box was skipped.` });
      return;
    }
    const [x0, y0, x1, y1] = c as number[];
    const written = { x: x0!, y: y0!, w: x1! - x0!, h: y1! - y0! };
    if (x1! < x0! || y1! < y0!) {
      problem({ kind: 'bad-box', file: xml, object: index, label, box: written, message: `${where} (${label}): xmax/ymax are smaller than xmin/ymin; the corners were swapped.` });
    }
    const { box, clamped } = clampBox(boxFromCorners({ x: x0!, y: y0! }, { x: x1!, y: y1! }), header.width, header.height);
    if (isDegenerate(box, MIN_BOX_SIDE)) {
      problem({ kind: 'degenerate', file: xml, object: index, label, box: written, message: `${where} (${label}): the box ${fmt(written)} is smaller than a pixel or outside the ${header.width}×${header.height} image; it was skipped.` });
      return;
    }
    if (clamped && (x1! >= x0! && y1! >= y0!)) {
      problem({
        kind: 'out-of-bounds',
        file: xml,
        object: index,
        label,
        box: written,
        clampedTo: box,
        message: `${where} (${label}): the box ${fmt(written)} runs past the edge of the ${header.width}×${header.height} image; it was clamped to ${fmt(box)}.`,
      });
    }
    const difficult = childText(obj, 'difficult');
    out.push({ label, box, difficult: difficult !== undefined && difficult !== '' && Number(difficult) !== 0 && difficult.toLowerCase() !== 'false' });
  });
  return out;
}

const fmt = (b: Box) => `x=${+b.x.toFixed(2)} y=${+b.y.toFixed(2)} w=${+b.w.toFixed(2)} h=${+b.h.toFixed(2)}`;

function relPath(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

/** The train/test folder an image sits in (the nearest one named like a split), else its top folder. */
export function splitHintFor(rel: string): string | null {
  const dirs = rel.split('/').slice(0, -1);
  for (let i = dirs.length - 1; i >= 0; i--) {
    const known = SPLIT_FOLDERS[dirs[i]!.toLowerCase()];
    if (known) return known;
  }
  return dirs.length ? nfc(dirs[0]!) : null;
}

/**
 * The catalog path of the image: where it is, when inside the project; else a copy under imports/voc. A
 * copy that exists with the same bytes is reused (an import run twice copies nothing); another file of that
 * name gets a numbered name instead of being overwritten.
 */
function placeInProject(
  project: Project,
  plan: PlannedImage,
  frameByFile: { get(file: string): unknown },
  problem: (p: VocProblem) => void,
): { file: string; copied: boolean } | null {
  const real = realpathSync(plan.abs);
  if (isInside(project.dir, real)) {
    const file = toCatalogPath(project.dir, real);
    if (frameByFile.get(file)) {
      problem({ kind: 'already-imported', file: plan.abs, message: `${plan.abs} is already frame ${file} of this project; it was left as it is.` });
      return null;
    }
    return { file, copied: false };
  }
  const bytes = readFileSync(real);
  const wanted = path.join(project.dir, VOC_IMPORT_DIR, ...plan.rel.split('/'));
  const parsed = path.parse(wanted);
  for (let n = 1; n < 10_000; n++) {
    const dest = n === 1 ? wanted : path.join(parsed.dir, `${parsed.name}~${n}${parsed.ext}`);
    const file = toCatalogPath(project.dir, dest);
    if (existsSync(dest)) {
      if (!sameBytes(dest, bytes)) continue;
      if (frameByFile.get(file)) {
        problem({ kind: 'already-imported', file: plan.abs, message: `${plan.abs} was imported before (frame ${file}); it was left as it is.` });
        return null;
      }
      return { file, copied: false };
    }
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(real, dest);
    return { file, copied: true };
  }
  throw new KslError('CONFLICT', `Too many different images named ${wanted}; clear ${VOC_IMPORT_DIR} or rename the images.`);
}

function sameBytes(file: string, bytes: Buffer): boolean {
  const st = statSync(file);
  return st.size === bytes.length && readFileSync(file).equals(bytes);
}
