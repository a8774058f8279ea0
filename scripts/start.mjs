// `npm start` (or `npm start -- --kiosk`, `npm start -- PROJECT_FOLDER`): the desktop app.
// Electron 45+ fetches its binary on first launch; where that is impossible (no internet) say so in
// two lines and point to the browser door instead.
//
// node_modules holds better-sqlite3 built for Node (the CLI, `ksl serve` and the tests run on Node);
// Electron needs it built for its own ABI. Rather than rebuilding node_modules back and forth, the
// first start installs an Electron build of the same version into node_modules/.cache/ksl-studio/
// and the services host loads that one (KSL_ELECTRON_SQLITE_ADDON, src-main/electron/services-host.ts).
// Packaged apps do not need this: electron-builder rebuilds node_modules for Electron (npm run dist).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const firstErrorLine = (text) =>
  (text || '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|fail/i.test(l));

function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run npm install)' };
  }
  const pathFile = path.join(dir, 'path.txt');
  const bin = existsSync(pathFile) ? path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (bin && existsSync(bin)) return { bin, dir };
  // First launch: let Electron's own installer fetch the binary (quietly; it fails fast offline).
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8', timeout: 300_000 });
  const again = existsSync(pathFile) ? path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (r.status === 0 && again && existsSync(again)) return { bin: again, dir };
  const why = firstErrorLine(r.stderr || r.stdout);
  return { missing: `the Electron binary is not installed and could not be downloaded${why ? ` (${why.slice(0, 120)})` : ''}` };
}

/** better-sqlite3 for Electron's ABI, installed once per Electron and better-sqlite3 version. */
function electronSqlite(electronDir) {
  const electronVersion = JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version;
  const sqliteVersion = require('better-sqlite3/package.json').version;
  const prefix = path.join(root, 'node_modules', '.cache', 'ksl-studio', `electron-${electronVersion}-better-sqlite3-${sqliteVersion}`);
  const addon = path.join(prefix, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(addon)) return { addon };
  console.error(`KSL Studio: building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (first start only)…`);
  mkdirSync(prefix, { recursive: true });
  writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: 'ksl-electron-native', private: true }));
  // Electron's documented way to install a native module for Electron with npm: the npm_config_*
  // variables make prebuild-install fetch (or node-gyp build) the binary for that runtime and ABI.
  const r = spawnSync(npm, ['install', `better-sqlite3@${sqliteVersion}`, '--no-save', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: prefix,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    env: {
      ...process.env,
      npm_config_runtime: 'electron',
      npm_config_target: electronVersion,
      npm_config_disturl: 'https://electronjs.org/headers',
      npm_config_arch: process.arch,
      npm_config_target_arch: process.arch,
    },
  });
  if (r.status === 0 && existsSync(addon)) return { addon };
  const why = firstErrorLine(r.stderr || r.stdout);
  return { missing: `better-sqlite3 could not be built for Electron ${electronVersion}${why ? ` (${why.slice(0, 120)})` : ''}` };
}

if (!existsSync(path.join(root, 'dist', 'main', 'electron-main.cjs')) || !existsSync(path.join(root, 'dist', 'main', 'services-host.cjs'))) {
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const e = electronBinary();
const sqlite = e.missing ? null : electronSqlite(e.dir);
const missing = e.missing ?? sqlite?.missing;
if (missing) {
  console.error(`KSL Studio: ${missing}. On a machine with internet run \`npx install-electron\` (or \`npm install\` again), then \`npm start\`.`);
  console.error('Meanwhile the same UI runs in your browser: `npx ksl serve PROJECT_FOLDER` and open the printed address.');
  process.exit(1);
}
const child = spawn(e.bin, [root, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, KSL_ELECTRON_SQLITE_ADDON: sqlite.addon },
});
child.on('close', (code) => process.exit(code ?? 1));
