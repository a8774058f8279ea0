import { resizeRgb } from '../../src-main/services/inference/resize-rgb';

interface T { start: Int32Array; weights: Float32Array; maxTaps: number }
function taps2(src: number, dst: number): T {
  const scale = src / dst; const radius = Math.max(1, scale); const maxTaps = Math.ceil(2 * radius) + 1;
  const start = new Int32Array(dst); const weights = new Float32Array(dst * maxTaps);
  for (let i = 0; i < dst; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    let lo = Math.max(Math.ceil(centre - radius), 0); let hi = Math.min(Math.floor(centre + radius), src - 1);
    if (hi < lo) hi = lo = Math.min(src - 1, Math.max(0, Math.round(centre)));
    const n = Math.min(maxTaps, hi - lo + 1); const w = new Float64Array(n); let sum = 0;
    for (let k = 0; k < n; k++) { w[k] = Math.max(0, 1 - Math.abs(lo + k - centre) / radius); sum += w[k]!; }
    if (sum <= 0) { w[0] = 1; sum = 1; }
    // shift the window inside [0, src - maxTaps] so every position has maxTaps taps (zeros pad)
    const s0 = Math.max(0, Math.min(lo, src - maxTaps));
    for (let k = 0; k < n; k++) weights[i * maxTaps + (lo - s0) + k] = Math.fround(Math.fround(w[k]!) / Math.fround(sum));
    start[i] = s0;
  }
  return { start, weights, maxTaps };
}
function resize2(src: Uint8Array, sw: number, sh: number, dw: number, dh: number, mid: Float32Array, dst: Uint8Array) {
  const tx = taps2(sw, dw); const ty = taps2(sh, dh);
  const M = tx.maxTaps; const xs = tx.start; const xw = tx.weights;
  for (let y = 0; y < sh; y++) {
    const row = y * sw * 3; let o = y * dw * 3;
    for (let x = 0; x < dw; x++) {
      let p = row + xs[x]! * 3; let wo = x * M;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < M; k++, p += 3, wo++) { const w = xw[wo]!; r += src[p]! * w; g += src[p + 1]! * w; b += src[p + 2]! * w; }
      mid[o++] = r; mid[o++] = g; mid[o++] = b;
    }
  }
  const stride = dw * 3; const acc = new Float32Array(stride); const MY = ty.maxTaps;
  for (let y = 0; y < dh; y++) {
    const s0 = ty.start[y]!; const wo = y * MY;
    let w = ty.weights[wo]!; let row = s0 * stride;
    for (let i = 0; i < stride; i++) acc[i] = mid[row + i]! * w;
    for (let k = 1; k < MY; k++) { w = ty.weights[wo + k]!; if (w === 0) continue; row = (s0 + k) * stride; for (let i = 0; i < stride; i++) acc[i]! += mid[row + i]! * w; }
    const out = y * stride;
    for (let i = 0; i < stride; i++) { const v = acc[i]! + 0.5; dst[out + i] = v < 0 ? 0 : v > 255 ? 255 : v; }
  }
  return dst;
}
for (const [w, h] of [[640, 360], [1280, 720], [640, 480]] as const) {
  const s = new Uint8Array(w * h * 3).map((_, i) => (i * 7 + (i >> 9)) & 255);
  const mid = new Float32Array(h * 384 * 3); const dst = new Uint8Array(384 * 224 * 3);
  const a = resizeRgb(s, w, h, 384, 224); const b = resize2(s, w, h, 384, 224, mid, dst);
  let md = 0; for (let i = 0; i < a.length; i++) md = Math.max(md, Math.abs(a[i]! - b[i]!));
  const sc = {};
  for (let k = 0; k < 20; k++) { resizeRgb(s, w, h, 384, 224, sc); resize2(s, w, h, 384, 224, mid, dst); }
  let t1 = 0, t2 = 0;
  for (let r = 0; r < 5; r++) {
    let t = performance.now(); for (let k = 0; k < 10; k++) resizeRgb(s, w, h, 384, 224, sc); t1 += performance.now() - t;
    t = performance.now(); for (let k = 0; k < 10; k++) resize2(s, w, h, 384, 224, mid, dst); t2 += performance.now() - t;
  }
  console.log(w, h, 'cur', (t1 / 50).toFixed(2), 'new', (t2 / 50).toFixed(2), 'maxdiff', md);
}
