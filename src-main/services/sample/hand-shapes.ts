/**
 * Hand shapes of the synthetic signer, as unions of simple signed-distance primitives.
 *
 * The downstream detector classifies every frame on its own, so the word must be readable from a
 * single frame: each word gets a hand shape whose SILHOUETTE differs (open palm, fist, V, ...),
 * not just a different motion. Shapes are defined once, in a hand-local frame:
 *
 *   - units: 1.0 ≈ wrist-to-fingertip length of an open hand;
 *   - origin at the wrist, +y towards the fingertips, +x towards the thumb of a RIGHT hand seen
 *     palm-forward by the camera (the thumb points at the signer's midline). Left-handed signers
 *     are drawn as the exact mirror image (see hand-raster.ts).
 *
 * Primitives are listed back to front: the last primitive that covers a pixel "owns" it, which
 * is how fingers folded over the palm get a visible crease.
 */

export type HandShapeId =
  | 'open'
  | 'fist'
  | 'v'
  | 'point'
  | 'ok'
  | 'flat-side'
  | 'thumb'
  | 'y'
  | 'w'
  | 'l'
  | 'claw'
  | 'pinky';

export type Primitive =
  | { kind: 'capsule'; ax: number; ay: number; bx: number; by: number; r: number }
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number }
  | { kind: 'ring'; cx: number; cy: number; radius: number; thickness: number };

export interface HandShape {
  id: HandShapeId;
  primitives: readonly Primitive[];
  /** Per primitive, a bounding circle in hand units (cx, cy, r): lets the rasteriser use a tight box. */
  bounds: readonly { cx: number; cy: number; r: number }[];
  /** Max distance of any shape point from HAND_PIVOT, in hand units: a safe raster radius. */
  extent: number;
  /** The primitives as numbers (see packPrimitives), for the rasteriser's per-pixel loop. */
  packed: Float64Array;
}

/** Floats per packed primitive. Layout by kind (slot 0):
 *  0 capsule: ax, ay, bx-ax, by-ay, 1/len², r
 *  1 ellipse: cx, cy, 1/rx, 1/ry, min(rx, ry)
 *  2 ring:    cx, cy, radius, thickness */
export const PACK_STRIDE = 8;

/**
 * Packs primitives into one Float64Array. Evaluating the {kind: ...} objects per pixel is
 * polymorphic property access; the packed form kept the hand rasteriser ~3x faster.
 */
export function packPrimitives(primitives: readonly Primitive[]): Float64Array {
  const out = new Float64Array(primitives.length * PACK_STRIDE);
  primitives.forEach((p, i) => {
    const o = i * PACK_STRIDE;
    switch (p.kind) {
      case 'capsule': {
        const dx = p.bx - p.ax;
        const dy = p.by - p.ay;
        const len2 = dx * dx + dy * dy;
        out.set([0, p.ax, p.ay, dx, dy, len2 > 0 ? 1 / len2 : 0, p.r], o);
        break;
      }
      case 'ellipse':
        out.set([1, p.cx, p.cy, 1 / p.rx, 1 / p.ry, Math.min(p.rx, p.ry)], o);
        break;
      case 'ring':
        out.set([2, p.cx, p.cy, p.radius, p.thickness], o);
        break;
    }
  });
  return out;
}

/** Signed distance to the packed primitive at offset `o`; same values as primitiveSdf. */
export function packedSdf(packed: Float64Array, o: number, x: number, y: number): number {
  const kind = packed[o];
  if (kind === 0) {
    const px = x - packed[o + 1];
    const py = y - packed[o + 2];
    const dx = packed[o + 3];
    const dy = packed[o + 4];
    let h = (px * dx + py * dy) * packed[o + 5];
    h = h < 0 ? 0 : h > 1 ? 1 : h;
    const ex = px - dx * h;
    const ey = py - dy * h;
    return Math.sqrt(ex * ex + ey * ey) - packed[o + 6];
  }
  if (kind === 1) {
    const u = (x - packed[o + 1]) * packed[o + 3];
    const v = (y - packed[o + 2]) * packed[o + 4];
    return (Math.sqrt(u * u + v * v) - 1) * packed[o + 5];
  }
  const u = x - packed[o + 1];
  const v = y - packed[o + 2];
  return Math.abs(Math.sqrt(u * u + v * v) - packed[o + 3]) - packed[o + 4];
}

