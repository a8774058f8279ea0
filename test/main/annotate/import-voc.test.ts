import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importVoc, splitHintFor } from '../../../src-main/services/annotate/import-voc';
import { parseImageHeader } from '../../../src-main/services/annotate/image-header';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';
import { AnnotateFixture, labelImgXml, tinyImage, writeImage } from './fixture';

const tmp = useTmpDir();
const open: AnnotateFixture[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.project.close();
});
function fixture() {
  const f = new AnnotateFixture(tmp());
  open.push(f);
  return f;
}

/** A labelImg folder with the awkward cases: train/ and test/, PNG and JPEG, floats, extra elements, Korean. */
function awkwardFolder(root: string): void {
  mkdirSync(path.join(root, 'train'), { recursive: true });
  mkdirSync(path.join(root, 'test'), { recursive: true });
  writeImage(path.join(root, 'train', 'img1.jpg'));
  writeFileSync(
    path.join(root, 'train', 'img1.xml'),
    labelImgXml({ folder: 'train', filename: 'img1.jpg', w: 64, h: 48, verified: true, objects: [{ name: '안녕하세요', xmin: 10, ymin: 8, xmax: 30, ymax: 32 }] }),
  );
  writeImage(path.join(root, 'train', 'img2.png'), 'png');
  // Another tool's file: fields out of order, floats, extra elements, an NFD label, a box past the right edge.
  writeFileSync(
    path.join(root, 'train', 'img2.xml'),
    `<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <size><depth>3</depth><height>48</height><width>64</width></size>
  <filename>img2.png</filename>
  <object>
    <bndbox><ymax>40.75</ymax><xmax>70.5</xmax><ymin>4.25</ymin><xmin>40.5</xmin></bndbox>
    <occluded>0</occluded>
    <difficult>1</difficult>
    <name>${'감사합니다'.normalize('NFD')}</name>
    <attributes><attribute><name>hand</name><value>left</value></attribute></attributes>
  </object>
  <object>
    <pose>Frontal</pose>
    <name>안녕하세요</name>
    <bndbox><xmin>1.5</xmin><ymin>2</ymin><xmax>11.5</xmax><ymax>12</ymax></bndbox>
  </object>
</annotation>`,
  );
  writeImage(path.join(root, 'test', 'img3.jpg'));
  // <size> disagrees with the real image; the label is an existing word's ASCII label.
  writeFileSync(path.join(root, 'test', 'img3.xml'), labelImgXml({ folder: 'test', filename: 'img3.jpg', w: 100, h: 100, objects: [{ name: 'hello', xmin: 5, ymin: 5, xmax: 25, ymax: 25 }] }));
  writeImage(path.join(root, 'test', 'img4.jpg')); // not annotated yet
  writeFileSync(path.join(root, 'test', 'img5.xml'), labelImgXml({ folder: 'test', filename: 'img5.jpg', w: 64, h: 48, objects: [{ name: 'hello', xmin: 1, ymin: 1, xmax: 9, ymax: 9 }] }));
  writeFileSync(path.join(root, 'test', 'notes.xml'), 'this is not XML at all');
  writeImage(path.join(root, 'train', 'empty.jpg'));
  writeFileSync(path.join(root, 'train', 'empty.xml'), labelImgXml({ folder: 'train', filename: 'empty.jpg', w: 64, h: 48, objects: [] }));
}

const frameRows = (f: AnnotateFixture) =>
  f.project.db.prepare('SELECT id, video_id, t, file, width, height, status, split_hint FROM frames ORDER BY file').all() as {
    id: number;
    video_id: number | null;
    t: number | null;
    file: string;
    width: number;
    height: number;
    status: string;
    split_hint: string | null;
  }[];
const boxRows = (f: AnnotateFixture) =>
  f.project.db
    .prepare('SELECT fr.file, w.text AS word, b.x, b.y, b.w, b.h, b.difficult, b.source, b.verified FROM boxes b JOIN frames fr ON fr.id = b.frame_id JOIN words w ON w.id = b.word_id ORDER BY fr.file, b.id')
    .all();

describe('image headers', () => {
  it('reads the size of real JPEG and PNG files', () => {
    expect(parseImageHeader(tinyImage('jpg', 64, 48))).toEqual({ format: 'jpeg', width: 64, height: 48, depth: 3 });
    expect(parseImageHeader(tinyImage('png', 40, 30))).toEqual({ format: 'png', width: 40, height: 30, depth: 3 });
    expect(parseImageHeader(Buffer.from('not an image'))).toBeNull();
  });
});

