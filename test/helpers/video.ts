import { execFileSync } from 'node:child_process';

/** Makes a real H.264 test clip with ffmpeg's testsrc (moving pattern, timestamps burnt in). */
export function makeClip(out: string, opts: { seconds: number; size?: string; rate?: number; codec?: string[] }): string {
  const size = opts.size ?? '320x240';
  const rate = opts.rate ?? 25;
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${opts.seconds}`,
    ...(opts.codec ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    out,
  ]);
  return out;
}
