import { describe, expect, it } from 'vitest';
import { handShape, HAND_SHAPE_IDS, PACK_STRIDE, packedSdf, primitiveSdf } from '../../../src-main/services/sample/hand-shapes';
import { handMask, type HandPose } from '../../../src-main/services/sample/hand-raster';
import { SAMPLE_WORDS } from '../../../src-main/services/sample/sign-lexicon';
import { createSignerProfile, createSignerScene } from '../../../src-main/services/sample/synthetic-signer';

const N = 32;

/** The word's hand mask, cropped to its box and scaled (aspect kept, centred) into N×N. */
function normalisedMask(wordIndex: number, mirror: boolean): Uint8Array {
  const word = SAMPLE_WORDS[wordIndex];
  const size = 240;
  const pose: HandPose = { cx: size / 2, cy: size / 2, unit: 100, angleDeg: word.rotationDeg, mirror };
  const { mask, box } = handMask(handShape(word.shape), pose, size, size);
  expect(box).not.toBeNull();
  const b = box!;
  const scale = Math.max(b.w, b.h) / N;
  const ox = b.x + b.w / 2 - (N * scale) / 2;
  const oy = b.y + b.h / 2 - (N * scale) / 2;
  const out = new Uint8Array(N * N);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const sx = Math.floor(ox + (x + 0.5) * scale);
      const sy = Math.floor(oy + (y + 0.5) * scale);
      if (sx >= 0 && sy >= 0 && sx < size && sy < size) out[y * N + x] = mask[sy * size + sx];
    }
  }
  return out;
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
  }
  return inter / union;
}

describe('hand shapes', () => {
  it('every word has a silhouette clearly different from every other word, for either hand', () => {
    const right = SAMPLE_WORDS.map((_, i) => normalisedMask(i, false));
    const left = SAMPLE_WORDS.map((_, i) => normalisedMask(i, true));
    let worst = { v: 0, pair: '' };
    for (let a = 0; a < SAMPLE_WORDS.length; a++) {
      for (let b = 0; b < SAMPLE_WORDS.length; b++) {
        if (a === b) continue;
        for (const [v, how] of [
          [iou(right[a], right[b]), 'right/right'],
          [iou(right[a], left[b]), 'right/left'],
        ] as const) {
          if (v > worst.v) worst = { v, pair: `${SAMPLE_WORDS[a].label} vs ${SAMPLE_WORDS[b].label} (${how})` };
        }
      }
    }
    expect(worst.v, worst.pair).toBeLessThan(0.8);
  });

  it('the default six words use six different shapes and six different paths', () => {
    const six = SAMPLE_WORDS.slice(0, 6);
    expect(new Set(six.map((w) => w.shape)).size).toBe(6);
    expect(new Set(six.map((w) => w.path)).size).toBe(6);
    expect(HAND_SHAPE_IDS.length).toBeGreaterThanOrEqual(12);
  });

  it('packs primitives without changing their distance field', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 1.6 - 0.5;
    for (const id of HAND_SHAPE_IDS) {
      const shape = handShape(id);
      shape.primitives.forEach((p, k) => {
        for (let n = 0; n < 50; n++) {
          const x = rand();
          const y = rand();
          expect(packedSdf(shape.packed, k * PACK_STRIDE, x, y)).toBeCloseTo(primitiveSdf(p, x, y), 9);
        }
      });
    }
  });

  it('returns a tight box: the mask touches all four box edges', () => {
    for (const id of HAND_SHAPE_IDS) {
      const { mask, box } = handMask(handShape(id), { cx: 60, cy: 60, unit: 60, angleDeg: 37, mirror: true }, 120, 120);
      const b = box!;
      const at = (x: number, y: number) => mask[y * 120 + x];
      const row = (y: number) => Array.from({ length: b.w }, (_, i) => at(b.x + i, y)).some(Boolean);
      const col = (x: number) => Array.from({ length: b.h }, (_, i) => at(x, b.y + i)).some(Boolean);
      expect([row(b.y), row(b.y + b.h - 1), col(b.x), col(b.x + b.w - 1)], id).toEqual([true, true, true, true]);
      let outside = 0;
      for (let y = 0; y < 120; y++)
        for (let x = 0; x < 120; x++) if (at(x, y) && (x < b.x || y < b.y || x >= b.x + b.w || y >= b.y + b.h)) outside++;
      expect(outside).toBe(0);
    }
  });
});

describe('signer profiles', () => {
  const profiles = Array.from({ length: 10 }, (_, i) => createSignerProfile(1, i + 1));

  it('vary within the documented ranges and include both hands', () => {
    for (const p of profiles) {
      expect(p.handScale).toBeGreaterThanOrEqual(0.75);
      expect(p.handScale).toBeLessThanOrEqual(1.25);
      expect(p.speed).toBeGreaterThanOrEqual(0.8);
      expect(p.speed).toBeLessThanOrEqual(1.25);
    }
    expect(new Set(profiles.map((p) => p.handedness))).toEqual(new Set(['left', 'right']));
    expect(new Set(profiles.map((p) => p.skin.map(Math.round).join())).size).toBeGreaterThan(5);
    expect(new Set(profiles.map((p) => p.sleeve.join())).size).toBe(10);
  });

  it('are deterministic per seed and independent of the number of signers', () => {
    expect(createSignerProfile(1, 3)).toEqual(profiles[2]);
    expect(createSignerProfile(2, 3)).not.toEqual(profiles[2]);
  });
});

describe('signer scene', () => {
  const sceneFor = (wordIndex: number, signer: number, width = 640, height = 360) =>
    createSignerScene({
      width,
      height,
      fps: 30,
      seed: 1,
      videoNumber: 100 * signer + wordIndex,
      signer: createSignerProfile(1, signer),
      word: SAMPLE_WORDS[wordIndex],
    });

  it('renders deterministic frames in any order, with the box of the pixels it drew', () => {
    const a = sceneFor(2, 1);
    const b = sceneFor(2, 1);
    const f5 = a.renderFrame(5);
    b.renderFrame(9);
    const again = b.renderFrame(5);
    expect(Buffer.from(again.rgb).equals(Buffer.from(f5.rgb))).toBe(true);
    expect(again.box).toEqual(f5.box);
    expect(f5.rgb.length).toBe(640 * 360 * 3);
    // Re-rasterising the reported pose gives exactly the reported box.
    expect(handMask(handShape(SAMPLE_WORDS[2].shape), f5.pose, 640, 360).box).toEqual(f5.box);
    // The hand moves.
    expect(a.renderFrame(20).box).not.toEqual(f5.box);
  });

  it('keeps the hand inside the frame and big enough for a 320 px detector input', () => {
    const longSides: number[] = [];
    for (let w = 0; w < 6; w++) {
      for (let s = 1; s <= 10; s++) {
        const scene = sceneFor(w, s);
        for (const i of [0, 44]) {
          const { box } = scene.renderFrame(i);
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.y).toBeGreaterThanOrEqual(0);
          expect(box.x + box.w).toBeLessThanOrEqual(640);
          expect(box.y + box.h).toBeLessThanOrEqual(360);
          longSides.push(Math.max(box.w, box.h));
        }
      }
    }
    longSides.sort((p, q) => p - q);
    expect(longSides[0]).toBeGreaterThanOrEqual(28);
    expect(longSides[Math.floor(longSides.length / 2)]).toBeGreaterThanOrEqual(40);
    expect(longSides[longSides.length - 1]).toBeLessThanOrEqual(0.3 * 360);
  });
});
