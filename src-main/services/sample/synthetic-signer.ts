/**
 * The synthetic signer: renders one clip of one signer signing one word, frame by frame, and
 * reports the ground-truth box of the signing hand for each frame.
 *
 * Design goals (the sample must make a detector learnable but not trivial):
 *  - the word is readable from ANY single frame (hand shape + orientation, see sign-lexicon.ts);
 *  - signers differ the way real ones do: skin tone, hand size, position, speed, handedness,
 *    clothing, background — so that a split by signer actually tests generalisation;
 *  - distractors: the signer's face, a resting second hand (skin-coloured, NOT boxed), a picture
 *    of a person on the wall, static wall noise and per-frame sensor speckle;
 *  - fully deterministic for (seed, signer, video number).
 */
import { createRng, STREAM, streamSeed, type Rng } from './prng';
import { handShape, type HandShape } from './hand-shapes';
import { drawHand, handPointToPixel, type HandPose, type PixelBox } from './hand-raster';
import { motionAt } from './motion-paths';
import { createFrame, fillCapsule, fillEllipse, fillGradient, fillRect, hsv, mix, type Rgb, type RgbFrame } from './raster';
import type { SampleWord } from './sign-lexicon';

export interface SignerProfile {
  /** 1-based signer id (언어 제공자 ID). */
  signer: number;
  handedness: 'right' | 'left';
  skin: Rgb;
  sleeve: Rgb;
  clothing: Rgb;
  hair: Rgb;
  wallTop: Rgb;
  wallBottom: Rgb;
  /** Hand size factor, 0.75–1.25. */
  handScale: number;
  /** Signing speed factor, 0.8–1.25. */
  speed: number;
  /** Shift of the signing space, in frame heights. */
  offsetX: number;
  offsetY: number;
  /** Shift of the whole body, in frame widths. */
  bodyShift: number;
  /** Where the distractor picture hangs: -1 left, +1 right of the signer. */
  pictureSide: -1 | 1;
  pictureColour: Rgb;
}

// Broad range of skin tones, light to dark (sRGB).
const SKIN_TONES: readonly Rgb[] = [
  [246, 212, 188],
  [236, 192, 160],
  [224, 172, 138],
  [205, 150, 112],
  [176, 122, 88],
  [141, 94, 66],
  [101, 67, 48],
];

/**
 * One signer's look and signing habits. Signer 1 is always right-handed and signer 2 always
 * left-handed so that even a 2-signer sample contains both; the rest are left-handed with p≈0.3.
 */
export function createSignerProfile(seed: number, signer: number): SignerProfile {
  const rng = createRng(streamSeed(seed, STREAM.signer, signer));
  const toneA = rng.int(0, SKIN_TONES.length - 1);
  const toneB = Math.min(SKIN_TONES.length - 1, toneA + 1);
  const skin = mix(SKIN_TONES[toneA], SKIN_TONES[toneB], rng.next());
  const leftDraw = rng.next() < 0.3;
  const handedness = signer === 1 ? 'right' : signer === 2 ? 'left' : leftDraw ? 'left' : 'right';
  const clothingHue = rng.range(0, 360);
  // Sleeves are usually the shirt, sometimes a jacket of another colour.
  const sleeveHue = rng.next() < 0.5 ? clothingHue : rng.range(0, 360);
  const wallHue = rng.range(0, 360);
  // Some walls are beige/skin-like on purpose: colour alone must not give the hand away.
  const wallSat = rng.pick([0.05, 0.15, 0.3, 0.45]);
  const wallTop = hsv(wallHue, wallSat, rng.range(0.55, 0.95));
  const wallBottom = mix(wallTop, hsv(wallHue + rng.range(-40, 40), wallSat, rng.range(0.35, 0.8)), 0.8);
  return {
    signer,
    handedness,
    skin,
    sleeve: hsv(sleeveHue, rng.range(0.3, 0.9), rng.range(0.2, 0.8)),
    clothing: hsv(clothingHue, rng.range(0.3, 0.9), rng.range(0.2, 0.8)),
    hair: hsv(rng.range(10, 40), rng.range(0.2, 0.7), rng.range(0.05, 0.35)),
    wallTop,
    wallBottom,
    handScale: rng.range(0.75, 1.25),
    speed: rng.range(0.8, 1.25),
    offsetX: rng.range(-0.05, 0.05),
    offsetY: rng.range(-0.05, 0.05),
    bodyShift: rng.range(-0.06, 0.06),
    pictureSide: rng.next() < 0.5 ? -1 : 1,
    pictureColour: hsv(rng.range(0, 360), rng.range(0.1, 0.5), rng.range(0.4, 0.9)),
  };
}

