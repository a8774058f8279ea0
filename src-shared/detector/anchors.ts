/**
 * SSD anchors for a multi-level (FPN) detection head, after the TF Object Detection API's
 * `multiscale_anchor_generator` (the one the ssd_mobilenet_v2_fpnlite_320x320 config uses).
 *
 * Anchors are [cy, cx, h, w] normalised to [0, 1] by the (square) input size, and ordered
 * level → y → x → anchor: exactly the order in which the head's outputs come out when each NHWC feature
 * map is flattened row-major and the levels are concatenated, with A anchors per position. That is the
 * contract between this file, the box coder, the matcher and the head; changing the order here without
 * changing the head silently trains the wrong boxes.
 *
 * Within one position the anchor index is `scaleIndex * aspectRatios.length + ratioIndex`.
 *
 * Pure ES2022: shared by the trainer (Node) and the live interpreter (renderer).
 */

export interface AnchorConfig {
  /** Square network input in pixels (320 for the fpnlite 320×320 config); the default of inputHeight/inputWidth. */
  inputSize: number;
  /**
   * A non-square input (pixels), e.g. 288×512 for 16:9 video: the frame keeps its aspect ratio, so a hand
   * is not squashed 2:1 as it is in 320×320. Both must be multiples of the coarsest stride. Absent in runs
   * made before it existed (square inputSize).
   */
  inputHeight?: number;
  inputWidth?: number;
  /** Feature-map stride of each level in pixels, finest first. */
  strides: readonly number[];
  /**
   * Anchor size (pixels) at octave 0 of each level. The OD API uses anchor_scale·stride (4·8 = 32 at
   * stride 8); we default to 2·stride because KSL hands are 10–40 px at 320 px and 32 px anchors would
   * leave a 10 px hand at IoU ≈ 0.1 with its best anchor.
   */
  baseSizes: readonly number[];
  /** Intermediate scales per octave: sizes base·2^(k/scalesPerOctave), k = 0..scalesPerOctave−1. */
  scalesPerOctave: number;
  /** Width / height ratios (OD API convention): r gives h = s/√r, w = s·√r, so the area stays s². */
  aspectRatios: readonly number[];
}

export const DEFAULT_ANCHORS: Readonly<AnchorConfig> = Object.freeze({
  inputSize: 320,
  strides: Object.freeze([8, 16, 32]),
  baseSizes: Object.freeze([16, 32, 64]),
  scalesPerOctave: 2,
  aspectRatios: Object.freeze([0.5, 1, 2]),
});

/** A = scalesPerOctave × number of aspect ratios (6 by default). */
export function anchorsPerPosition(cfg: AnchorConfig): number {
  return cfg.scalesPerOctave * cfg.aspectRatios.length;
}

/** The network input in pixels: inputHeight × inputWidth, each defaulting to inputSize. */
export function inputDims(cfg: Pick<AnchorConfig, 'inputSize' | 'inputHeight' | 'inputWidth'>): { height: number; width: number } {
  return { height: cfg.inputHeight ?? cfg.inputSize, width: cfg.inputWidth ?? cfg.inputSize };
}

/**
 * [height, width] of each level's feature map. `ceil` is what a stride-s convolution with SAME padding
 * gives, so an input that is not a multiple of the stride still lines up with the backbone's maps.
 */
export function featureMapShapes(cfg: AnchorConfig): [number, number][] {
  const { height, width } = inputDims(cfg);
  return cfg.strides.map((s) => [Math.ceil(height / s), Math.ceil(width / s)]);
}

/** Side length of each level's feature map of a square input. */
export function featureMapSizes(cfg: AnchorConfig): number[] {
  const shapes = featureMapShapes(cfg);
  if (shapes.some(([h, w]) => h !== w)) throw new Error('anchors: featureMapSizes needs a square input; use featureMapShapes');
  return shapes.map(([h]) => h);
}

/** Number of feature positions over all levels (2100 for 320 px at strides 8/16/32). */
export function numPositions(cfg: AnchorConfig): number {
  return featureMapShapes(cfg).reduce((n, [h, w]) => n + h * w, 0);
}

/** Total anchors N·A. */
export function numAnchors(cfg: AnchorConfig): number {
  return numPositions(cfg) * anchorsPerPosition(cfg);
}

/** Throws on a config that would make anchors disagree with the head's output layout. */
export function validateAnchorConfig(cfg: AnchorConfig): void {
  if (!(cfg.inputSize > 0)) throw new Error(`anchors: inputSize must be > 0 (got ${cfg.inputSize})`);
  for (const k of ['inputHeight', 'inputWidth'] as const) {
    const v = cfg[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`anchors: ${k} must be a positive integer (got ${v})`);
  }
  if (cfg.strides.length === 0) throw new Error('anchors: at least one stride is needed');
  if (cfg.baseSizes.length !== cfg.strides.length) {
    throw new Error(`anchors: ${cfg.baseSizes.length} base sizes for ${cfg.strides.length} strides`);
  }
  if (!Number.isInteger(cfg.scalesPerOctave) || cfg.scalesPerOctave < 1) {
    throw new Error(`anchors: scalesPerOctave must be a positive integer (got ${cfg.scalesPerOctave})`);
  }
  if (cfg.aspectRatios.length === 0 || cfg.aspectRatios.some((r) => !(r > 0))) {
    throw new Error('anchors: aspect ratios must be positive');
  }
  if (cfg.strides.some((s) => !(s > 0)) || cfg.baseSizes.some((s) => !(s > 0))) {
    throw new Error('anchors: strides and base sizes must be positive');
  }
}

/**
 * All anchors as a flat Float32Array of N·A rows [cy, cx, h, w]; y and h normalised by the input height,
 * x and w by its width, so an anchor of s×s pixels stays s×s pixels on a non-square input.
 * Centres sit at (i + 0.5)·stride, as in the OD API when the input is a multiple of the stride.
 */
export function generateAnchors(cfg: AnchorConfig = DEFAULT_ANCHORS): Float32Array {
  validateAnchorConfig(cfg);
  const shapes = featureMapShapes(cfg);
  const a = anchorsPerPosition(cfg);
  const out = new Float32Array(numPositions(cfg) * a * 4);
  const { height, width } = inputDims(cfg);
  const invH = 1 / height;
  const invW = 1 / width;
  let o = 0;
  for (let level = 0; level < cfg.strides.length; level++) {
    const stride = cfg.strides[level];
    const [rows, cols] = shapes[level]!;
    // The A shapes are the same at every position of a level: compute them once.
    const hw: number[] = [];
    for (let k = 0; k < cfg.scalesPerOctave; k++) {
      const s = cfg.baseSizes[level] * Math.pow(2, k / cfg.scalesPerOctave);
      for (const r of cfg.aspectRatios) {
        const sr = Math.sqrt(r);
        hw.push((s / sr) * invH, s * sr * invW);
      }
    }
    for (let y = 0; y < rows; y++) {
      const cy = (y + 0.5) * stride * invH;
      for (let x = 0; x < cols; x++) {
        const cx = (x + 0.5) * stride * invW;
        for (let k = 0; k < a; k++) {
          out[o++] = cy;
          out[o++] = cx;
          out[o++] = hw[2 * k];
          out[o++] = hw[2 * k + 1];
        }
      }
    }
  }
  return out;
}
