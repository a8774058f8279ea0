/**
 * Which files under a project's models/ folder the Live screen and the editor are offered, and how a model
 * id resolves: a label map beside each model (label_map.pbtxt in its folder, or NAME.pbtxt /
 * NAME.label_map.pbtxt), two folder levels deep, nothing outside the project.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initProject, type Project } from '../../../src-main/services/catalog/project';
import { listModels, locateModel } from '../../../src-main/services/inference/model-catalog';

describe('models/ in a project', () => {
  let root: string;
  let p: Project;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ksl-models-'));
    p = initProject(path.join(root, 'project'));
    const m = (rel: string, text = 'x') => {
      const f = path.join(p.dir, 'models', rel);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, text);
    };
    m('a/ssd.onnx');
    m('a/label_map.pbtxt');
    m('b.onnx');
    m('b.pbtxt');
    m('c.onnx');
    m('c.label_map.pbtxt');
    m('수어/모델.onnx');
    m('수어/label_map.pbtxt');
    m('no-labels.onnx');
    m('x/y/z/too-deep.onnx');
    m('x/y/z/label_map.pbtxt');
    m('notes.txt');
  });
  afterAll(() => {
    p.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the .onnx files that have a label map, by path', () => {
    expect(listModels(p).map((m) => [m.id, m.source, m.ready])).toEqual([
      ['file:models/a/ssd.onnx', 'file', true],
      ['file:models/b.onnx', 'file', true],
      ['file:models/c.onnx', 'file', true],
      ['file:models/수어/모델.onnx', 'file', true],
    ]);
  });

  it('resolves ids to files and label maps, and refuses the rest with what to do', () => {
    expect(locateModel(p, 'file:models/b.onnx').labelMap).toBe(path.join(p.dir, 'models', 'b.pbtxt'));
    expect(locateModel(p, 'file:models/c.onnx').labelMap).toBe(path.join(p.dir, 'models', 'c.label_map.pbtxt'));
    expect(locateModel(p, 'file:models/수어/모델.onnx'.normalize('NFD')).file).toBe(path.join(p.dir, 'models', '수어', '모델.onnx'));
    expect(() => locateModel(p, 'file:models/no-labels.onnx')).toThrow(/no label map: put its label_map\.pbtxt beside it \(or no-labels\.pbtxt\)/);
    expect(() => locateModel(p, 'file:models/notes.txt')).toThrow(/not an \.onnx file/);
    expect(() => locateModel(p, 'file:models/missing.onnx')).toThrow(/No model file models\/missing\.onnx/);
    expect(() => locateModel(p, 'file:../outside.onnx')).toThrow(/outside the project/);
    expect(() => locateModel(p, 'run:nope')).toThrow(/No training run nope/);
    expect(() => locateModel(p, 'run:..')).toThrow(/does not name a run/);
    expect(() => locateModel(p, 'http://x')).toThrow(/neither run:<id> nor file:<path>/);
  });
});
