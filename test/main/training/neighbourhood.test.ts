/**
 * Context rows (im2col): a per-position linear map of them is a SAME-padded (dilated) convolution,
 * checked against a direct convolution; the neighbour table against hand-written values.
 */
import { describe, expect, it } from 'vitest';
import { FEATURE_CHANNELS as K, FEATURE_POSITIONS } from '../../../src-main/services/training/features';
import { contextChannels, contextRows, gatherContext, neighbourTable, NO_CONTEXT } from '../../../src-main/services/training/neighbourhood';

describe('neighbourhood', () => {
  it('lists the 3×3 neighbours of a 3×3 map row-major, −1 outside', () => {
    const t = neighbourTable({ radius: 1, dilation: 1 }, [3, 2]);
    expect(t.length).toBe((9 + 4) * 9);
    // centre of the 3×3 map sees all of it
    expect(Array.from(t.subarray(4 * 9, 5 * 9))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // top-left corner
    expect(Array.from(t.subarray(0, 9))).toEqual([-1, -1, -1, -1, 0, 1, -1, 3, 4]);
    // the second level's positions are numbered after the first's (9 + …)
    expect(Array.from(t.subarray(9 * 9, 10 * 9))).toEqual([-1, -1, -1, -1, 9, 10, -1, 11, 12]);
    // dilation 2 on the 3×3 map: only the corners of the centre's window exist
    const d = neighbourTable({ radius: 1, dilation: 2 }, [3]);
    expect(Array.from(d.subarray(4 * 9, 5 * 9))).toEqual([-1, -1, -1, -1, 4, -1, -1, -1, -1]);
    expect(Array.from(d.subarray(0, 9))).toEqual([-1, -1, -1, -1, 0, 2, -1, 6, 8]);
  });

  it('numbers a non-square map row by row (width = row length)', () => {
    // a 2×3 map (2 rows, 3 columns): positions 0 1 2 / 3 4 5
    const t = neighbourTable({ radius: 1, dilation: 1 }, [[2, 3]]);
    expect(t.length).toBe(6 * 9);
    // position 1 (row 0, column 1)
    expect(Array.from(t.subarray(1 * 9, 2 * 9))).toEqual([-1, -1, -1, 0, 1, 2, 3, 4, 5]);
    // position 5 (row 1, column 2)
    expect(Array.from(t.subarray(5 * 9, 6 * 9))).toEqual([1, 2, -1, 4, 5, -1, -1, -1, -1]);
  });

  it('no context is the features themselves', () => {
    const pool = Float32Array.from({ length: 2 * FEATURE_POSITIONS * K }, (_, i) => i % 97);
    const rows = contextRows(pool, 1, 1, NO_CONTEXT);
    expect(rows.length).toBe(FEATURE_POSITIONS * K);
    expect(rows[5]).toBe(pool[FEATURE_POSITIONS * K + 5]);
    expect(contextChannels({ radius: 1, dilation: 1 })).toBe(9 * K);
  });

  it('a linear map of the rows equals a SAME-padded 3×3 convolution on each level', () => {
    const sizes = [40, 20, 10];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
    const pool = Float32Array.from({ length: FEATURE_POSITIONS * K }, rand);
    for (const dilation of [1, 2]) {
      const ctx = { radius: 1, dilation };
      const w = Float32Array.from({ length: 9 * K }, rand); // one output channel, kernel [dy][dx][c]
      const rows = contextRows(pool, 0, 1, ctx);
      const table = neighbourTable(ctx);
      let base = 0;
      for (const size of sizes) {
        for (const [y, x] of [[0, 0], [size - 1, 3], [5, size - 1], [size >> 1, size >> 1]] as const) {
          let conv = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy * dilation;
              const xx = x + dx * dilation;
              if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
              const q = (dy + 1) * 3 + (dx + 1);
              for (let c = 0; c < K; c++) conv += w[q * K + c]! * pool[(base + yy * size + xx) * K + c]!;
            }
          }
          const p = base + y * size + x;
          let mm = 0;
          for (let i = 0; i < 9 * K; i++) mm += w[i]! * rows[p * 9 * K + i]!;
          expect(mm).toBeCloseTo(conv, 3);
          // gathering one position gives the same row
          const one = new Float32Array(9 * K);
          gatherContext(pool, 0, [p], table, 9, one, 0);
          expect(Array.from(one)).toEqual(Array.from(rows.subarray(p * 9 * K, (p + 1) * 9 * K)));
        }
        base += size * size;
      }
    }
  });
});