/** Point the hand rotates about and is positioned by (roughly the palm centre). */
export const HAND_PIVOT = { x: 0, y: 0.35 } as const;

const DEG = Math.PI / 180;

function capsule(ax: number, ay: number, bx: number, by: number, r: number): Primitive {
  return { kind: 'capsule', ax, ay, bx, by, r };
}

function ellipse(cx: number, cy: number, rx: number, ry: number): Primitive {
  return { kind: 'ellipse', cx, cy, rx, ry };
}

/** A straight finger from (x, y) leaning `deg` degrees towards +x (thumb side). */
function finger(x: number, y: number, deg: number, length: number, r: number): Primitive {
  return capsule(x, y, x + Math.sin(deg * DEG) * length, y + Math.cos(deg * DEG) * length, r);
}

// Knuckle line of the four fingers (index, middle, ring, pinky) on the palm's top edge.
const KNUCKLE_Y = 0.45;
const FINGER_X = [0.13, 0.045, -0.045, -0.13] as const;
const FINGER_LEN = [0.42, 0.47, 0.43, 0.33] as const;
const FINGER_R = [0.046, 0.048, 0.045, 0.04] as const;

const WRIST = capsule(0, -0.02, 0, 0.16, 0.12);
const PALM = ellipse(0, 0.3, 0.2, 0.2);

/** A finger curled into the palm: only the knuckle bump shows above the palm edge. */
function folded(i: number): Primitive {
  return capsule(FINGER_X[i], KNUCKLE_Y - 0.06, FINGER_X[i], KNUCKLE_Y + 0.02, 0.052);
}

function extended(i: number, deg: number, lengthScale = 1): Primitive {
  return finger(FINGER_X[i], KNUCKLE_Y - 0.03, deg, FINGER_LEN[i] * lengthScale, FINGER_R[i]);
}

/** Thumb folded across the curled fingers (drawn last so it creases over them). */
const THUMB_ACROSS = capsule(0.18, 0.2, -0.02, 0.37, 0.056);
/** Thumb sticking out from the palm at `deg` (90 = straight sideways towards the midline). */
function thumbOut(deg: number, length = 0.3): Primitive {
  return finger(0.16, 0.2, deg, length, 0.056);
}

const SHAPES: Record<HandShapeId, Primitive[]> = {
  // A: open palm, five spread fingers.
  open: [WRIST, PALM, extended(0, 10), extended(1, 1), extended(2, -8), extended(3, -18), thumbOut(58)],
  // B: fist, knuckles on top, thumb across.
  fist: [WRIST, ellipse(0, 0.3, 0.21, 0.19), folded(0), folded(1), folded(2), folded(3), THUMB_ACROSS],
  // C: V, index and middle spread wide.
  v: [WRIST, PALM, folded(2), folded(3), extended(0, 17), extended(1, -9), capsule(0.18, 0.2, -0.06, 0.4, 0.056)],
  // D: index finger pointing straight up.
  point: [WRIST, PALM, folded(1), folded(2), folded(3), extended(0, 0, 1.08), THUMB_ACROSS],
  // E: "OK": index and thumb close a ring, three fingers spread.
  ok: [
    WRIST,
    PALM,
    extended(1, -3),
    extended(2, -12),
    extended(3, -22),
    finger(0.16, 0.2, 35, 0.2, 0.056),
    { kind: 'ring', cx: 0.22, cy: 0.53, radius: 0.115, thickness: 0.046 },
  ],
  // F: flat hand, fingers held together, thumb alongside; the sign lexicon turns it sideways.
  'flat-side': [
    WRIST,
    ellipse(0, 0.3, 0.19, 0.2),
    finger(0.11, 0.42, 0, 0.4, 0.044),
    finger(0.037, 0.42, 0, 0.45, 0.044),
    finger(-0.037, 0.42, 0, 0.42, 0.044),
    finger(-0.11, 0.42, 0, 0.33, 0.042),
    finger(0.15, 0.18, 28, 0.27, 0.055),
  ],
  // Thumb up out of a fist.
  thumb: [WRIST, ellipse(0, 0.3, 0.21, 0.19), folded(0), folded(1), folded(2), folded(3), finger(0.17, 0.3, 10, 0.36, 0.072)],
  // "Y": thumb and little finger out.
  y: [WRIST, PALM, folded(0), folded(1), folded(2), extended(3, -30, 1.15), thumbOut(80, 0.33)],
  // Three fingers (index, middle, ring) spread.
  w: [WRIST, PALM, folded(3), extended(0, 16), extended(1, 0), extended(2, -16), capsule(0.18, 0.2, -0.1, 0.38, 0.056)],
  // "L": index up, thumb straight out.
  l: [WRIST, PALM, folded(1), folded(2), folded(3), extended(0, 0), thumbOut(88, 0.34)],
  // Claw: five short, thick, spread fingers (bent towards the camera, so foreshortened).
  claw: [
    WRIST,
    ellipse(0, 0.3, 0.22, 0.2),
    finger(0.14, 0.42, 22, 0.22, 0.062),
    finger(0.05, 0.44, 6, 0.24, 0.064),
    finger(-0.05, 0.44, -8, 0.23, 0.062),
    finger(-0.14, 0.42, -24, 0.19, 0.056),
    thumbOut(62, 0.22),
  ],
  // Little finger only ("promise").
  pinky: [WRIST, PALM, folded(0), folded(1), folded(2), extended(3, -6, 1.2), THUMB_ACROSS],
};

