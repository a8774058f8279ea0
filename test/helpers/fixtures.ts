import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository root: the nearest folder above this file with a package.json (this file is
 * test/helpers/fixtures.ts; a benchmark bundled by scripts/run-ts.mjs runs from node_modules/.cache/).
 */
export const repoRoot = ((): string => {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return path.resolve(__dirname, '..', '..');
  }
})();

/** Public test material lives beside the checkout in ../shared/fixtures (see its README). */
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures');

/**
 * Path of a shared fixture, or undefined when ../shared/fixtures is absent on a developer machine.
 * Under CI=true a missing fixture is a failure, never a silent skip.
 */
export function fixture(rel: string): string | undefined {
  const p = path.join(fixturesDir, rel);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true') {
    throw new Error(`Fixture ${p} is missing; CI needs ../shared/fixtures beside the checkout.`);
  }
  console.warn(`[skip] fixture ${p} is missing (../shared/fixtures is not beside this checkout)`);
  return undefined;
}
