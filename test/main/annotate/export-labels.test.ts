import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addBox, setFrameStatus, verifyFrame } from '../../../src-main/services/annotate/boxes';
import { exportCocoLabels, exportLabels, exportPath, pyFixed, vocBndbox } from '../../../src-main/services/annotate/export-labels';
import { importVoc } from '../../../src-main/services/annotate/import-voc';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';
import { AnnotateFixture, labelImgXml, writeImage } from './fixture';

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

const snapshot = (f: AnnotateFixture) => ({
  frames: f.project.db.prepare('SELECT file, width, height, status, split_hint FROM frames ORDER BY file').all(),
  boxes: f.project.db
    .prepare('SELECT fr.file, w.text AS word, b.x, b.y, b.w, b.h, b.difficult, b.verified FROM boxes b JOIN frames fr ON fr.id = b.frame_id JOIN words w ON w.id = b.word_id ORDER BY fr.file, b.id')
    .all(),
});

function labelImgFolder(root: string): void {
  writeImage(path.join(root, 'train', 'a.jpg'));
  writeFileSync(
    path.join(root, 'train', 'a.xml'),
    labelImgXml({
      folder: 'train',
      filename: 'a.jpg',
      w: 64,
      h: 48,
      verified: true,
      objects: [
        { name: '안녕하세요', xmin: 10, ymin: 8, xmax: 30, ymax: 32 },
        { name: '감사합니다', xmin: 1, ymin: 5, xmax: 64, ymax: 20, difficult: 1 },
      ],
    }),
  );
  writeImage(path.join(root, 'test', 'b.png'), 'png');
  writeFileSync(path.join(root, 'test', 'b.xml'), labelImgXml({ folder: 'test', filename: 'b.png', w: 64, h: 48, objects: [{ name: '병원', xmin: 5, ymin: 5, xmax: 25, ymax: 25 }] }));
}

describe('export voc', () => {
  it("writes labelImg's layout and element order, and import → export → import gives the same boxes", () => {
    const src = path.join(tmp(), 'labelimg');
    labelImgFolder(src);
    const p1 = fixture();
    importVoc(p1.project, src);
    const out = path.join(tmp(), 'voc-out');
    const r = exportLabels(p1.project, out, 'voc');
    expect(r).toEqual({ format: 'voc', out, images: 2, boxes: 3, classes: 3, warnings: [] });

    expect(readFileSync(path.join(out, 'train', 'a.xml'), 'utf8')).toBe(
      [
        '<annotation verified="yes">',
        '\t<folder>train</folder>',
        '\t<filename>a.jpg</filename>',
        `\t<path>${path.join(out, 'train', 'a.jpg')}</path>`,
        '\t<source>',
        '\t\t<database>Unknown</database>',
        '\t</source>',
        '\t<size>',
        '\t\t<width>64</width>',
        '\t\t<height>48</height>',
        '\t\t<depth>3</depth>',
        '\t</size>',
        '\t<segmented>0</segmented>',
        '\t<object>',
        '\t\t<name>안녕하세요</name>',
        '\t\t<pose>Unspecified</pose>',
        '\t\t<truncated>0</truncated>',
        '\t\t<difficult>0</difficult>',
        '\t\t<bndbox>',
        '\t\t\t<xmin>10</xmin>',
        '\t\t\t<ymin>8</ymin>',
        '\t\t\t<xmax>30</xmax>',
        '\t\t\t<ymax>32</ymax>',
        '\t\t</bndbox>',
        '\t</object>',
        '\t<object>',
        '\t\t<name>감사합니다</name>',
        '\t\t<pose>Unspecified</pose>',
        '\t\t<truncated>1</truncated>',
        '\t\t<difficult>1</difficult>',
        '\t\t<bndbox>',
        '\t\t\t<xmin>1</xmin>',
        '\t\t\t<ymin>5</ymin>',
        '\t\t\t<xmax>64</xmax>',
        '\t\t\t<ymax>20</ymax>',
        '\t\t</bndbox>',
        '\t</object>',
        '</annotation>',
        '',
      ].join('\n'),
    );
    expect(readFileSync(path.join(out, 'test', 'b.png')).equals(readFileSync(path.join(src, 'test', 'b.png')))).toBe(true);

    const p2 = fixture();
    const back = importVoc(p2.project, out);
    expect(back.problems).toEqual([]);
    expect(snapshot(p2)).toEqual(snapshot(p1));
  });

  it('writes integer coordinates the way labelImg does: int(), and mins raised to 1', () => {
    expect(vocBndbox({ x: 0, y: 0.4, w: 20.9, h: 10.2 })).toEqual({ xmin: 1, ymin: 1, xmax: 20, ymax: 10 });
    expect(vocBndbox({ x: 12.7, y: 3.2, w: 10, h: 10 })).toEqual({ xmin: 12, ymin: 3, xmax: 22, ymax: 13 });
  });

  it('maps catalog paths to export paths', () => {
    expect(exportPath('frames/12/00003.jpg', 5)).toBe('12/00003.jpg');
    expect(exportPath('imports/voc/train/a.jpg', 5)).toBe('train/a.jpg');
    expect(exportPath('data/x.png', 5)).toBe('data/x.png');
    expect(exportPath('../escape.jpg', 5)).toBe('other/5.jpg');
    expect(exportPath('/abs/x.jpg', 6)).toBe('other/6.jpg');
  });
});

