/**
 * Movement paths of the signing hand. Each word gets its own path (the "movement" parameter of a
 * sign) so that clips of different words also differ over time, not only in hand shape.
 *
 * A path maps a phase (cycles, any real number; one cycle ≈ one repetition of the sign) to an
 * offset in [-1, 1]² (x right, y DOWN, i.e. image convention) plus a wrist tilt in [-1, 1].
 */

export type MotionPathId = 'circle' | 'up-down' | 'left-right' | 'diagonal' | 'figure-eight' | 'zig-zag' | 'square' | 'arc';

export const MOTION_PATH_IDS: readonly MotionPathId[] = [
  'circle',
  'up-down',
  'left-right',
  'diagonal',
  'figure-eight',
  'zig-zag',
  'square',
  'arc',
];

export interface MotionSample {
  x: number;
  y: number;
  tilt: number;
}

const TAU = Math.PI * 2;

/** Triangle wave with period 1, range [-1, 1], starting at -1. */
function triangle(u: number): number {
  const f = u - Math.floor(u);
  return f < 0.5 ? 4 * f - 1 : 3 - 4 * f;
}

export function motionAt(path: MotionPathId, phase: number): MotionSample {
  const a = TAU * phase;
  switch (path) {
    case 'circle':
      return { x: Math.cos(a), y: Math.sin(a), tilt: 0.3 * Math.sin(a) };
    case 'up-down':
      return { x: 0.1 * Math.sin(2 * a), y: Math.sin(a), tilt: 0.2 * Math.cos(a) };
    case 'left-right':
      return { x: Math.sin(a), y: 0.1 * Math.sin(2 * a), tilt: 0.5 * Math.sin(a) };
    case 'diagonal': {
      const s = Math.sin(a);
      return { x: 0.8 * s, y: -0.8 * s, tilt: 0.25 * s };
    }
    case 'figure-eight':
      return { x: Math.sin(a), y: 0.7 * Math.sin(2 * a), tilt: 0.3 * Math.cos(a) };
    case 'zig-zag':
      // Three sideways strokes while travelling down and back up.
      return { x: triangle(3 * phase), y: triangle(phase), tilt: 0.4 * triangle(3 * phase) };
    case 'square': {
      const f = phase - Math.floor(phase);
      const side = Math.floor(f * 4);
      const u = f * 4 - side;
      const corners = [
        [-1, -1],
        [1, -1],
        [1, 1],
        [-1, 1],
      ] as const;
      const [x0, y0] = corners[side];
      const [x1, y1] = corners[(side + 1) % 4];
      return { x: 0.8 * (x0 + (x1 - x0) * u), y: 0.8 * (y0 + (y1 - y0) * u), tilt: 0 };
    }
    case 'arc': {
      // Back and forth along the upper half of a circle, like a rainbow.
      const s = Math.sin(a);
      const angle = Math.PI / 2 + s * (Math.PI / 2.2);
      return { x: Math.cos(angle), y: 0.6 - 1.2 * Math.sin(angle), tilt: 0.4 * s };
    }
  }
}
