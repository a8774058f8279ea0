// `npm run dist` (extra arguments go to electron-builder, e.g. `npm run dist -- --linux dir`):
// build, then package with electron-builder, which rebuilds the native modules in node_modules for
// Electron (npmRebuild in electron-builder.yml). Afterwards better-sqlite3 — the one native module
// that is not Node-API, so its binary is ABI-specific — is rebuilt for this Node again, so that the
// CLI, `ksl serve` and `npm test` keep working after a packaging run.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status ?? 1;

let status = run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);
if (status === 0) {
  status = run(npx, ['electron-builder', '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
  const back = run(npm, ['rebuild', 'better-sqlite3']);
  if (back !== 0) console.error('dist: could not rebuild better-sqlite3 for Node; run `npm rebuild better-sqlite3` before `npm test`.');
  if (status === 0) console.error(`dist: packages in ${path.join(root, 'release')}`);
}
process.exit(status);
