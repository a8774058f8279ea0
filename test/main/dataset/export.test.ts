import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { initProject, type Project } from '../../../src-main/services/catalog/project';
import { cocoForSplit, exportCocoSplit } from '../../../src-main/services/dataset/export-coco';
import { exportTfrecord, touchesEdge, viewOf } from '../../../src-main/services/dataset/export-tfrecord';
import { labelMapItems } from '../../../src-main/services/dataset/label-maps';
import { makeSplit } from '../../../src-main/services/dataset/split';
import { CatalogBuilder, FRAME_H, FRAME_W, standardCatalog, tinyJpeg } from '../../helpers/dataset-fixture';
import { ExampleView, readTFRecords } from '../../helpers/tfrecord-reader';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir();

function setup(): { p: Project; b: CatalogBuilder; words: Record<string, number>; out: string } {
  const root = tmp();
  const p = initProject(path.join(root, 'proj'));
  const b = new CatalogBuilder(p, true);
  const { words } = standardCatalog(b);
  return { p, b, words, out: path.join(root, 'export') };
}

const records = (file: string) => readTFRecords(new Uint8Array(readFileSync(file))).map((r) => ExampleView.decode(r));

describe('exportTfrecord', () => {
  it('writes one example per split frame, with normalised boxes and the label map\'s classes', async () => {
    const { p, out, words } = setup();
    // A box that touches the right edge is truncated, as labelImg marks it.
    const edge = new CatalogBuilder(p, true).video(words['학교'], '1', 1, { box: { x: 40, y: 10, w: 24, h: 20 } });
    const split = makeSplit(p, { by: 'signer', level: 1 });
    const progress: number[] = [];
    const r = await exportTfrecord(p, out, { level: 1, numSteps: 1234, onProgress: (done) => progress.push(done) });

    expect(r.out).toBe(path.resolve(out));
    expect(r.numClasses).toBe(3);
    expect(r.split).toEqual({ id: split.id, method: 'signer', level: 1, leaks: 0 });
    expect(r.warnings).toEqual([]);
    expect(r.train.records).toBe(split.train.frames);
    expect(r.test.records).toBe(split.test.frames);
    expect(progress.at(-1)).toBe(split.total.frames);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'label_map.pbtxt', 'pipeline.config', 'test.record', 'train.record']);

    const labelMap = parseLabelMap(readFileSync(r.labelMap, 'utf8'), r.labelMap);
    expect(labelMap.map((i) => [i.id, i.name])).toEqual([
      [1, 'hello'],
      [2, 'thanks'],
      [3, '학교'],
    ]);
    const idOf = new Map(labelMap.map((i) => [i.name, i.id]));

    const frameRows = new Map(
      (p.db.prepare("SELECT f.id, f.file, f.status, v.direction FROM frames f JOIN videos v ON v.id = f.video_id").all() as { id: number; file: string; status: string; direction: string }[]).map((f) => [String(f.id), f]),
    );
    const sideOf = new Map((p.db.prepare('SELECT frame_id, side FROM split_members WHERE split_id = ?').all(split.id) as { frame_id: number; side: string }[]).map((m) => [String(m.frame_id), m.side]));
    let boxes = 0;
    for (const side of ['train', 'test'] as const) {
      const examples = records(path.join(out, `${side}.record`));
      expect(examples.length).toBe(r[side].records);
      let sideBoxes = 0;
      for (const ex of examples) {
        const id = ex.text('image/source_id')[0];
        const frame = frameRows.get(id)!;
        expect(sideOf.get(id)).toBe(side);
        expect(ex.text('image/filename')).toEqual([frame.file]);
        expect(ex.text('image/format')).toEqual(['jpeg']);
        expect(ex.ints('image/width')).toEqual([FRAME_W]);
        expect(ex.ints('image/height')).toEqual([FRAME_H]);
        expect(Buffer.from(ex.bytes('image/encoded')[0]).equals(tinyJpeg())).toBe(true);
        const labels = ex.ints('image/object/class/label');
        const texts = ex.text('image/object/class/text');
        if (frame.status === 'skipped') {
          expect(labels).toEqual([]); // background example
          continue;
        }
        expect(labels.length).toBe(1);
        expect(labels).toEqual(texts.map((t) => idOf.get(t)));
        const box = p.db.prepare('SELECT b.x, b.y, b.w, b.h, w.text, w.label FROM boxes b JOIN words w ON w.id = b.word_id WHERE b.frame_id = ?').get(Number(id)) as {
          x: number; y: number; w: number; h: number; text: string; label: string | null;
        };
        expect(texts).toEqual([box.label ?? box.text]);
        expect(ex.floats('image/object/bbox/xmin')[0]).toBeCloseTo(box.x / FRAME_W, 6);
        expect(ex.floats('image/object/bbox/xmax')[0]).toBeCloseTo((box.x + box.w) / FRAME_W, 6);
        expect(ex.floats('image/object/bbox/ymin')[0]).toBeCloseTo(box.y / FRAME_H, 6);
        expect(ex.floats('image/object/bbox/ymax')[0]).toBeCloseTo((box.y + box.h) / FRAME_H, 6);
        for (const k of ['xmin', 'xmax', 'ymin', 'ymax']) for (const v of ex.floats(`image/object/bbox/${k}`)) expect(v >= 0 && v <= 1).toBe(true);
        expect(ex.text('image/object/view')).toEqual([frame.direction === '정면' ? 'Frontal' : 'Unspecified']);
        expect(ex.ints('image/object/truncated')).toEqual([id === String(edge.frames[0]) ? 1 : 0]);
        expect(ex.ints('image/object/difficult')).toEqual([0]);
        sideBoxes++;
      }
      expect(sideBoxes).toBe(r[side].boxes);
      boxes += sideBoxes;
    }
    expect(boxes).toBe(p.db.prepare('SELECT COUNT(*) FROM boxes b JOIN words w ON w.id = b.word_id WHERE w.level = 1').pluck().get());

    const config = readFileSync(r.pipelineConfig, 'utf8');
    expect(config).toMatch(/^\s*num_classes: 3$/m);
    expect(config).toMatch(/^\s*num_steps: 1234$/m);
    expect(config).toMatch(/^\s*total_steps: 1234$/m);
    expect(config).toMatch(/fine_tune_checkpoint_type: "detection"/);
    expect(config).toMatch(/label_map_path: "label_map.pbtxt"/);
    expect(config).toMatch(/input_path: "train.record"/);
    expect(config).toMatch(/input_path: "test.record"/);
    expect(config).not.toMatch(/^\s*random_horizontal_flip\s*{/m); // only named in comments
    const readme = readFileSync(r.readme, 'utf8');
    expect(readme).toContain(`| Training images | ${r.train.records} (\`train.record\`) |`);
    expect(readme).toContain('level `1`');
    p.close();
  });

  it('is reproducible: the same split exports the same bytes', async () => {
    const { p, out } = setup();
    makeSplit(p, { by: 'video', level: 2 });
    await exportTfrecord(p, out, { level: 2 });
    const first = readFileSync(path.join(out, 'train.record'));
    await exportTfrecord(p, out + '-2', { level: 2 });
    expect(readFileSync(path.join(out + '-2', 'train.record')).equals(first)).toBe(true);
    expect(readFileSync(path.join(out, 'pipeline.config'), 'utf8')).toMatch(/total_steps: 5000/);
    p.close();
  });

  it('needs a split first', async () => {
    const { p, out } = setup();
    await expect(exportTfrecord(p, out, { level: 1 })).rejects.toThrow(/run ksl split first/);
    makeSplit(p, { by: 'signer', level: 2 });
    await expect(exportTfrecord(p, out, { level: 1 })).rejects.toThrow(/level 1 yet; run ksl split first/);
    await expect(exportTfrecord(p, out)).rejects.toThrow(/all words yet/);
    p.close();
  });

  it('leaves no record files behind when a frame file is missing, or when cancelled', async () => {
    const { p, out } = setup();
    const split = makeSplit(p, { by: 'signer', level: 1 });
    const victim = p.db.prepare('SELECT f.file FROM split_members m JOIN frames f ON f.id = m.frame_id WHERE m.split_id = ? ORDER BY f.id DESC LIMIT 1').pluck().get(split.id) as string;
    rmSync(path.join(p.dir, victim));
    await expect(exportTfrecord(p, out, { level: 1 })).rejects.toThrow(new RegExp(`Cannot read frame .*${victim.replace(/\//g, '\\/')}`));
    expect(readdirSync(out)).toEqual([]);

    const ac = new AbortController();
    ac.abort();
    await expect(exportTfrecord(p, out, { level: 1, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(out)).toEqual([]);
    p.close();
  });

  it('leaves out frames whose boxes were deleted after the split, and warns', async () => {
    const { p, out } = setup();
    const split = makeSplit(p, { by: 'signer', level: 1 });
    const victim = p.db.prepare("SELECT f.id FROM split_members m JOIN frames f ON f.id = m.frame_id WHERE m.split_id = ? AND f.status = 'labelled' LIMIT 1").pluck().get(split.id);
    p.db.prepare('DELETE FROM boxes WHERE frame_id = ?').run(victim);
    const r = await exportTfrecord(p, out, { level: 1 });
    expect(r.train.records + r.test.records).toBe(split.total.frames - 1);
    expect(r.warnings.some((w) => /1 frames of split .* no longer have boxes/.test(w))).toBe(true);
    p.close();
  });

  it('labels the edge and the view as the notebook\'s labelImg export did', () => {
    expect(touchesEdge({ x: 0, y: 10, w: 5, h: 5 }, 64, 48)).toBe(true);
    expect(touchesEdge({ x: 1, y: 10, w: 5, h: 5 }, 64, 48)).toBe(true);
    expect(touchesEdge({ x: 10, y: 10, w: 53, h: 5 }, 64, 48)).toBe(true);
    expect(touchesEdge({ x: 10, y: 10, w: 5, h: 37 }, 64, 48)).toBe(true);
    expect(touchesEdge({ x: 2, y: 2, w: 50, h: 30 }, 64, 48)).toBe(false);
    expect(viewOf('정면')).toBe('Frontal');
    expect(viewOf('정면'.normalize('NFD'))).toBe('Frontal');
    expect(viewOf('측면')).toBe('Unspecified');
    expect(viewOf(null)).toBe('Unspecified');
  });
});

describe('exportCocoSplit', () => {
  it('writes the test side as COCO ground truth with label-map categories', () => {
    const { p, out } = setup();
    const split = makeSplit(p, { by: 'signer', level: 1 });
    const file = path.join(out, 'test.json');
    const r = exportCocoSplit(p, file, { level: 1, side: 'test' });
    expect(r).toMatchObject({ out: file, splitId: split.id, side: 'test', images: split.test.frames, categories: 3, warnings: [] });
    const coco = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(coco).sort()).toEqual(['annotations', 'categories', 'images', 'info']);
    expect(coco.categories).toEqual(labelMapItems(p, 1).map((c) => ({ id: c.id, name: c.name, supercategory: 'sign' })));
    expect(coco.images.length).toBe(split.test.frames);
    const imageIds = new Set(coco.images.map((i: { id: number }) => i.id));
    for (const img of coco.images) {
      expect(img).toEqual({ id: expect.any(Number), file_name: expect.stringMatching(/^frames\/\d+\/\d+\.jpg$/), width: 64, height: 48 });
      expect(existsSync(path.join(p.dir, img.file_name))).toBe(true);
    }
    const skipped = p.db.prepare("SELECT COUNT(*) FROM split_members m JOIN frames f ON f.id = m.frame_id WHERE m.split_id = ? AND m.side = 'test' AND f.status = 'skipped'").pluck().get(split.id) as number;
    expect(coco.annotations.length).toBe(split.test.frames - skipped);
    expect(r.annotations).toBe(coco.annotations.length);
    const ids = new Set(labelMapItems(p, 1).map((c) => c.id));
    for (const a of coco.annotations) {
      expect(imageIds.has(a.image_id)).toBe(true);
      expect(ids.has(a.category_id)).toBe(true);
      expect(a.iscrowd).toBe(0);
      expect(a.area).toBe(a.bbox[2] * a.bbox[3]);
      const box = p.db.prepare('SELECT x, y, w, h FROM boxes WHERE id = ?').get(a.id) as { x: number; y: number; w: number; h: number };
      expect(a.bbox).toEqual([box.x, box.y, box.w, box.h]);
    }
    p.close();
  });

  it('exports train, all, or an explicit split', () => {
    const { p } = setup();
    const s1 = makeSplit(p, { by: 'video', level: 2 });
    makeSplit(p, { by: 'signer', level: 2 });
    expect(cocoForSplit(p, { level: 2, side: 'all' }).coco.images.length).toBe(s1.total.frames);
    const train = cocoForSplit(p, { splitId: s1.id, side: 'train' });
    expect(train.splitId).toBe(s1.id);
    expect(train.coco.images.length).toBe(s1.train.frames);
    expect(() => cocoForSplit(p, { splitId: s1.id, level: 1 })).toThrow(/made for level 2, not level 1/);
    expect(() => cocoForSplit(p, { level: 1 })).toThrow(/run ksl split first/);
    p.close();
  });
});
