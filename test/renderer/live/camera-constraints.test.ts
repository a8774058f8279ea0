import { describe, expect, it } from 'vitest';
import { cameraConstraints, fitNote } from '../../../src-renderer/live/camera';

describe('camera constraints', () => {
  it('ask for frames of a non-square model’s shape, so hands are not stretched on the way in', () => {
    expect(cameraConstraints({ width: 512, height: 288 })).toEqual({ width: { ideal: 640 }, height: { ideal: 360 }, aspectRatio: { ideal: 16 / 9 } });
    // 640×352 (multiples of 32) is 16:9 footage: ask for a mode cameras have
    expect(cameraConstraints({ width: 640, height: 352 })).toEqual({ width: { ideal: 640 }, height: { ideal: 360 }, aspectRatio: { ideal: 16 / 9 } });
    expect(cameraConstraints({ width: 544, height: 416 })).toEqual({ width: { ideal: 640 }, height: { ideal: 480 }, aspectRatio: { ideal: 4 / 3 } });
    expect(cameraConstraints({ width: 352, height: 640 })).toEqual({ width: { ideal: 270 }, height: { ideal: 480 }, aspectRatio: { ideal: 9 / 16 } });
  });
  it('keep 640×480 for square models (trained on stretched frames) and before a model is loaded', () => {
    expect(cameraConstraints({ width: 320, height: 320 })).toEqual({ width: { ideal: 640 }, height: { ideal: 480 } });
    expect(cameraConstraints()).toEqual({ width: { ideal: 640 }, height: { ideal: 480 } });
  });
  it('say when the camera’s frames are padded into the model’s shape, and stay quiet when they are not', () => {
    const ksl = { format: 'ksl', input: { width: 384, height: 224 } };
    expect(fitNote({ width: 640, height: 480 }, ksl)).toMatch(/^The camera gives 640×480 \(4:3\) and the model was trained on 16:9 frames: each frame is fitted in with black bars/);
    expect(fitNote({ width: 640, height: 360 }, ksl)).toBeNull();
    expect(fitNote({ width: 1280, height: 720 }, ksl)).toBeNull();
    // square inputs (stretched in training), tf2onnx models, and no model yet: nothing to say
    expect(fitNote({ width: 640, height: 480 }, { format: 'ksl', input: { width: 320, height: 320 } })).toBeNull();
    expect(fitNote({ width: 640, height: 480 }, { format: 'tf2onnx', input: { width: 384, height: 224 } })).toBeNull();
    expect(fitNote({ width: 640, height: 480 }, {})).toBeNull();
  });
});
