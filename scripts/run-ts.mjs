// Runs a TypeScript entry (benchmarks, the demo) with the project's own esbuild: bundled to a
// CommonJS file under node_modules/.cache (so its dependencies resolve from the repository),
// then executed with the given arguments.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args…]');
  process.exit(2);
}
const outDir = path.join(root, 'node_modules', '.cache', 'ksl-run');
mkdirSync(outDir, { recursive: true });
const out = path.join(outDir, path.basename(entry).replace(/\.ts$/, '') + '.cjs');
await build({ entryPoints: [path.resolve(entry)], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning', sourcemap: 'inline', absWorkingDir: root });
process.argv = [process.argv[0], path.resolve(entry), ...args];
await import(pathToFileURL(out).href);
