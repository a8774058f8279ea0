import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerDatasetCommands } from '../../../src-main/cli/commands/dataset';
import { initProject } from '../../../src-main/services/catalog/project';
import { CatalogBuilder, standardCatalog } from '../../helpers/dataset-fixture';
import { ExampleView, readTFRecords } from '../../helpers/tfrecord-reader';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir();

/** Runs `ksl <args>` with only the dataset commands; returns what it wrote and the exit code. */
async function ksl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command('ksl').exitOverride();
  const exportCmd = program.command('export');
  registerDatasetCommands(program, exportCmd);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  class Exit extends Error {
    constructor(readonly code: number) {
      super(`exit ${code}`);
    }
  }
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    throw new Exit(code ?? 0);
  }) as never);
  let code = 0;
  try {
    await program.parseAsync(['node', 'ksl', ...args]);
  } catch (e) {
    if (e instanceof Exit) code = e.code;
    else throw e;
  } finally {
    vi.restoreAllMocks();
  }
  return { stdout, stderr, code };
}

afterEach(() => vi.restoreAllMocks());

function project(files = false): string {
  const dir = path.join(tmp(), 'proj');
  const p = initProject(dir);
  standardCatalog(new CatalogBuilder(p, files));
  p.close();
  return dir;
}

describe('ksl split', () => {
  it('--by signer --json prints one document with the agreed names and leaks as a number', async () => {
    const dir = project();
    const r = await ksl('split', dir, '--by', 'signer', '--level', '1', '--test', '0.3', '--seed', '7', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ method: 'signer', seed: 7, testFraction: 0.3, level: 1, leaks: 0, leakDetails: { count: 0, kind: 'signer', groups: [] } });
    for (const side of ['train', 'test']) expect(Object.keys(doc[side]).sort()).toEqual(['frames', 'signers', 'videos']);
    expect(doc.train.frames + doc.test.frames).toBe(doc.total.frames);
    expect(doc.perWord[0]).toMatchObject({ word: '안녕하세요', label: 'hello', level: 1, train: { frames: expect.any(Number) }, test: { frames: expect.any(Number) } });
  });

  it('--by frame warns on stderr and reports its leaks', async () => {
    const dir = project();
    const r = await ksl('split', dir, '--by', 'frame', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --by frame puts near-duplicate frames/);
    const doc = JSON.parse(r.stdout);
    expect(doc.leaks).toBeGreaterThan(0);
    expect(doc.leakDetails.groups.length).toBe(doc.leaks);
  });

  it('--holdout-signers and --from-folders', async () => {
    const dir = project();
    const h = JSON.parse((await ksl('split', dir, '--holdout-signers', '9, 10', '--json')).stdout);
    expect(h.holdoutSigners).toEqual(['10', '9']);
    expect(h.test.signers).toBe(2);
    const f = await ksl('split', dir, '--from-folders', '--json');
    expect(f.code).toBe(2); // INVALID
    expect(f.stderr).toMatch(/^ksl: None of the labelled frames came from a train\/ or test\/ folder/m);
  });

  it('fails with one line and a non-zero exit on bad input', async () => {
    const dir = project();
    const noBy = await ksl('split', dir, '--json');
    expect(noBy.code).toBe(2);
    expect(noBy.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(noBy.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const bad = await ksl('split', dir, '--by', 'person');
    expect(bad.code).toBe(2);
    const missing = await ksl('split', path.join(tmp(), 'nowhere'), '--by', 'signer');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not a KSL Studio project/);
  });
});

describe('ksl export', () => {
  it('tfrecord and coco after a split', async () => {
    const dir = project(true);
    expect((await ksl('split', dir, '--by', 'video', '--level', '2', '--json')).code).toBe(0);
    const out = path.join(path.dirname(dir), 'od');
    const t = await ksl('export', 'tfrecord', dir, out, '--level', '2', '--steps', '800', '--json');
    expect(t.code).toBe(0);
    const doc = JSON.parse(t.stdout);
    expect(doc).toMatchObject({ out, numClasses: 3, train: { records: expect.any(Number) }, test: { records: expect.any(Number) } });
    expect(readTFRecords(new Uint8Array(readFileSync(path.join(out, 'test.record'))))).toHaveLength(doc.test.records);
    const first = ExampleView.decode(readTFRecords(new Uint8Array(readFileSync(path.join(out, 'train.record'))))[0]);
    expect(first.text('image/format')).toEqual(['jpeg']);
    expect(readFileSync(path.join(out, 'pipeline.config'), 'utf8')).toMatch(/total_steps: 800/);

    const c = await ksl('export', 'coco', dir, path.join(out, 'gt.json'), '--level', '2', '--side', 'all', '--json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ side: 'all', images: doc.train.records + doc.test.records, categories: 3 });

    const none = await ksl('export', 'tfrecord', dir, out, '--level', '1', '--json');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/run ksl split first/);
  });
});
