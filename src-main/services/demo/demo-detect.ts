/** The demo's last stage: the exported model over a held-out video through the `ksl detect` service. */
import { detectMedia } from '../inference/detect-media';
import type { DemoDetect } from './run-demo';

/** The word said most often: the top detection of each frame, counted over all frames of the clip. */
export function topWordOf(frames: readonly { boxes: readonly { label: string; score: number }[] }[]): { word: string | null; share: number } {
  const counts = new Map<string, number>();
  for (const f of frames) {
    let best: { label: string; score: number } | undefined;
    for (const b of f.boxes) if (!best || b.score > best.score) best = b;
    if (best) counts.set(best.label, (counts.get(best.label) ?? 0) + 1);
  }
  let word: string | null = null;
  let n = 0;
  for (const [w, c] of counts) if (c > n) [word, n] = [w, c];
  return { word, share: frames.length > 0 ? n / frames.length : 0 };
}

export async function detectVideoForDemo(model: string, video: string, labels: string, signal?: AbortSignal): Promise<DemoDetect> {
  const r = await detectMedia(model, { video, labelMap: labels, signal });
  const top = topWordOf(r.detections);
  return { frames: r.frames, fps: r.fps, latencyMs: { p50: r.latencyMs.p50, p95: r.latencyMs.p95 }, topWord: top.word, topWordShare: top.share };
}
