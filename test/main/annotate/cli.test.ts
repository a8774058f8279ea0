import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerAnnotateCommands } from '../../../src-main/cli/commands/annotate';
import { initProject } from '../../../src-main/services/catalog/project';
import { useTmpDir } from '../../helpers/tmp';
import { labelImgXml, writeImage } from './fixture';

const tmp = useTmpDir();
afterEach(() => vi.restoreAllMocks());

/** The commands as main.ts will register them, run in-process; returns what went to stdout and the exit code. */
async function ksl(args: string[]): Promise<{ stdout: string; code: number | null }> {
  const program = new Command('ksl').exitOverride();
  const importCmd = program.command('import');
  const exportCmd = program.command('export');
  registerAnnotateCommands(program, importCmd, exportCmd);
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let code: number | null = 0;
  vi.spyOn(process, 'exit').mockImplementation(((c?: number) => {
    code = c ?? 0;
    throw new Error('exit');
  }) as never);
  try {
    await program.parseAsync(['node', 'ksl', ...args]);
  } catch (e) {
    if ((e as Error).message !== 'exit') throw e;
  }
  vi.restoreAllMocks();
  return { stdout, code };
}

describe('ksl import voc / export voc|yolo / qa', () => {
  it('each prints one JSON document', async () => {
    const dir = path.join(tmp(), 'proj');
    initProject(dir).close();
    const src = path.join(tmp(), 'voc');
    writeImage(path.join(src, 'train', 'a.jpg'));
    writeFileSync(path.join(src, 'train', 'a.xml'), labelImgXml({ folder: 'train', filename: 'a.jpg', w: 64, h: 48, objects: [{ name: '병원', xmin: 4, ymin: 4, xmax: 80, ymax: 40 }] }));

    const imp = await ksl(['import', 'voc', dir, src, '--json']);
    expect(imp.code).toBe(0);
    const r = JSON.parse(imp.stdout);
    expect(r).toMatchObject({ images: 1, boxes: 1, labels: { 병원: 1 } });
    expect(r.problems.map((p: { kind: string }) => p.kind)).toEqual(['out-of-bounds']);

    const out = path.join(tmp(), 'out');
    const voc = await ksl(['export', 'voc', dir, out, '--json']);
    expect(JSON.parse(voc.stdout)).toMatchObject({ format: 'voc', images: 1, boxes: 1, classes: 1 });
    expect(existsSync(path.join(out, 'train', 'a.xml'))).toBe(true);

    const yolo = await ksl(['export', 'yolo', dir, path.join(tmp(), 'yolo'), '--json']);
    expect(JSON.parse(yolo.stdout)).toMatchObject({ format: 'yolo', images: 1 });

    const qa = await ksl(['qa', dir, '--json']);
    const q = JSON.parse(qa.stdout);
    expect(q.counts['frame-without-box']).toBe(0);
    expect(q.notes).toHaveLength(1);
  });

  it('a hostile XML fails the import with FORBIDDEN and a non-zero exit', async () => {
    const dir = path.join(tmp(), 'proj');
    initProject(dir).close();
    const src = path.join(tmp(), 'voc');
    writeImage(path.join(src, 'a.jpg'));
    writeFileSync(path.join(src, 'a.xml'), '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation>&x;</annotation>');
    const r = await ksl(['import', 'voc', dir, src, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(r.stdout).not.toMatch(/root:/);
  });
});
