/**
 * A project is a folder: catalog.sqlite (WAL) plus frames/, runs/, exports/. These functions
 * create and open one; everything else takes the open Project (db first, plain functions).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations';

export const CATALOG_FILE = 'catalog.sqlite';
export const PROJECT_SUBDIRS = ['frames', 'runs', 'exports', 'imports'] as const;

export interface Project {
  dir: string;
  db: Database.Database;
  schemaVersion: number;
  /** Set when opening migrated an older catalog: where its backup copy was written. */
  backup?: string;
  close(): void;
}

function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode (only an OS crash may lose the last
  // commits); every editor edit is its own committed transaction.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}

export function isProject(dir: string): boolean {
  return existsSync(path.join(dir, CATALOG_FILE));
}

/** Creates a new project in `dir` (created if missing). Refuses a folder that already holds one. */
export function initProject(dir: string, now = new Date()): Project {
  const abs = path.resolve(dir);
  if (isProject(abs)) {
    throw new KslError('EXISTS', `${abs} already holds a KSL Studio project (${CATALOG_FILE}); open it instead, or choose an empty folder.`);
  }
  if (existsSync(abs) && !statSync(abs).isDirectory()) {
    throw new KslError('INVALID', `${abs} is a file, not a folder.`);
  }
  mkdirSync(abs, { recursive: true });
  const file = path.join(abs, CATALOG_FILE);
  // Build the catalog under a temporary name and rename it into place: a crash mid-init never
  // leaves a half-made catalog that a second `init` would refuse.
  const tmp = `${file}.init-${process.pid}`;
  const db = new Database(tmp);
  try {
    configure(db);
    migrate(db);
    db.prepare('INSERT INTO meta(key, value) VALUES (?, ?), (?, ?)').run('created_at', now.toISOString(), 'created_by', appVersion());
    db.pragma('journal_mode = DELETE'); // fold the WAL in before the rename
    db.close();
    if (isProject(abs)) throw new KslError('EXISTS', `${abs} already holds a KSL Studio project.`);
    renameSync(tmp, file);
  } catch (e) {
    try { db.close(); } catch { /* already closed */ }
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) if (existsSync(f)) rmSync(f);
    throw e;
  }
  for (const sub of PROJECT_SUBDIRS) mkdirSync(path.join(abs, sub), { recursive: true });
  return openProject(abs);
}

/**
 * Opens a project. A catalog from a newer app is refused untouched; an older one is copied to
 * `catalog.sqlite.v<N>.bak` (a consistent snapshot via VACUUM INTO) and then migrated.
 */
export function openProject(dir: string): Project {
  const abs = path.resolve(dir);
  const file = path.join(abs, CATALOG_FILE);
  if (!existsSync(file)) {
    throw new KslError('NO_PROJECT', `${abs} is not a KSL Studio project (no ${CATALOG_FILE}); create one with: ksl init ${JSON.stringify(abs)}`);
  }
  const db = new Database(file, { fileMustExist: true });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) {
      throw new KslError(
        'SCHEMA_TOO_NEW',
        `${file} was made by a newer KSL Studio (catalog schema ${version}; this app knows up to ${LATEST_SCHEMA_VERSION}). Update KSL Studio to open it; the project was not changed.`,
        { file, schemaVersion: version, supported: LATEST_SCHEMA_VERSION },
      );
    }
    configure(db);
    let backup: string | undefined;
    if (version < LATEST_SCHEMA_VERSION) {
      backup = uniqueBackupName(file, version);
      db.prepare('VACUUM INTO ?').run(backup);
      migrate(db);
    }
    const project: Project = {
      dir: realpathSync(abs),
      db,
      schemaVersion: LATEST_SCHEMA_VERSION,
      backup,
      close: () => { if (db.open) db.close(); },
    };
    for (const sub of PROJECT_SUBDIRS) mkdirSync(path.join(abs, sub), { recursive: true });
    return project;
  } catch (e) {
    db.close();
    throw e;
  }
}

function uniqueBackupName(file: string, version: number): string {
  let candidate = `${file}.v${version}.bak`;
  for (let i = 2; existsSync(candidate); i++) candidate = `${file}.v${version}.${i}.bak`;
  return candidate;
}

let cachedVersion: string | undefined;
export function appVersion(): string {
  if (cachedVersion) return cachedVersion;
  // package.json sits two levels above both src-main/services/catalog (tests) and dist/main (bundle).
  for (const rel of ['../../package.json', '../../../package.json', '../../../../package.json']) {
    const p = path.resolve(__dirname, rel);
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'ksl-studio' && pkg.version) return (cachedVersion = pkg.version);
      } catch { /* keep looking */ }
    }
  }
  return (cachedVersion = '0.0.0');
}

/** Lists project folders' subdirectories (used by `files.list`). */
export function listDir(abs: string): { name: string; isDir: boolean; size: number }[] {
  return readdirSync(abs, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => {
      const st = statSync(path.join(abs, d.name));
      return { name: d.name.normalize('NFC'), isDir: st.isDirectory(), size: st.isDirectory() ? 0 : st.size };
    });
}

