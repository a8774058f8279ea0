import { KslError } from '../result';
import type { CocoBox, CocoCategory, CocoDt, CocoGt, CocoGtAnnotation, CocoImage } from './coco-types';

/**
 * Validation of COCO JSON read from disk. The evaluator itself trusts its input (it is hot code),
 * so every user-supplied file goes through here first and a bad one fails with a message that
 * names the file and the exact field, instead of a NaN somewhere in the AP table.
 *
 * The validators return fresh, normalised objects holding only what evaluation needs (COCO
 * files carry large segmentation polygons that would otherwise be kept alive for nothing).
 */

function invalid(source: string, field: string, problem: string): never {
  throw new KslError('INVALID', `${source}: ${field} ${problem}`, { source, field });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(source: string, field: string, v: unknown): Record<string, unknown> {
  if (!isRecord(v)) invalid(source, field, `must be an object (got ${describe(v)})`);
  return v;
}

function array(source: string, field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) invalid(source, field, `must be an array (got ${v === undefined ? 'nothing' : describe(v)})`);
  return v;
}

/** COCO ids are integers; a string id (e.g. a file name) would silently never match anything. */
function intId(source: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    invalid(source, field, `must be an integer (got ${v === undefined ? 'nothing' : describe(v)})`);
  }
  return v;
}

function finite(source: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    invalid(source, field, `must be a finite number (got ${v === undefined ? 'nothing' : describe(v)})`);
  }
  return v;
}

/**
 * [x, y, w, h] with finite numbers and non-negative size. Negative sizes would make the IoU
 * union negative, which pycocotools does not guard against either; refuse them up front.
 */
function box(source: string, field: string, v: unknown): CocoBox {
  const a = array(source, field, v);
  if (a.length !== 4) invalid(source, field, `must have 4 numbers [x, y, width, height] (got ${a.length})`);
  const b: CocoBox = [
    finite(source, `${field}[0]`, a[0]),
    finite(source, `${field}[1]`, a[1]),
    finite(source, `${field}[2]`, a[2]),
    finite(source, `${field}[3]`, a[3]),
  ];
  if (b[2] < 0) invalid(source, `${field}[2]`, `(width) must not be negative (got ${b[2]})`);
  if (b[3] < 0) invalid(source, `${field}[3]`, `(height) must not be negative (got ${b[3]})`);
  return b;
}

/** 0/1 flags; JSON writers differ on booleans, so true/false are accepted and normalised. */
function flag(source: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  return invalid(source, field, `must be 0 or 1 (got ${describe(v)})`);
}

function optionalFinite(source: string, field: string, v: unknown): number | undefined {
  return v === undefined ? undefined : finite(source, field, v);
}

export function validateCocoGt(x: unknown, source: string): CocoGt {
  const root = record(source, 'the top level', x);

  const images: CocoImage[] = [];
  const imageIds = new Map<number, number>();
  array(source, 'images', root.images).forEach((raw, i) => {
    const f = `images[${i}]`;
    const o = record(source, f, raw);
    const id = intId(source, `${f}.id`, o.id);
    // Duplicate ids make pycocotools keep one entry silently; refusing is kinder than guessing.
    const prev = imageIds.get(id);
    if (prev !== undefined) invalid(source, `${f}.id`, `duplicates images[${prev}].id (${id})`);
    imageIds.set(id, i);
    const img: CocoImage = { id };
    const width = optionalFinite(source, `${f}.width`, o.width);
    const height = optionalFinite(source, `${f}.height`, o.height);
    if (width !== undefined) img.width = width;
    if (height !== undefined) img.height = height;
    if (o.file_name !== undefined) {
      if (typeof o.file_name !== 'string') invalid(source, `${f}.file_name`, `must be a string (got ${describe(o.file_name)})`);
      img.file_name = o.file_name;
    }
    images.push(img);
  });

  const categories: CocoCategory[] = [];
  const catIds = new Map<number, number>();
  array(source, 'categories', root.categories).forEach((raw, i) => {
    const f = `categories[${i}]`;
    const o = record(source, f, raw);
    const id = intId(source, `${f}.id`, o.id);
    const prev = catIds.get(id);
    if (prev !== undefined) invalid(source, `${f}.id`, `duplicates categories[${prev}].id (${id})`);
    catIds.set(id, i);
    if (typeof o.name !== 'string') invalid(source, `${f}.name`, `must be a string (got ${o.name === undefined ? 'nothing' : describe(o.name)})`);
    categories.push({ id, name: o.name });
  });

  const annotations: CocoGtAnnotation[] = [];
  const annIds = new Map<number, number>();
  array(source, 'annotations', root.annotations).forEach((raw, i) => {
    const f = `annotations[${i}]`;
    const o = record(source, f, raw);
    const id = intId(source, `${f}.id`, o.id);
    // pycocotools indexes annotations by id; with duplicates it evaluates the last one twice.
    const prev = annIds.get(id);
    if (prev !== undefined) invalid(source, `${f}.id`, `duplicates annotations[${prev}].id (${id})`);
    annIds.set(id, i);
    const ann: CocoGtAnnotation = {
      id,
      image_id: intId(source, `${f}.image_id`, o.image_id),
      category_id: intId(source, `${f}.category_id`, o.category_id),
      bbox: box(source, `${f}.bbox`, o.bbox),
      area: finite(source, `${f}.area`, o.area),
    };
    if (ann.area < 0) invalid(source, `${f}.area`, `must not be negative (got ${ann.area})`);
    const iscrowd = flag(source, `${f}.iscrowd`, o.iscrowd);
    if (iscrowd !== undefined) ann.iscrowd = iscrowd;
    const ignore = flag(source, `${f}.ignore`, o.ignore);
    if (ignore !== undefined) ann.ignore = ignore;
    annotations.push(ann);
  });

  return { images, annotations, categories };
}

export function validateCocoDt(x: unknown, source: string): CocoDt[] {
  // pycocotools' loadRes insists on a bare array of result objects.
  const list = array(source, 'the top level (a list of detections)', x);
  return list.map((raw, i) => {
    const f = `[${i}]`;
    const o = record(source, f, raw);
    const dt: CocoDt = {
      image_id: intId(source, `${f}.image_id`, o.image_id),
      category_id: intId(source, `${f}.category_id`, o.category_id),
      bbox: box(source, `${f}.bbox`, o.bbox),
      score: finite(source, `${f}.score`, o.score),
    };
    return dt;
  });
}