export interface SceneOptions {
  width: number;
  height: number;
  fps: number;
  seed: number;
  /** Video number (파일명 number); seeds the per-clip randomness. */
  videoNumber: number;
  signer: SignerProfile;
  word: SampleWord;
}

export interface RenderedFrame {
  /** rgb24, width * height * 3 bytes; a fresh buffer per frame (it may still be queued to ffmpeg). */
  rgb: Uint8Array;
  /** Tight box of the signing hand's pixels. */
  box: PixelBox;
  /** Where the signing hand was drawn (for debugging and for tests that re-rasterise it). */
  pose: HandPose;
}

export interface SignerScene {
  renderFrame(index: number): RenderedFrame;
}

/** Seconds per repetition of a sign at speed 1. */
const CYCLE_SECONDS = 1.4;
/** Hand length (wrist to fingertip) as a fraction of frame height, before the signer's scale. */
const HAND_UNIT_OF_HEIGHT = 0.17;

interface Layout {
  bodyX: number;
  /** +1 when the signing hand's midline direction is +x on screen (right-handed signer). */
  towardsMidline: 1 | -1;
  shoulder: { x: number; y: number };
  pathCentre: { x: number; y: number };
  amplitude: { x: number; y: number };
  unit: number;
  sleeveRadius: number;
}

function layoutFor(opts: SceneOptions): Layout {
  const { width: W, height: H, signer } = opts;
  const bodyX = W / 2 + signer.bodyShift * W;
  // A right-handed signer facing the camera signs on the viewer's LEFT, towards +x.
  const towardsMidline = signer.handedness === 'right' ? 1 : -1;
  const outward = -towardsMidline;
  return {
    bodyX,
    towardsMidline,
    shoulder: { x: bodyX + outward * 0.2 * H, y: 0.47 * H },
    pathCentre: { x: bodyX + outward * 0.2 * H + signer.offsetX * H, y: 0.52 * H + signer.offsetY * H },
    amplitude: { x: 0.12 * H, y: 0.11 * H },
    unit: HAND_UNIT_OF_HEIGHT * H * signer.handScale,
    sleeveRadius: 0.048 * H,
  };
}

/** The static part of a clip: wall, picture, body, head and the resting (non-signing) hand. */
function paintBackground(opts: SceneOptions, layout: Layout, rng: Rng): RgbFrame {
  const { width: W, height: H, signer } = opts;
  const frame = createFrame(W, H);
  // Slight per-clip lighting change, like separate recording sessions.
  const light = rng.range(0.93, 1.07);
  const tint = (c: Rgb): Rgb => [c[0] * light, c[1] * light, c[2] * light];
  fillGradient(frame, tint(signer.wallTop), tint(signer.wallBottom), 6, rng.int(1, 0x7fffffff));

  // Distractor: a framed picture of a person (head + torso in the signer's clothing colour).
  const px = layout.bodyX + signer.pictureSide * 0.55 * H;
  const pw = 0.26 * H;
  const ph = 0.34 * H;
  const py = 0.12 * H;
  fillRect(frame, px - pw / 2, py, px + pw / 2, py + ph, [60, 45, 35]);
  fillRect(frame, px - pw / 2 + 0.02 * H, py + 0.02 * H, px + pw / 2 - 0.02 * H, py + ph - 0.02 * H, signer.pictureColour);
  fillEllipse(frame, px, py + 0.36 * ph, 0.05 * H, 0.06 * H, signer.clothing);
  fillEllipse(frame, px, py + ph - 0.02 * H, 0.1 * H, 0.12 * H, signer.clothing);
  fillRect(frame, px - pw / 2, py + ph - 0.02 * H, px + pw / 2, py + ph + 0.06 * H, tint(signer.wallBottom));

  // Body: torso, neck, hair, face.
  const bx = layout.bodyX;
  fillEllipse(frame, bx, 1.0 * H, 0.27 * H, 0.6 * H, signer.clothing);
  fillRect(frame, bx - 0.035 * H, 0.3 * H, bx + 0.035 * H, 0.43 * H, signer.skin, 0.85);
  fillEllipse(frame, bx, 0.235 * H, 0.082 * H, 0.085 * H, signer.hair);
  fillEllipse(frame, bx, 0.265 * H, 0.072 * H, 0.09 * H, signer.skin);
  fillEllipse(frame, bx - 0.027 * H, 0.255 * H, 0.009 * H, 0.006 * H, [40, 30, 30]);
  fillEllipse(frame, bx + 0.027 * H, 0.255 * H, 0.009 * H, 0.006 * H, [40, 30, 30]);
  fillEllipse(frame, bx, 0.31 * H, 0.022 * H, 0.006 * H, [150, 70, 70]);

  // Resting hand at the bottom, on the other side: skin-coloured, hand-shaped, never boxed.
  // The signing hand works on the outward side; the other hand rests on the opposite side.
  const rest = layout.towardsMidline;
  const restShoulder = { x: bx + rest * 0.2 * H, y: 0.47 * H };
  const restWrist = { x: bx + rest * 0.17 * H, y: 0.9 * H };
  fillCapsule(frame, restShoulder.x, restShoulder.y, restWrist.x, restWrist.y, layout.sleeveRadius, signer.sleeve);
  const restPose: HandPose = {
    cx: bx + rest * 0.09 * H,
    cy: 0.92 * H,
    unit: layout.unit * 0.95,
    angleDeg: 105,
    mirror: signer.handedness === 'right',
  };
  drawHand(frame, handShape(rng.next() < 0.5 ? 'fist' : 'flat-side'), restPose, signer.skin);
  return frame;
}

