import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Project } from '../../../src-main/services/catalog/project';
import { claimNewRun } from '../../../src-main/services/training/run-store';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-runid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run ids', () => {
  it('two runs started in the same second get different folders', () => {
    const project = { dir } as Project;
    const now = new Date('2026-11-26T03:39:01.000Z');
    const a = claimNewRun(project, undefined, now);
    const b = claimNewRun(project, undefined, now);
    const c = claimNewRun(project, 2, now);
    expect(a).toBe('20261126-033901-all');
    expect(b).toBe('20261126-033901-all-2');
    expect(c).toBe('20261126-033901-level2');
    for (const id of [a, b, c]) expect(existsSync(path.join(dir, 'runs', id))).toBe(true);
  });
});
