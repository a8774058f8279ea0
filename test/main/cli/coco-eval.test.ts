import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ksl } from '../../helpers/cli';
import { fixture } from '../../helpers/fixtures';
import { useTmpDir } from '../../helpers/tmp';

const gt = fixture('coco/instances_val2014_100.json');
const dt = fixture('coco/instances_val2014_fakebbox100_results.json');
const expected = fixture('coco/expected-bbox-stats.json');

describe('ksl coco-eval', () => {
  const tmp = useTmpDir();

  it.skipIf(!gt || !dt || !expected)('prints the 12 pycocotools stats to 1e-12 as JSON', () => {
    const r = ksl(['coco-eval', '--gt', gt!, '--dt', dt!, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const got = r.json().stats as Record<string, number>;
    const want = JSON.parse(readFileSync(expected!, 'utf8')).stats as Record<string, number>;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expect(Math.abs(got[k]! - want[k]!), k).toBeLessThanOrEqual(1e-12);
    expect(r.json().perCategory.length).toBeGreaterThan(0);
  });

  it('names the file and field of a malformed input', () => {
    const dir = tmp();
    const bad = path.join(dir, 'gt.json');
    writeFileSync(bad, JSON.stringify({ images: [{ id: 1 }], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, -3, 4], area: 1 }], categories: [{ id: 1, name: 'a' }] }));
    const d = path.join(dir, 'dt.json');
    writeFileSync(d, '[]');
    const r = ksl(['coco-eval', '--gt', bad, '--dt', d, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/gt\.json: annotations\[0\]\.bbox\[2\]/);
  });
});
