/**
 * A second stage for tiny-models' tinyKslModel: the real crop graph (buildCropClassifierOnnx: the backbone
 * at 64×64, pooling, the MLP), with w1 = 0 so that the hidden layer is relu(b1) whatever the crop: word 2
 * wins with P = e³ / (1 + e³) and the box offsets are CROP_OFFSETS. cropSize and pad are not the defaults,
 * so a consumer must read them from the file's metadata.
 */
import { buildCropClassifierOnnx } from '../../../src-main/services/detector/export-onnx';
import { cropFeatureLength, cropWindow, decodeCropBox, type CropClassifierMeta, type CropClassifierWeights } from '../../../src-main/services/training/crop-classifier';

export const CROP_TEST_META: CropClassifierMeta = { cropSize: 64, pad: 1.5, pool: 2 };
export const CROP_P_WORD2 = Math.exp(3) / (1 + Math.exp(3));
export const CROP_OFFSETS = [0.1, -0.05, Math.log(0.5), Math.log(0.6)];

export function biasedCropWeights(): CropClassifierWeights {
  const inputs = cropFeatureLength(CROP_TEST_META.pool);
  const hidden = 4;
  return {
    inputs,
    hidden,
    classes: 2,
    mean: new Float32Array(inputs).fill(0.1),
    invStd: new Float32Array(inputs).fill(2),
    w1: new Float32Array(inputs * hidden),
    b1: Float32Array.from([1, 0.5, -1, 2]),
    w2: new Float32Array(hidden * 2),
    b2: Float32Array.from([0, 3]),
    wBox: new Float32Array(hidden * 4),
    bBox: Float32Array.from(CROP_OFFSETS),
  };
}

export function tinyCropModel(): Uint8Array {
  return buildCropClassifierOnnx(biasedCropWeights(), CROP_TEST_META, 'test crop model').bytes;
}

/** tinyKslModel's hand scores on a frame of one grey value v: anchor 0 = (brightness, 0.05), anchor 1 = (0.1, 0.7). */
export function tinyHandScores(v: number): [number, number] {
  const brightness = (v / 127.5 - 1 + 1) / 2;
  return [1 - (1 - brightness) * (1 - 0.05), 1 - (1 - 0.1) * (1 - 0.7)];
}

/** The box the second stage gives for stage-1 box `b` (normalised) on a W×H frame, normalised and clipped. */
export function expectedCropBox(b: readonly number[], W: number, H: number): number[] {
  const win = cropWindow({ x: b[1]! * W, y: b[0]! * H, w: (b[3]! - b[1]!) * W, h: (b[2]! - b[0]!) * H }, CROP_TEST_META.pad);
  const r = decodeCropBox(CROP_OFFSETS, win);
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  return [clip(r.y / H), clip(r.x / W), clip((r.y + r.h) / H), clip((r.x + r.w) / W)];
}
