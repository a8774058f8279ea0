/** The live path's input scaling is training's toModelInput, bit for bit. */
import { describe, expect, it } from 'vitest';
import { toModelInput } from '../../../src-main/services/training/augment';
import { toModelInputInto } from '../../../src-main/services/inference/model-input';

describe('toModelInputInto', () => {
  it('gives the same float32 values as training for every byte, into the given buffer', () => {
    const rgb = new Uint8Array(3 * 1000);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 97 + (i >> 3)) & 255;
    rgb.set(Uint8Array.from({ length: 256 }, (_, v) => v));
    const out = new Float32Array(rgb.length).fill(NaN);
    expect(toModelInputInto(rgb, out)).toBe(out);
    expect(Buffer.from(out.buffer).equals(Buffer.from(toModelInput(rgb).buffer))).toBe(true);
    expect([out[0], out[255], out[128]]).toEqual([-1, 1, Math.fround(128 / 127.5 - 1)]);
    expect(() => toModelInputInto(rgb, new Float32Array(3))).toThrow(/3000 bytes into 3 floats/);
  });
});
