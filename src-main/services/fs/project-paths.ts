/**
 * The second containment check for paths that come from the UI (the first is the ProjectRelPath
 * schema): resolve against the project folder, follow symlinks, and refuse anything that ends up
 * outside it.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';

export function resolveInProject(projectDir: string, rel: string): string {
  const root = realpathSync(projectDir);
  if (rel.includes('\0') || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) {
    throw new KslError('OUTSIDE_PROJECT', `The path ${JSON.stringify(rel)} is not inside the project folder.`);
  }
  const abs = path.resolve(root, rel.normalize('NFC'));
  const real = existsSync(abs) ? realpathSync(abs) : abs;
  if (!isInside(root, real) || !isInside(root, abs)) {
    throw new KslError('OUTSIDE_PROJECT', `The path ${JSON.stringify(rel)} is outside the project folder ${root}; only files inside the project can be opened from the app.`);
  }
  return real;
}

export function isInside(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/** A path as the catalog stores it: relative (forward slashes) when inside the project, else absolute. */
export function toCatalogPath(projectDir: string, abs: string): string {
  const r = path.relative(projectDir, abs);
  if (r && !r.startsWith('..') && !path.isAbsolute(r)) return r.split(path.sep).join('/');
  return abs;
}

export function fromCatalogPath(projectDir: string, stored: string): string {
  return path.isAbsolute(stored) ? stored : path.join(projectDir, stored);
}
