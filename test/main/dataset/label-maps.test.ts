import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { initProject } from '../../../src-main/services/catalog/project';
import { labelMapItems, writeLabelMaps } from '../../../src-main/services/dataset/label-maps';
import { CatalogBuilder } from '../../helpers/dataset-fixture';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir();

describe('label maps', () => {
  it('number words from 1 by level, then name; Korean text when there is no ASCII label', () => {
    const p = initProject(path.join(tmp(), 'proj'));
    const b = new CatalogBuilder(p);
    b.word('학교', 1);
    b.word('유치원 버스', 2, 'kindergarten_bus');
    b.word('안녕하세요', 1, 'hello');
    b.word('119', 2);
    b.word('미정', null);
    b.word('가다', 1);
    const all = labelMapItems(p);
    expect(all.map((i) => [i.id, i.name, i.level])).toEqual([
      [1, 'hello', 1],
      [2, '가다', 1],
      [3, '학교', 1],
      [4, '119', 2],
      [5, 'kindergarten_bus', 2],
      [6, '미정', null],
    ]);
    expect(all[0].displayName).toBe('안녕하세요');
    expect(all[1].displayName).toBeUndefined();
    expect(labelMapItems(p, 2).map((i) => [i.id, i.name, i.text])).toEqual([
      [1, '119', '119'],
      [2, 'kindergarten_bus', '유치원 버스'],
    ]);
    expect(labelMapItems(p, 3)).toEqual([]);
    // Stable: asking again gives the same ids.
    expect(labelMapItems(p)).toEqual(all);
    p.close();
  });

  it('writes label_map.pbtxt and one file per level, readable by the parser', () => {
    const root = tmp();
    const p = initProject(path.join(root, 'proj'));
    const b = new CatalogBuilder(p);
    b.word('안녕하세요', 1);
    b.word('감사합니다', 1, 'thanks');
    b.word('유치원 버스', 2);
    const out = path.join(root, 'maps');
    const files = writeLabelMaps(p, out);
    expect(files.map((f) => path.basename(f))).toEqual(['label_map.pbtxt', 'label_map_level1.pbtxt', 'label_map_level2.pbtxt']);
    const all = parseLabelMap(readFileSync(files[0], 'utf8'), files[0]);
    expect(all).toEqual([
      { id: 1, name: 'thanks', displayName: '감사합니다' },
      { id: 2, name: '안녕하세요' },
      { id: 3, name: '유치원 버스' },
    ]);
    expect(readFileSync(files[0], 'utf8')).toContain("name: '안녕하세요'"); // UTF-8 as is, not escaped
    expect(parseLabelMap(readFileSync(files[2], 'utf8'), files[2])).toEqual([{ id: 1, name: '유치원 버스' }]);
    p.close();
  });

  it('refuses two words with one name, and a project without words', () => {
    const p = initProject(path.join(tmp(), 'proj'));
    expect(() => writeLabelMaps(p, path.join(p.dir, 'exports'))).toThrow(/no words/);
    const b = new CatalogBuilder(p);
    b.word('119', 1);
    b.word('일일구', 1, '119');
    expect(() => labelMapItems(p)).toThrow(/share the label-map name "119"/);
    p.close();
  });
});
