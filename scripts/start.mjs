// `npm start`: the desktop app. Electron 45+ fetches its binary on first launch; where that is
// impossible (no internet) say so in two lines and point to the browser door instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run npm install)' };
  }
  const pathFile = path.join(dir, 'path.txt');
  const bin = existsSync(pathFile) ? path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (bin && existsSync(bin)) return { bin };
  // First launch: let Electron's own installer fetch the binary (quietly; it fails fast offline).
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8', timeout: 300_000 });
  const again = existsSync(pathFile) ? path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (r.status === 0 && again && existsSync(again)) return { bin: again };
  const why = (r.stderr || r.stdout || '').split('\n').map((l) => l.trim()).filter(Boolean).find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN|fail/i.test(l));
  return { missing: `the Electron binary is not installed and could not be downloaded${why ? ` (${why.slice(0, 120)})` : ''}` };
}

if (!existsSync(path.join(root, 'dist', 'main', 'electron-main.cjs'))) {
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const e = electronBinary();
if (e.missing) {
  console.error(`KSL Studio: ${e.missing}. On a machine with internet run \`npx install-electron\` (or \`npm install\` again), then \`npm start\`.`);
  console.error('Meanwhile the same UI runs in your browser: `npx ksl serve PROJECT_FOLDER` and open the printed address.');
  process.exit(1);
}
const child = spawn(e.bin, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('close', (code) => process.exit(code ?? 1));