function primitiveBounds(p: Primitive): { cx: number; cy: number; r: number } {
  switch (p.kind) {
    case 'capsule':
      return { cx: (p.ax + p.bx) / 2, cy: (p.ay + p.by) / 2, r: Math.hypot(p.bx - p.ax, p.by - p.ay) / 2 + p.r };
    case 'ellipse':
      return { cx: p.cx, cy: p.cy, r: Math.max(p.rx, p.ry) };
    case 'ring':
      return { cx: p.cx, cy: p.cy, r: p.radius + p.thickness };
  }
}

function primitiveExtent(p: Primitive): number {
  const dist = (x: number, y: number) => Math.hypot(x - HAND_PIVOT.x, y - HAND_PIVOT.y);
  switch (p.kind) {
    case 'capsule':
      return Math.max(dist(p.ax, p.ay), dist(p.bx, p.by)) + p.r;
    case 'ellipse':
      return dist(p.cx, p.cy) + Math.max(p.rx, p.ry);
    case 'ring':
      return dist(p.cx, p.cy) + p.radius + p.thickness;
  }
}

const CACHE = new Map<HandShapeId, HandShape>();

export const HAND_SHAPE_IDS = Object.keys(SHAPES) as HandShapeId[];

export function handShape(id: HandShapeId): HandShape {
  let shape = CACHE.get(id);
  if (!shape) {
    const primitives = SHAPES[id];
    if (!primitives) throw new Error(`Unknown hand shape "${id}"`);
    shape = {
      id,
      primitives,
      bounds: primitives.map(primitiveBounds),
      extent: Math.max(...primitives.map(primitiveExtent)),
      packed: packPrimitives(primitives),
    };
    CACHE.set(id, shape);
  }
  return shape;
}

/**
 * Signed distance (hand units) from local point (x, y) to a primitive: negative inside. This is
 * the readable reference; the rasteriser uses the equivalent packedSdf.
 * The ellipse distance is the usual cheap approximation; it is exact in sign, which is all the
 * mask needs, and close enough near the edge for the crease shading.
 */
export function primitiveSdf(p: Primitive, x: number, y: number): number {
  switch (p.kind) {
    case 'capsule': {
      const px = x - p.ax;
      const py = y - p.ay;
      const dx = p.bx - p.ax;
      const dy = p.by - p.ay;
      const len2 = dx * dx + dy * dy;
      const h = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - dx * h;
      const ey = py - dy * h;
      return Math.sqrt(ex * ex + ey * ey) - p.r;
    }
    case 'ellipse': {
      const u = (x - p.cx) / p.rx;
      const v = (y - p.cy) / p.ry;
      const k = Math.sqrt(u * u + v * v);
      return (k - 1) * Math.min(p.rx, p.ry);
    }
    case 'ring': {
      const u = x - p.cx;
      const v = y - p.cy;
      return Math.abs(Math.sqrt(u * u + v * v) - p.radius) - p.thickness;
    }
  }
}
