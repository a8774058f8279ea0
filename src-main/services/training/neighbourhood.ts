/**
 * Spatial context for the per-position head without convolutions: each position's input is the
 * concatenation of the FPN features at its (2r+1)×(2r+1) neighbourhood on the same level (offsets
 * spaced by `dilation`), zeros outside the map — im2col, so a per-position MLP on these rows is exactly
 * a (dilated) (2r+1)×(2r+1) convolution with SAME zero padding, trained with matMuls only (the wasm
 * backend has no Conv2DBackpropFilter).
 *
 * Why: the 1×1 head sees one stride-8 cell of a hand that covers 3–5 cells; the words of the sample
 * differ in the silhouette (fingers spread, folded, one or two raised, a ring, a turned palm), which
 * the whole hand's cells show together.
 *
 * Row layout: neighbour q = (dy + r)·(2r+1) + (dx + r) (row-major over dy, then dx), each a block of
 * the K channels of a position (features.ts: FPN, then any extra channels). export-onnx.ts builds the same rows with Pad + Slice + Concat.
 */
import { FEATURE_CHANNELS, FEATURE_POSITIONS } from './features';
import { HALF_TO_FLOAT } from './half';

/** Side of each FPN level's map (strides 8, 16, 32 at 320 px), in the pool's position order. */
export const LEVEL_SIZES: readonly number[] = [40, 20, 10];

export interface Neighbourhood {
  /** r: 0 is the plain 1×1 head. */
  radius: number;
  /** Spacing of the neighbours in cells (1 = adjacent). */
  dilation: number;
}

export const NO_CONTEXT: Readonly<Neighbourhood> = Object.freeze({ radius: 0, dilation: 1 });

/** Number of neighbours per position, (2r+1)². */
export const neighbours = (n: Neighbourhood): number => (2 * n.radius + 1) ** 2;

/** Input width of the head: neighbours × channels per position. */
export const contextChannels = (n: Neighbourhood, K: number = FEATURE_CHANNELS): number => neighbours(n) * K;

/**
 * For every position, the positions of its neighbours (−1 outside the map), [P × (2r+1)²]. `levels` are
 * the maps' sides (square) or [height, width] pairs.
 */
export function neighbourTable(n: Neighbourhood, levels: readonly (number | readonly [number, number])[] = LEVEL_SIZES): Int32Array {
  const { radius: r, dilation: d } = n;
  if (!Number.isInteger(r) || r < 0 || !Number.isInteger(d) || d < 1) throw new Error(`neighbourhood: radius ${r}, dilation ${d}`);
  const k = neighbours(n);
  const shapes = levels.map((l) => (typeof l === 'number' ? ([l, l] as const) : l));
  const total = shapes.reduce((s, [h, w]) => s + h * w, 0);
  const table = new Int32Array(total * k);
  let base = 0;
  let o = 0;
  for (const [rows, cols] of shapes) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy * d;
            const xx = x + dx * d;
            table[o++] = yy >= 0 && yy < rows && xx >= 0 && xx < cols ? base + yy * cols + xx : -1;
          }
        }
      }
    }
    base += rows * cols;
  }
  return table;
}

/**
 * Writes the context rows of `positions` of one sample (its features start at `base` in `pool`, K
 * channels per position) to `out` from `outOffset`, one row of neighbours × K values per position.
 */
export function gatherContext(pool: Float32Array, base: number, positions: ArrayLike<number>, table: Int32Array, k: number, out: Float32Array, outOffset: number, K: number = FEATURE_CHANNELS): void {
  const row = k * K;
  for (let j = 0; j < positions.length; j++) {
    const p = positions[j]!;
    let o = outOffset + j * row;
    for (let q = 0; q < k; q++, o += K) {
      const nb = table[p * k + q]!;
      if (nb < 0) out.fill(0, o, o + K);
      else out.set(pool.subarray(base + nb * K, base + (nb + 1) * K), o);
    }
  }
}

const allPositions = new Map<number, Int32Array>();
/** 0 … P − 1. */
export function everyPosition(P: number = FEATURE_POSITIONS): Int32Array {
  let a = allPositions.get(P);
  if (!a) allPositions.set(P, (a = Int32Array.from({ length: P }, (_, i) => i)));
  return a;
}

/**
 * The context rows of every position of samples first … first + n − 1 of `pool` (P positions per
 * sample), as one [n × P × neighbours·K] array (the head's input for prediction).
 * With no context it is a view of the pool, not a copy. A non-square input needs its `table`.
 */
export function contextRows(pool: Float32Array, first: number, n: number, context: Neighbourhood, table?: Int32Array, K: number = FEATURE_CHANNELS, P: number = FEATURE_POSITIONS): Float32Array {
  const size = P * K;
  if (context.radius === 0) return pool.subarray(first * size, (first + n) * size);
  const k = neighbours(context);
  const t = table ?? neighbourTable(context);
  if (t.length !== P * k) throw new Error(`neighbourhood: the table covers ${t.length / k} positions, the pool has ${P}`);
  const out = new Float32Array(n * P * k * K);
  const all = everyPosition(P);
  for (let i = 0; i < n; i++) gatherContext(pool, (first + i) * size, all, t, k, out, i * P * k * K, K);
  return out;
}

/** gatherContext for a pool stored as half-precision bits (half.ts). */
export function gatherContextHalf(pool: Uint16Array, base: number, positions: ArrayLike<number>, table: Int32Array, k: number, out: Float32Array, outOffset: number, K: number = FEATURE_CHANNELS): void {
  const row = k * K;
  for (let j = 0; j < positions.length; j++) {
    const p = positions[j]!;
    let o = outOffset + j * row;
    for (let q = 0; q < k; q++, o += K) {
      const nb = table[p * k + q]!;
      if (nb < 0) {
        out.fill(0, o, o + K);
        continue;
      }
      const src = base + nb * K;
      for (let c = 0; c < K; c++) out[o + c] = HALF_TO_FLOAT[pool[src + c]!]!;
    }
  }
}
