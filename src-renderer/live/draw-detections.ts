/**
 * Boxes over the video: drawn on a canvas laid exactly over the <video> (same box, object-fit
 * contain), each with its word and score in a filled tag so Hangul stays readable on any scene.
 */
import type { LiveDetection } from '../../src-shared/api-live';

/** Local fonts only (the app is offline): Nanum on Debian/Ubuntu, Malgun on Windows, Apple SD on macOS. */
export const HANGUL_FONTS = "'Noto Sans KR', 'NanumGothic', 'Nanum Gothic', 'NanumBarunGothic', 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif";

const COLOURS = ['#4ea1ff', '#3fb950', '#d29922', '#f778ba', '#a371f7', '#ff7b72', '#39c5cf'];
export const colourOf = (classId: number) => COLOURS[(classId - 1 + COLOURS.length * 100) % COLOURS.length]!;

/** Where the video's picture lies inside its element (object-fit: contain). */
export function contentRect(elW: number, elH: number, vidW: number, vidH: number): { x: number; y: number; w: number; h: number } {
  if (!vidW || !vidH) return { x: 0, y: 0, w: elW, h: elH };
  const s = Math.min(elW / vidW, elH / vidH);
  const w = vidW * s;
  const h = vidH * s;
  return { x: (elW - w) / 2, y: (elH - h) / 2, w, h };
}

export function drawDetections(canvas: HTMLCanvasElement, video: HTMLVideoElement, detections: readonly LiveDetection[], opts: { fontPx?: number } = {}): void {
  const dpr = window.devicePixelRatio || 1;
  const elW = canvas.clientWidth;
  const elH = canvas.clientHeight;
  if (canvas.width !== Math.round(elW * dpr) || canvas.height !== Math.round(elH * dpr)) {
    canvas.width = Math.round(elW * dpr);
    canvas.height = Math.round(elH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, elW, elH);
  const r = contentRect(elW, elH, video.videoWidth, video.videoHeight);
  const fontPx = opts.fontPx ?? Math.max(16, Math.round(r.h / 20));
  ctx.font = `700 ${fontPx}px ${HANGUL_FONTS}`;
  ctx.textBaseline = 'top';
  for (const d of detections) {
    const [ymin, xmin, ymax, xmax] = d.box;
    const x = r.x + xmin * r.w;
    const y = r.y + ymin * r.h;
    const w = (xmax - xmin) * r.w;
    const h = (ymax - ymin) * r.h;
    const colour = colourOf(d.classId);
    ctx.lineWidth = Math.max(2, fontPx / 8);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    const text = `${d.label} ${Math.round(d.score * 100)}%`;
    const tw = ctx.measureText(text).width + fontPx * 0.6;
    const th = fontPx * 1.35;
    // the tag sits above the box, or inside it when the box touches the top
    const ty = y - th >= r.y ? y - th : y;
    const tx = Math.min(Math.max(x, r.x), r.x + r.w - tw);
    ctx.fillStyle = colour;
    ctx.fillRect(tx, ty, tw, th);
    ctx.fillStyle = '#05121f';
    ctx.fillText(text, tx + fontPx * 0.3, ty + fontPx * 0.15);
  }
}