export function createSignerScene(opts: SceneOptions): SignerScene {
  const { width: W, height: H, fps, signer, word } = opts;
  const layout = layoutFor(opts);
  const clipRng = createRng(streamSeed(opts.seed, STREAM.video, opts.videoNumber));
  const background = paintBackground(opts, layout, clipRng);
  const shape: HandShape = handShape(word.shape);
  const phase0 = clipRng.next();
  // Keep the whole hand in frame (the detector must always see it); shape.extent is conservative.
  const margin = shape.extent * layout.unit + 2;
  const clamp = (v: number, lo: number, hi: number) => (lo > hi ? (lo + hi) / 2 : Math.min(hi, Math.max(lo, v)));

  return {
    renderFrame(index: number): RenderedFrame {
      // A stream per frame: frames can be rendered in any order and still be identical.
      const noiseRng = createRng(streamSeed(opts.seed, STREAM.frameNoise, opts.videoNumber, index));
      const t = index / fps;
      const motion = motionAt(word.path, phase0 + (signer.speed * t) / CYCLE_SECONDS);
      // Per-frame jitter: a real hand never follows the path exactly.
      const jx = noiseRng.range(-1, 1) * 0.012 * H;
      const jy = noiseRng.range(-1, 1) * 0.012 * H;
      const jAngle = noiseRng.range(-3, 3);
      const jScale = 1 + noiseRng.range(-0.02, 0.02);
      const pose: HandPose = {
        cx: clamp(layout.pathCentre.x + layout.towardsMidline * motion.x * layout.amplitude.x + jx, margin, W - margin),
        cy: clamp(layout.pathCentre.y + motion.y * layout.amplitude.y + jy, margin, H - margin),
        unit: layout.unit * jScale,
        angleDeg: word.rotationDeg + motion.tilt * 12 + jAngle,
        mirror: signer.handedness === 'left',
      };

      const frame: RgbFrame = { width: W, height: H, data: background.data.slice() };
      // Forearm in the sleeve colour: from the wrist back along the hand's axis (bent downwards)
      // to an elbow, then up to the shoulder.
      const wrist = handPointToPixel(pose, 0, 0.04);
      const back = handPointToPixel(pose, 0, -1);
      let ex = back.x - wrist.x;
      let ey = back.y - wrist.y + 0.6 * pose.unit;
      const len = Math.hypot(ex, ey) || 1;
      ex = wrist.x + (ex / len) * 0.26 * H;
      ey = wrist.y + (ey / len) * 0.26 * H;
      fillCapsule(frame, layout.shoulder.x, layout.shoulder.y, ex, ey, layout.sleeveRadius, signer.sleeve);
      fillCapsule(frame, ex, ey, wrist.x, wrist.y, layout.sleeveRadius * 0.85, signer.sleeve);

      const box = drawHand(frame, shape, pose, signer.skin);
      if (!box) throw new Error(`Synthetic hand left the ${W}x${H} frame (video ${opts.videoNumber}, frame ${index})`);

      // Sensor speckle: sparse so it stays cheap at 640x360 and does not bury the rim shading.
      const speckles = Math.floor((W * H) / 150);
      const data = frame.data;
      const next = noiseRng.next;
      for (let k = 0; k < speckles; k++) {
        const i = Math.floor(next() * W * H) * 3;
        const n = Math.round((next() - 0.5) * 20);
        data[i] = Math.min(255, Math.max(0, data[i] + n));
        data[i + 1] = Math.min(255, Math.max(0, data[i + 1] + n));
        data[i + 2] = Math.min(255, Math.max(0, data[i + 2] + n));
      }
      return { rgb: data, box, pose };
    },
  };
}
