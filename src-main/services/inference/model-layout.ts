/**
 * Which detector a graph is, read from its input and output names (and types/shapes where ONNX has
 * them), so the service can run both our own export and a TF Object Detection API model converted with
 * tf2onnx without being told:
 *
 * - `ksl` (export-onnx.ts): input `image` float32 [1,S,S,3] RGB in [-1,1]; outputs `scores` [1,N,C]
 *   (sigmoid, index c ↔ label id c+1) and `boxes` [1,N,4] [ymin,xmin,ymax,xmax] in [0,1]; no NMS.
 * - `tf2onnx` (exporter_main_v2 → SavedModel → `python -m tf2onnx.convert`): input usually `input_tensor`
 *   uint8 [1,H,W,3] with H/W often dynamic; outputs `detection_boxes` [1,M,4], `detection_scores` [1,M],
 *   `detection_classes` [1,M] (label-map ids as floats), `num_detections` [1]. The graph resizes and
 *   normalises itself, and has applied its own NMS. TF1 frozen graphs name them `detection_boxes:0`, …
 */
import { KslError } from '../../../src-shared/result';
import type { LiveModelFormat } from '../../../src-shared/api-live';

export interface TensorMeta {
  name: string;
  /** onnxruntime's type name: 'float32', 'uint8', …; undefined for non-tensors. */
  type?: string;
  /** Dimensions; a dynamic one is a string (symbolic) or -1. */
  shape?: readonly (number | string)[];
}

export interface ModelLayout {
  format: LiveModelFormat;
  input: { name: string; dtype: 'float32' | 'uint8'; width: number | null; height: number | null; scaling: string };
  /** Output names in the graph, by role. */
  outputs: { boxes: string; scores: string; classes?: string; count?: string };
}

const bare = (name: string) => name.replace(/:\d+$/, '');

const dim = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);

/** Decides the layout from the graph's signature; `source` names the file in errors. */
export function detectLayout(inputs: readonly TensorMeta[], outputs: readonly TensorMeta[], source: string): ModelLayout {
  const out = new Map(outputs.map((o) => [bare(o.name), o.name]));
  const list = (ts: readonly TensorMeta[]) => ts.map((t) => `${t.name}${t.type ? ` ${t.type}` : ''}${t.shape ? ` [${t.shape.join(',')}]` : ''}`).join(', ');
  const image = (preferred: string[]): TensorMeta => {
    const named = inputs.find((i) => preferred.includes(bare(i.name)));
    if (named) return named;
    if (inputs.length === 1) return inputs[0]!;
    throw new KslError('INVALID', `${source}: cannot tell which input is the image among ${list(inputs)}; expected one named ${preferred.join(' or ')}.`);
  };
  const nhwc = (t: TensorMeta) => {
    const s = t.shape;
    if (s && (s.length !== 4 || (typeof s[3] === 'number' && s[3] !== 3 && s[3] !== -1))) {
      throw new KslError('INVALID', `${source}: input ${t.name} has shape [${s.join(',')}]; expected an NHWC RGB image [1,H,W,3].`);
    }
    return { height: dim(s?.[1]), width: dim(s?.[2]) };
  };

  if (out.has('detection_boxes') && out.has('detection_scores') && out.has('detection_classes')) {
    const t = image(['input_tensor', 'image_tensor', 'inputs', 'input']);
    const dtype = t.type === 'float32' ? 'float32' : t.type === 'uint8' || t.type === undefined ? 'uint8' : null;
    if (!dtype) throw new KslError('INVALID', `${source}: input ${t.name} is ${t.type}; a TF OD API model takes uint8 (or float32) RGB pixels.`);
    return {
      format: 'tf2onnx',
      input: { name: t.name, dtype, ...nhwc(t), scaling: 'RGB 0–255 as given (the graph resizes and normalises)' },
      outputs: { boxes: out.get('detection_boxes')!, scores: out.get('detection_scores')!, classes: out.get('detection_classes')!, count: out.get('num_detections') },
    };
  }
  if (out.has('scores') && out.has('boxes')) {
    const t = image(['image']);
    if (t.type !== undefined && t.type !== 'float32') throw new KslError('INVALID', `${source}: input ${t.name} is ${t.type}; the KSL detector takes float32.`);
    return {
      format: 'ksl',
      input: { name: t.name, dtype: 'float32', ...nhwc(t), scaling: 'RGB / 127.5 − 1 (in [-1,1]), the frame stretched to the input size' },
      outputs: { boxes: out.get('boxes')!, scores: out.get('scores')! },
    };
  }
  throw new KslError(
    'INVALID',
    `${source}: not a detector this app can run. Its outputs are ${list(outputs)}; expected either KSL Studio's export (scores, boxes — ksl export onnx) or a TF Object Detection API model converted with tf2onnx (detection_boxes, detection_scores, detection_classes, num_detections).`,
  );
}
