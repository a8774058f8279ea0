/**
 * Finds ffmpeg as DESIGN.md says: the ffmpeg-static optional dependency (present on desktops that
 * could download it), then $FFMPEG_PATH, then `ffmpeg` on PATH (Debian's package here). ffprobe is
 * looked up the same way ($FFPROBE_PATH, beside ffmpeg, PATH); without it probing falls back to
 * parsing `ffmpeg -i`.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { unpackedPath } from '../fs/unpacked-path';

export interface ToolPath {
  path: string;
  source: 'ffmpeg-static' | 'FFMPEG_PATH' | 'PATH' | 'FFPROBE_PATH' | 'beside ffmpeg';
}

const exe = process.platform === 'win32' ? '.exe' : '';

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name + exe);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** Inside a packaged app ffmpeg-static's binary lives in app.asar.unpacked (electron-builder's asarUnpack): spawn that copy. */
export { unpackedPath };

function fromFfmpegStatic(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = require('ffmpeg-static') as string | null;
    if (p) {
      const real = unpackedPath(p);
      if (existsSync(real)) return real;
    }
  } catch {
    /* optional dependency not installed: fall through */
  }
  return undefined;
}

let cached: ToolPath | undefined;

export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): ToolPath {
  if (cached && env === process.env) return cached;
  let found: ToolPath | undefined;
  const fromStatic = fromFfmpegStatic();
  if (fromStatic) found = { path: fromStatic, source: 'ffmpeg-static' };
  else if (env.FFMPEG_PATH) {
    if (!isExecutable(env.FFMPEG_PATH)) {
      throw new KslError('UNAVAILABLE', `FFMPEG_PATH is set to ${env.FFMPEG_PATH}, which is not an executable file; fix or unset it.`);
    }
    found = { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' };
  } else {
    const p = onPath('ffmpeg');
    if (p) found = { path: p, source: 'PATH' };
  }
  if (!found) {
    throw new KslError(
      'UNAVAILABLE',
      'ffmpeg was not found: install it (Debian/Ubuntu: sudo apt install ffmpeg; macOS: brew install ffmpeg) or set FFMPEG_PATH to its full path.',
    );
  }
  if (env === process.env) cached = found;
  return found;
}

export function findFfprobe(env: NodeJS.ProcessEnv = process.env): ToolPath | undefined {
  if (env.FFPROBE_PATH && isExecutable(env.FFPROBE_PATH)) return { path: env.FFPROBE_PATH, source: 'FFPROBE_PATH' };
  try {
    const ff = findFfmpeg(env);
    const beside = path.join(path.dirname(ff.path), 'ffprobe' + exe);
    if (isExecutable(beside)) return { path: beside, source: 'beside ffmpeg' };
  } catch {
    /* no ffmpeg either */
  }
  const p = onPath('ffprobe');
  return p ? { path: p, source: 'PATH' } : undefined;
}

/** For tests: forget the cached lookup. */
export function resetFfmpegCache(): void {
  cached = undefined;
}
