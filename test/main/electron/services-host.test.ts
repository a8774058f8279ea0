/**
 * `npm start` hands the services host a better-sqlite3 addon built for Electron's ABI; the host
 * must load that file instead of node_modules' Node build. Here the "Electron build" is a copy of
 * the Node one at another path, so the test can see which file was loaded.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

describe('services host: the Electron build of better-sqlite3 under npm start', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-addon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the addon it is given, and resolves everything else as before', async () => {
    const nodeBuild = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
    const electronBuild = path.join(dir, 'better_sqlite3.node');
    copyFileSync(nodeBuild, electronBuild);
    const { useElectronSqlite } = await import('../../../src-main/electron/services-host');
    useElectronSqlite(electronBuild);
    expect(require.cache[electronBuild]).toBeUndefined();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(':memory:');
    expect(db.prepare('SELECT 1 + 1 AS two').get()).toEqual({ two: 2 });
    db.close();
    expect(require.cache[electronBuild]).toBeDefined();
    expect(require.cache[nodeBuild]).toBeUndefined();
    expect(require.resolve('better-sqlite3')).toMatch(/node_modules[\\/]better-sqlite3[\\/]lib[\\/]index\.js$/);
  });
});
