/**
 * Paths in a packaged app: what must be a real file (spawned, dlopen'ed, or read outside Electron's
 * fs) is unpacked by electron-builder.yml's asarUnpack, and the code points at the unpacked copy.
 * The globs are checked against the files this checkout really has in node_modules.
 */
import Module from 'node:module';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFfmpeg, resetFfmpegCache } from '../../../src-main/services/media/ffmpeg-path';
import { unpackedPath } from '../../../src-main/services/fs/unpacked-path';
import { repoRoot } from '../../helpers/fixtures';

/** The asarUnpack list of electron-builder.yml (a flat list of quoted globs under that key). */
function asarUnpackGlobs(): string[] {
  const yml = readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8').split('\n');
  const start = yml.findIndex((l) => l.startsWith('asarUnpack:'));
  expect(start).toBeGreaterThan(-1);
  const globs: string[] = [];
  for (const l of yml.slice(start + 1)) {
    const m = /^\s+-\s+"?([^"]+)"?\s*$/.exec(l);
    if (!m) break;
    globs.push(m[1]!);
  }
  return globs;
}

const matches = (file: string, glob: string): boolean =>
  (path as unknown as { matchesGlob: (p: string, g: string) => boolean }).matchesGlob(file, glob);
const unpacked = (rel: string) => asarUnpackGlobs().some((g) => matches(rel, g));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
const rel = (abs: string) => path.relative(repoRoot, abs).split(path.sep).join('/');

describe('unpackedPath', () => {
  it('maps a path inside app.asar to app.asar.unpacked, and nothing else', () => {
    expect(unpackedPath('/opt/KSL Studio/resources/app.asar/node_modules/ffmpeg-static/ffmpeg')).toBe(
      '/opt/KSL Studio/resources/app.asar.unpacked/node_modules/ffmpeg-static/ffmpeg',
    );
    expect(unpackedPath('C:\\Program Files\\KSL Studio\\resources\\app.asar\\node_modules\\ffmpeg-static\\ffmpeg.exe')).toBe(
      'C:\\Program Files\\KSL Studio\\resources\\app.asar.unpacked\\node_modules\\ffmpeg-static\\ffmpeg.exe',
    );
    for (const same of [
      '/home/me/ksl/node_modules/ffmpeg-static/ffmpeg',
      '/opt/KSL Studio/resources/app.asar.unpacked/node_modules/x.node',
      '/home/me/myapp.asar/ffmpeg',
      '/home/me/app.asar',
    ]) {
      expect(unpackedPath(same)).toBe(same);
    }
  });
});

describe('electron-builder.yml asarUnpack', () => {
  it('unpacks the native addons and the libraries they load', () => {
    const ort = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const ortFiles = filesUnder(path.join(ort, 'bin')).map(rel);
    expect(ortFiles.some((f) => f.endsWith('.node'))).toBe(true);
    for (const f of ortFiles) expect(unpacked(f), f).toBe(true);
    const sqlite = rel(path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node'));
    expect(existsSync(path.join(repoRoot, sqlite))).toBe(true);
    expect(unpacked(sqlite)).toBe(true);
    for (const f of ['node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node', 'node_modules/@tensorflow/tfjs-node/lib/napi-v8/libtensorflow.so.2']) {
      expect(unpacked(f), f).toBe(true); // optional dependency, absent here: its layout
    }
  });

  it('unpacks ffmpeg-static and the TensorFlow.js wasm files the code points at', () => {
    for (const f of ['node_modules/ffmpeg-static/ffmpeg', 'node_modules/ffmpeg-static/ffmpeg.exe']) expect(unpacked(f), f).toBe(true);
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    const wasm = readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThanOrEqual(3);
    for (const n of wasm) expect(unpacked(rel(path.join(wasmDir, n))), n).toBe(true);
    // features.ts: setWasmPaths(unpackedPath(dirname(require.resolve(...))))
    const packagedDir = `/opt/KSL Studio/resources/app.asar/${rel(wasmDir)}`;
    expect(unpackedPath(packagedDir)).toBe(`/opt/KSL Studio/resources/app.asar.unpacked/${rel(wasmDir)}`);
    expect(readFileSync(path.join(repoRoot, 'src-main/services/training/features.ts'), 'utf8')).toMatch(/setWasmPaths\(unpackedPath\(/);
  });

  it('keeps what is only read through fs (UI, bundles, the handtrackjs model) inside the archive', () => {
    const model = path.join(path.dirname(require.resolve('handtrackjs/package.json')), 'models/webmodel/ssd320fpnlite/base');
    for (const f of readdirSync(model)) expect(unpacked(rel(path.join(model, f))), f).toBe(false);
    for (const f of ['dist/main/electron-main.cjs', 'dist/main/services-host.cjs', 'dist/renderer/index.html', 'package.json']) expect(unpacked(f), f).toBe(false);
  });
});

describe('ffmpeg-static in a packaged app', () => {
  const load = (Module as unknown as { _load: (...a: unknown[]) => unknown })._load;
  let tmp: string | undefined;
  afterEach(() => {
    (Module as unknown as { _load: unknown })._load = load;
    resetFfmpegCache();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('spawns the unpacked copy of the binary ffmpeg-static names inside app.asar', () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-asar-'));
    const exe = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
    const inAsar = path.join(tmp, 'resources', 'app.asar', 'node_modules', 'ffmpeg-static', exe);
    const real = unpackedPath(inAsar);
    mkdirSync(path.dirname(real), { recursive: true });
    writeFileSync(real, '#!/bin/sh\n');
    chmodSync(real, 0o755);
    // ffmpeg-static is an optional download that is absent here: stand in for its `module.exports = path`.
    (Module as unknown as { _load: (...a: unknown[]) => unknown })._load = function (request: unknown, ...rest: unknown[]) {
      if (request === 'ffmpeg-static') return inAsar;
      return load.call(this, request, ...rest);
    };
    resetFfmpegCache();
    expect(findFfmpeg()).toEqual({ path: real, source: 'ffmpeg-static' });
  });
});
