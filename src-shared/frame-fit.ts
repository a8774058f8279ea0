/**
 * How a frame goes into a fixed model input, in training, evaluation and detection alike
 * (decode-frames.ts decodeFittedRgb; the detector's resize). An automatic input has the training frames'
 * median aspect ratio (train-job.ts chooseInput), and a frame of about that shape is stretched to it
 * (ffmpeg `scale=W:H`). A frame of another shape — a 4:3 camera in front of a model trained on 16:9
 * video, a portrait phone video in a KETI project — is scaled to fit inside the input with its shape kept
 * and padded with black on the sides (or above and below): stretched, every hand would be a third wider
 * (or, portrait into 16:9, three times wider) than the hands of the other frames. The sample's 18 held-out videos (signers 1,
 * 3 and 7, the `ksl demo` model) cut to 4:3: stretched, 1316 of 1620 frames named the right word first
 * and 38 a wrong one; padded, 1376 and 26 (the 16:9 originals: 1368 and 22).
 *
 * A square input keeps stretching: square models (320×320, tf2onnx's SSDs) were trained on frames
 * stretched from whatever shape they had, so stretching is what they saw.
 */

/** Past this ratio between the frame's and the input's aspect (either way), the frame is padded. */
export const PAD_ASPECT_RATIO = 1.15;

/** Where the frame lies in the input: all of it (stretch), or a `width`×`height` area at (`x`, `y`), black around it. */
export type FrameFit = { mode: 'stretch' } | { mode: 'pad'; x: number; y: number; width: number; height: number };

export function frameFit(frameWidth: number, frameHeight: number, inputWidth: number, inputHeight: number): FrameFit {
  if (inputWidth === inputHeight || frameWidth <= 0 || frameHeight <= 0) return { mode: 'stretch' };
  const frameAspect = frameWidth / frameHeight;
  const inputAspect = inputWidth / inputHeight;
  if (Math.abs(Math.log(frameAspect / inputAspect)) <= Math.log(PAD_ASPECT_RATIO)) return { mode: 'stretch' };
  if (frameAspect < inputAspect) {
    // narrower (4:3 into 16:9): full height, bars left and right
    const width = Math.max(1, Math.min(inputWidth, Math.round(inputHeight * frameAspect)));
    return { mode: 'pad', x: Math.floor((inputWidth - width) / 2), y: 0, width, height: inputHeight };
  }
  const height = Math.max(1, Math.min(inputHeight, Math.round(inputWidth / frameAspect)));
  return { mode: 'pad', x: 0, y: Math.floor((inputHeight - height) / 2), width: inputWidth, height };
}

/**
 * Copies an RGB picture of fit.width × fit.height into `out` (inputWidth × inputHeight × 3) at (fit.x,
 * fit.y), black elsewhere.
 */
export function padRgbInto(inner: Uint8Array, fit: Extract<FrameFit, { mode: 'pad' }>, inputWidth: number, inputHeight: number, out: Uint8Array): Uint8Array {
  if (out.length !== inputWidth * inputHeight * 3) throw new RangeError(`padRgbInto: ${out.length} bytes is not ${inputWidth}×${inputHeight}×3`);
  if (inner.length !== fit.width * fit.height * 3) throw new RangeError(`padRgbInto: ${inner.length} bytes is not ${fit.width}×${fit.height}×3`);
  out.fill(0);
  const row = fit.width * 3;
  for (let y = 0; y < fit.height; y++) out.set(inner.subarray(y * row, (y + 1) * row), ((fit.y + y) * inputWidth + fit.x) * 3);
  return out;
}

/**
 * Boxes ([ymin, xmin, ymax, xmax] per row, normalised to the input) → normalised to the frame, clipped
 * to it, in place. A box wholly on the padding becomes empty, and its row of `scores` (C per box) is
 * zeroed so that it is never a detection.
 */
export function boxesToFrame(boxes: Float32Array, scores: Float32Array | null, classes: number, fit: Extract<FrameFit, { mode: 'pad' }>, inputWidth: number, inputHeight: number): void {
  const sx = inputWidth / fit.width;
  const sy = inputHeight / fit.height;
  const ox = fit.x / fit.width;
  const oy = fit.y / fit.height;
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  for (let i = 0; i + 3 < boxes.length; i += 4) {
    const ymin = clip(boxes[i]! * sy - oy);
    const xmin = clip(boxes[i + 1]! * sx - ox);
    const ymax = clip(boxes[i + 2]! * sy - oy);
    const xmax = clip(boxes[i + 3]! * sx - ox);
    boxes[i] = ymin;
    boxes[i + 1] = xmin;
    boxes[i + 2] = ymax;
    boxes[i + 3] = xmax;
    if (scores && (ymax <= ymin || xmax <= xmin)) scores.fill(0, (i / 4) * classes, (i / 4 + 1) * classes);
  }
}

/** A box normalised to the frame → normalised to the input the frame was fitted into (boxesToFrame's inverse). */
export function boxToInput<B extends { ymin: number; xmin: number; ymax: number; xmax: number }>(b: B, fit: FrameFit, inputWidth: number, inputHeight: number): B {
  if (fit.mode === 'stretch') return b;
  const x = (v: number) => (fit.x + v * fit.width) / inputWidth;
  const y = (v: number) => (fit.y + v * fit.height) / inputHeight;
  return { ...b, ymin: y(b.ymin), xmin: x(b.xmin), ymax: y(b.ymax), xmax: x(b.xmax) };
}