/** Two words of level 1 and one of level 2, video frames with files on disk. */
function videoProject() {
  const f = fixture();
  const hello = f.word('안녕하세요', 1, 'hello');
  const thanks = f.word('감사합니다', 1);
  const hospital = f.word('병원', 2);
  const v1 = f.video(hello, 3, { files: true, signer: 'S01' });
  const v2 = f.video(thanks, 2, { files: true, signer: 'S02' });
  const v3 = f.video(hospital, 1, { files: true });
  addBox(f.project, v1.frames[0]!, { x: 16, y: 12, w: 32, h: 24 });
  addBox(f.project, v1.frames[1]!, { x: 0, y: 0, w: 1, h: 1 });
  setFrameStatus(f.project, v1.frames[2]!, 'skipped'); // background
  addBox(f.project, v2.frames[0]!, { x: 10.25, y: 4.5, w: 20, h: 30, difficult: true });
  verifyFrame(f.project, v2.frames[0]!);
  addBox(f.project, v3.frames[0]!, { x: 5, y: 5, w: 10, h: 10 });
  return { f, hello, thanks, hospital, v1, v2, v3 };
}

describe('export yolo', () => {
  it('writes classes.txt and one normalised line per box, 6 decimals as Python prints them', () => {
    const { f, v1, v2 } = videoProject();
    const out = path.join(tmp(), 'yolo');
    const r = exportLabels(f.project, out, 'yolo', { level: 1 });
    // The label map's order: by name in code points, so the ASCII label 'hello' comes before Hangul.
    expect(readFileSync(path.join(out, 'classes.txt'), 'utf8')).toBe('hello\n감사합니다\n');
    expect(r).toMatchObject({ format: 'yolo', images: 4, boxes: 3, classes: 2 });
    const txt = (fr: string) => readFileSync(path.join(out, fr.replace(/^frames\//, '').replace(/\.jpg$/, '.txt')), 'utf8');
    const file = (id: number) => f.project.db.prepare('SELECT file FROM frames WHERE id = ?').pluck().get(id) as string;
    expect(txt(file(v1.frames[0]!))).toBe('0 0.500000 0.500000 0.500000 0.500000\n');
    // cx = 0.5/64 = 0.0078125 exactly: Python's '%.6f' rounds the tie to even (…812), toFixed would give …813.
    expect(txt(file(v1.frames[1]!))).toBe('0 0.007812 0.010417 0.015625 0.020833\n');
    expect(txt(file(v1.frames[2]!))).toBe(''); // a skipped frame is a background image
    // (10.25 + 10) / 64 = 0.31640625, (4.5 + 15) / 48 = 0.40625, 20/64 = 0.3125, 30/48 = 0.625
    expect(txt(file(v2.frames[0]!))).toBe('1 0.316406 0.406250 0.312500 0.625000\n');
    expect(existsSync(path.join(out, file(v1.frames[0]!).replace(/^frames\//, '')))).toBe(true);
  });

  it('pyFixed matches Python on ties and ordinary values', () => {
    expect(pyFixed(0.0078125)).toBe('0.007812');
    expect(pyFixed(0.0234375)).toBe('0.023438'); // 3/128: tie after an odd digit rounds up
    expect(pyFixed(0.5078125)).toBe('0.507812'); // tie after an even digit stays
    expect(pyFixed(0.31640625)).toBe('0.316406'); // no tie: ordinary rounding
    expect(pyFixed(0.1)).toBe('0.100000');
    expect(pyFixed(2 / 3)).toBe('0.666667');
    expect(pyFixed(1)).toBe('1.000000');
  });
});

describe('export coco (labels)', () => {
  it('writes annotations.json with frame ids, box ids and label-map categories', () => {
    const { f, v1, v3 } = videoProject();
    const out = path.join(tmp(), 'coco');
    const r = exportCocoLabels(f.project, out);
    expect(r).toMatchObject({ format: 'coco', images: 5, boxes: 4, classes: 3 });
    const doc = JSON.parse(readFileSync(path.join(out, 'annotations.json'), 'utf8'));
    expect(doc.categories).toEqual([
      { id: 1, name: 'hello', supercategory: 'sign' },
      { id: 2, name: '감사합니다', supercategory: 'sign' },
      { id: 3, name: '병원', supercategory: 'sign' },
    ]);
    const file0 = f.project.db.prepare('SELECT file FROM frames WHERE id = ?').pluck().get(v1.frames[0]) as string;
    expect(doc.images[0]).toEqual({ id: v1.frames[0], file_name: file0.replace(/^frames\//, ''), width: 64, height: 48 });
    expect(doc.images.map((i: { file_name: string }) => existsSync(path.join(out, i.file_name)))).toEqual([true, true, true, true, true]);
    const hosp = doc.annotations.find((a: { image_id: number }) => a.image_id === v3.frames[0]);
    expect(hosp).toMatchObject({ category_id: 3, bbox: [5, 5, 10, 10], area: 100, iscrowd: 0 });
  });
});

describe('export guards', () => {
  it('refuses to write over the project’s own images; reports missing images', () => {
    const { f, v1 } = videoProject();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as KslError).code;
      }
      return 'ok';
    };
    expect(code(() => exportLabels(f.project, path.join(f.project.dir, 'frames'), 'voc'))).toBe('INVALID');
    expect(code(() => exportLabels(f.project, f.project.dir, 'voc'))).toBe('INVALID');
    expect(code(() => exportLabels(f.project, path.join(tmp(), 'x'), 'bogus' as never))).toBe('INVALID');
    expect(code(() => exportLabels(f.project, path.join(tmp(), 'x'), 'voc', { level: 7 }))).toBe('INVALID');

    const file = f.project.db.prepare('SELECT file FROM frames WHERE id = ?').pluck().get(v1.frames[0]) as string;
    rmSync(path.join(f.project.dir, file));
    const inExports = path.join(f.project.dir, 'exports', 'voc');
    mkdirSync(inExports, { recursive: true });
    const r = exportLabels(f.project, inExports, 'voc', { level: 1 });
    expect(r.images).toBe(3);
    expect(r.warnings).toEqual([`frame ${v1.frames[0]}: ${file} is missing from the project folder; it was left out.`]);
  });
});
