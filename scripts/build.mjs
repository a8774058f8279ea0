// Builds everything a user runs: the Node side (CLI, web server, Electron main + preload + services host) with
// esbuild into dist/main, and the React UI with Vite into dist/renderer. `npm ci` runs this
// through the prepare script, so `npx ksl` works right after install.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Dependencies (native modules included) load from node_modules at run time.
  packages: 'external',
  absWorkingDir: root,
};
await Promise.all([
  build({ ...common, entryPoints: { cli: 'src-main/cli/main.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' } }),
  // Live inference runs in a worker thread of its own (src-main/services/inference/inference-service.ts finds it here).
  build({ ...common, entryPoints: { 'inference-worker': 'src-main/services/inference/inference-worker.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' } }),
  // The train job hands part of each batch to a gradient worker (src-main/services/training/grad-workers.ts finds it here).
  build({ ...common, entryPoints: { 'grad-worker': 'src-main/services/training/grad-worker.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' } }),
  build({ ...common, entryPoints: { 'electron-main': 'src-main/electron/main.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
  // The services (catalog, jobs, training, inference) run in an Electron utilityProcess, off the main thread.
  build({ ...common, entryPoints: { 'services-host': 'src-main/electron/services-host.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
  // A sandboxed preload can require only 'electron' (and a few polyfills): bundle the contract in.
  build({ ...common, packages: undefined, entryPoints: { preload: 'src-main/electron/preload.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
]);
await viteBuild({ configFile: path.join(root, 'vite.config.mts'), logLevel: 'warn' });
console.error(`build: dist/main and dist/renderer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