describe('importVoc', () => {
  it('imports a labelImg folder: train/test hints, floats, extra elements, clamping reported, Korean labels', () => {
    const f = fixture();
    f.word('안녕', 1, 'hello');
    const src = path.join(tmp(), 'labelimg');
    awkwardFolder(src);
    const r = importVoc(f.project, src);

    expect(r).toMatchObject({ images: 5, boxes: 4, copied: 5, unlabelled: 1, verified: 1 });
    expect(r.labels).toEqual({ 안녕하세요: 2, 감사합니다: 1, hello: 1 });
    expect(r.problems.map((p) => [p.kind, path.basename(p.file)]).sort()).toEqual([
      ['bad-xml', 'notes.xml'],
      ['missing-image', 'img5.xml'],
      ['out-of-bounds', 'img2.xml'],
      ['size-mismatch', 'img3.xml'],
    ]);
    const oob = r.problems.find((p) => p.kind === 'out-of-bounds')!;
    expect(oob).toMatchObject({ object: 1, label: '감사합니다', box: { x: 40.5, y: 4.25, w: 30, h: 36.5 }, clampedTo: { x: 40.5, y: 4.25, w: 23.5, h: 36.5 } });
    expect(oob.message).toMatch(/clamped/);

    expect(frameRows(f).map((x) => [x.file, x.video_id, x.t, x.width, x.height, x.status, x.split_hint])).toEqual([
      ['imports/voc/test/img3.jpg', null, null, 64, 48, 'labelled', 'test'],
      ['imports/voc/test/img4.jpg', null, null, 64, 48, 'unlabelled', 'test'],
      ['imports/voc/train/empty.jpg', null, null, 64, 48, 'skipped', 'train'],
      ['imports/voc/train/img1.jpg', null, null, 64, 48, 'verified', 'train'],
      ['imports/voc/train/img2.png', null, null, 64, 48, 'labelled', 'train'],
    ]);
    for (const x of frameRows(f)) expect(existsSync(path.join(f.project.dir, x.file))).toBe(true);
    expect(readFileSync(path.join(f.project.dir, 'imports/voc/train/img2.png')).equals(tinyImage('png'))).toBe(true);

    expect(boxRows(f)).toEqual([
      { file: 'imports/voc/test/img3.jpg', word: '안녕', x: 5, y: 5, w: 20, h: 20, difficult: 0, source: 'imported', verified: 0 },
      { file: 'imports/voc/train/img1.jpg', word: '안녕하세요', x: 10, y: 8, w: 20, h: 24, difficult: 0, source: 'imported', verified: 1 },
      { file: 'imports/voc/train/img2.png', word: '감사합니다', x: 40.5, y: 4.25, w: 23.5, h: 36.5, difficult: 1, source: 'imported', verified: 0 },
      { file: 'imports/voc/train/img2.png', word: '안녕하세요', x: 1.5, y: 2, w: 10, h: 10, difficult: 0, source: 'imported', verified: 0 },
    ]);
    // The NFD label became the NFC word; new words are created without a level.
    const words = f.project.db.prepare('SELECT text, label, level FROM words ORDER BY id').all();
    expect(words).toEqual([
      { text: '안녕', label: 'hello', level: 1 },
      { text: '안녕하세요', label: null, level: null },
      { text: '감사합니다', label: null, level: null },
    ]);

    // Importing again adds nothing and copies nothing.
    const again = importVoc(f.project, src);
    expect(again).toMatchObject({ images: 0, boxes: 0, copied: 0 });
    expect(again.problems.filter((p) => p.kind === 'already-imported')).toHaveLength(5);
    expect(frameRows(f)).toHaveLength(5);
  });

  it('registers images already inside the project where they are, without copying', () => {
    const f = fixture();
    const inside = path.join(f.project.dir, 'data', 'voc');
    writeImage(path.join(inside, 'train', 'a.jpg'));
    writeFileSync(path.join(inside, 'train', 'a.xml'), labelImgXml({ folder: 'train', filename: 'a.jpg', w: 64, h: 48, objects: [{ name: '병원', xmin: 2, ymin: 3, xmax: 20, ymax: 30 }] }));
    const r = importVoc(f.project, inside);
    expect(r).toMatchObject({ images: 1, boxes: 1, copied: 0 });
    expect(frameRows(f).map((x) => [x.file, x.split_hint])).toEqual([['data/voc/train/a.jpg', 'train']]);
    expect(existsSync(path.join(f.project.dir, 'imports', 'voc', 'train'))).toBe(false);
  });

  it('refuses a folder holding an XML with a DOCTYPE, naming the file, before writing anything', () => {
    const f = fixture();
    const src = path.join(tmp(), 'evil');
    writeImage(path.join(src, 'a.jpg'));
    writeFileSync(path.join(src, 'a.xml'), labelImgXml({ folder: 'evil', filename: 'a.jpg', w: 64, h: 48, objects: [{ name: 'ok', xmin: 1, ymin: 1, xmax: 9, ymax: 9 }] }));
    writeImage(path.join(src, 'b.jpg'));
    writeFileSync(
      path.join(src, 'b.xml'),
      `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<annotation><filename>b.jpg</filename><object><name>&xxe;</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>\n`,
    );
    let err: unknown;
    try {
      importVoc(f.project, src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KslError);
    expect((err as KslError).code).toBe('FORBIDDEN');
    expect((err as KslError).message).toContain(path.join(src, 'b.xml'));
    expect((err as KslError).message).not.toMatch(/root:|nologin/);
    expect(frameRows(f)).toEqual([]);
    expect(f.project.db.prepare('SELECT count(*) FROM words').pluck().get()).toBe(0);
    expect(existsSync(path.join(f.project.dir, 'imports', 'voc', 'a.jpg'))).toBe(false);
  });

  it('reports a missing folder clearly', () => {
    const f = fixture();
    expect(() => importVoc(f.project, path.join(tmp(), 'nope'))).toThrow(/no such folder/);
  });

  it('remembers the split folder nearest the image', () => {
    expect(splitHintFor('train/a.jpg')).toBe('train');
    expect(splitHintFor('images/Test/a.jpg')).toBe('test');
    expect(splitHintFor('val/x/a.jpg')).toBe('val');
    expect(splitHintFor('병원/a.jpg')).toBe('병원');
    expect(splitHintFor('a.jpg')).toBeNull();
  });
});
