import { describe, expect, it } from 'vitest';
import { cameraConstraints } from '../../../src-renderer/live/camera';

describe('camera constraints', () => {
  it('ask for frames of a non-square model’s shape, so hands are not stretched on the way in', () => {
    expect(cameraConstraints({ width: 512, height: 288 })).toEqual({ width: { ideal: 640 }, height: { ideal: 360 }, aspectRatio: { ideal: 512 / 288 } });
    expect(cameraConstraints({ width: 448, height: 320 })).toEqual({ width: { ideal: 640 }, height: { ideal: 457 }, aspectRatio: { ideal: 1.4 } });
    expect(cameraConstraints({ width: 288, height: 512 })).toEqual({ width: { ideal: 270 }, height: { ideal: 480 }, aspectRatio: { ideal: 288 / 512 } });
  });
  it('keep 640×480 for square models (trained on stretched frames) and before a model is loaded', () => {
    expect(cameraConstraints({ width: 320, height: 320 })).toEqual({ width: { ideal: 640 }, height: { ideal: 480 } });
    expect(cameraConstraints()).toEqual({ width: { ideal: 640 }, height: { ideal: 480 } });
  });
});
