/**
 * `npm run bench:extract`: frame extraction against its baselines, measured side by side in one
 * run on the same 1080p H.264 clip:
 *  - the default preset (5 fps, longest side 640, JPEG) vs a bare `ffmpeg -i clip -f null -` decode
 *    (target: ≤ 1.25×);
 *  - notebook-equivalent output (every frame, full size, PNG) vs the notebook's own method, an
 *    OpenCV VideoCapture + imwrite loop in python3-opencv (target: no slower).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractFrames } from '../../src-main/services/media/extract-frames';
import { findFfmpeg } from '../../src-main/services/media/ffmpeg-path';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-bench-extract-'));
const clip = path.join(tmp, 'clip-1080p.mp4');
const ffmpeg = findFfmpeg().path;

const time = async (fn: () => unknown | Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const best = async (n: number, fn: () => unknown | Promise<unknown>) => {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = Math.min(b, await time(fn));
  return b;
};

async function main() {
  console.log(`making a ${seconds} s 1920x1080 30 fps H.264 clip…`);
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip]);

  const bare = await best(3, () => execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-i', clip, '-f', 'null', '-']));
  const preset = await best(3, () => extractFrames({ input: clip, workDir: path.join(tmp, 'preset'), sample: { mode: 'fps', fps: 5 }, maxSide: 640, format: 'jpg' }));
  console.log(`bare decode (ffmpeg -f null)          ${bare.toFixed(2)} s`);
  console.log(`default preset (5 fps, 640, JPEG)     ${preset.toFixed(2)} s   ratio ${(preset / bare).toFixed(2)}× (target ≤ 1.25×)`);

  const all = await best(2, () => extractFrames({ input: clip, workDir: path.join(tmp, 'all'), sample: { mode: 'all' }, maxSide: null, format: 'png' }));
  console.log(`every frame, full size, PNG           ${all.toFixed(2)} s`);
  const py = spawnSync('/usr/bin/python3', ['-c', 'import cv2; print(cv2.__version__)'], { encoding: 'utf8' });
  if (py.status !== 0) {
    console.log('python3-opencv is not installed (apt install python3-opencv): notebook comparison skipped');
  } else {
    const script = `
import cv2, sys, os
cap = cv2.VideoCapture(sys.argv[1]); out = sys.argv[2]; os.makedirs(out, exist_ok=True); i = 0
while True:
    ok, frame = cap.read()
    if not ok: break
    cv2.imwrite(os.path.join(out, f"{i:06d}.png"), frame); i += 1
print(i)`;
    const nb = await best(2, () => execFileSync('/usr/bin/python3', ['-c', script, clip, path.join(tmp, 'cv2')]));
    console.log(`notebook: OpenCV VideoCapture+imwrite ${nb.toFixed(2)} s   (OpenCV ${py.stdout.trim()})`);
    console.log(`ratio ours/notebook                   ${(all / nb).toFixed(2)}× (target ≤ 1.00×)`);
  }
  rmSync(tmp, { recursive: true, force: true });
}
void main();
