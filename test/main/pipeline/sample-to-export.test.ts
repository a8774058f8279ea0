/**
 * The data half of the pipeline on real files: a KETI-shaped sample → import keti (numerals and
 * spaced words included) → extract with real ffmpeg → ground-truth boxes → split by signer →
 * TFRecord export. Everything through the built `ksl` command, as a user would run it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ksl } from '../../helpers/cli';
import { useTmpDir } from '../../helpers/tmp';

describe('sample → import → extract → boxes → split → export', () => {
  const tmp = useTmpDir();

  it('runs through the CLI with the right counts at every step', () => {
    const root = tmp();
    const sample = path.join(root, 'sample');
    const project = path.join(root, 'project');
    const s = ksl(['sample', '--out', sample, '--words', '6', '--signers', '3', '--seconds', '1', '--json', '--quiet']);
    expect(s.code, s.stderr).toBe(0);
    const sj = s.json();
    expect(sj.videos).toBe(18);
    expect(sj.wordList).toEqual(expect.arrayContaining(['119', '유치원 버스']));

    expect(ksl(['init', project]).code).toBe(0);
    const imp = ksl(['import', 'keti', project, '--annotations', sj.annotations, '--words', sj.words, '--labels', sj.labels, '--direction', '정면', '--type', '단어', '--videos', sj.videosDir, '--json', '--quiet']);
    expect(imp.code, imp.stderr).toBe(0);
    const ij = imp.json();
    expect(ij.rows).toBeGreaterThan(18); // the sheet also holds side-view and sentence rows
    expect(ij).toMatchObject({ imported: 18, words: 6, signers: 3, videos: { matched: 18, missing: 0 } });
    const info = ksl(['info', project, '--json']).json();
    expect(info.words.map((w: { text: string }) => w.text)).toEqual(expect.arrayContaining(['119', '유치원 버스']));
    expect(Object.values(info.levels as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);

    const ex = ksl(['extract', project, '--fps', '5', '--json', '--quiet']);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.json()).toMatchObject({ videos: { done: 18, failed: 0 }, frames: 18 * 5 });

    const gt = ksl(['import', 'groundtruth', project, path.join(sample, 'ground-truth.json'), '--json']);
    expect(gt.code, gt.stderr).toBe(0);
    expect(gt.json()).toMatchObject({ videos: 18, frames: 90, boxes: 90, unmatchedFrames: 0 });

    const split = ksl(['split', project, '--by', 'signer', '--test', '0.33', '--seed', '7', '--json']);
    expect(split.code, split.stderr).toBe(0);
    const sp = split.json();
    expect(sp.leaks).toBe(0);
    expect(sp.train.frames + sp.test.frames).toBe(90);
    expect(sp.test.signers).toBeGreaterThanOrEqual(1);
    expect(sp.train.signers + sp.test.signers).toBe(3);

    const out = path.join(root, 'tf');
    const exp = ksl(['export', 'tfrecord', project, out, '--json']);
    expect(exp.code, exp.stderr).toBe(0);
    const ej = exp.json();
    expect(ej.numClasses).toBe(6);
    expect(ej.train.records + ej.test.records).toBe(90);

    // COCO: OUT.json is one side of the split; a folder is every labelled frame with annotations.json
    const side = ksl(['export', 'coco', project, path.join(root, 'test.json'), '--side', 'test', '--json']);
    expect(side.code, side.stderr).toBe(0);
    expect(side.json().images).toBe(sp.test.frames);
    const all = ksl(['export', 'coco', project, path.join(root, 'coco'), '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.json()).toMatchObject({ format: 'coco', images: 90, boxes: 90, classes: 6 });
    const doc = JSON.parse(readFileSync(path.join(root, 'coco', 'annotations.json'), 'utf8'));
    expect(doc.annotations).toHaveLength(90);
    expect(doc.categories.map((c: { name: string }) => c.name)).toHaveLength(6);
  }, 180_000);
});
