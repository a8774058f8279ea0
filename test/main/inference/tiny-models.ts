/**
 * Tiny detectors written with our ONNX encoder, whose outputs are computed from the input so that a test
 * can tell the frame really went through them:
 * - tinyTf2OnnxModel: the TF OD API / tf2onnx signature (uint8 input_tensor [1,H,W,3], dynamic H/W);
 * - tinyKslModel: our export's signature (float32 `image` [1,320,320,3] in [-1,1]; `scores` [1,2,2], `boxes` [1,2,4]).
 */
import { GraphBuilder, attr, type TensorDataTypeValue } from '../../../src-main/services/detector/onnx/onnx-proto';

const UINT8 = 2 as TensorDataTypeValue;

// Rows: 0 = the frame's mean / 255 (class 2, box A); 1 = 0.9 (class 1, box B); 2 = 0.8 (class 1, B shifted a
// little: IoU with B > 0.6, so class-wise NMS drops it); 3 = 0.95 padding past num_detections (ignored).
export const BOX_A = [0.1, 0.1, 0.4, 0.3];
export const BOX_B = [0.5, 0.5, 0.9, 0.8];
const BOX_B2 = [0.51, 0.5, 0.9, 0.81];
const BOX_PAD = [0, 0, 1, 1];

export function tinyTf2OnnxModel(): Uint8Array {
  const b = new GraphBuilder('tf2onnx_like');
  b.addInput('input_tensor', [1, 'height', 'width', 3], UINT8);
  const x = b.op('Cast', ['input_tensor'], { to: attr.int(1) }, 'as_float');
  const mean = b.op('ReduceMean', [x], { keepdims: attr.int(0) }, 'mean_pixel');
  const s = b.op('Div', [mean, b.addFloat('c255', [255], [])], undefined, 'brightness');
  const s11 = b.op('Reshape', [s, b.addInt64('shape_1_1', [1, 1])], undefined, 'brightness_1_1');
  b.reserve('detection_scores');
  b.reserve('detection_boxes');
  b.reserve('detection_classes');
  b.reserve('num_detections');
  b.addNode('Concat', [s11, b.addFloat('other_scores', [0.9, 0.8, 0.95], [1, 3])], ['detection_scores'], { axis: attr.int(1) });
  b.addNode('Identity', [b.addFloat('boxes_const', [...BOX_A, ...BOX_B, ...BOX_B2, ...BOX_PAD], [1, 4, 4])], ['detection_boxes']);
  b.addNode('Identity', [b.addFloat('classes_const', [2, 1, 1, 1], [1, 4])], ['detection_classes']);
  b.addNode('Identity', [b.addFloat('count_const', [3], [1])], ['num_detections']);
  b.addOutput('detection_boxes', [1, 4, 4]);
  b.addOutput('detection_classes', [1, 4]);
  b.addOutput('detection_scores', [1, 4]);
  b.addOutput('num_detections', [1]);
  return b.toBytes();
}


/**
 * Our layout, 2 anchors × 2 classes. Anchor 0, class 1 scores (mean of the model input + 1) / 2: 1 for a
 * white frame, 0 for black, 0.502 for grey 128 — only if the service scaled pixels to [-1,1]. Anchor 1,
 * class 2 scores 0.7 whatever the frame. Anchor 0's box is KSL_BOX_0, anchor 1's KSL_BOX_1.
 */
export const KSL_BOX_0 = [0.1, 0.2, 0.5, 0.6];
export const KSL_BOX_1 = [0.3, 0.3, 0.9, 0.7];
export function tinyKslModel(width = 320, height = 320): Uint8Array {
  const b = new GraphBuilder('ksl_like');
  b.addInput('image', [1, height, width, 3]);
  const mean = b.op('ReduceMean', ['image'], { keepdims: attr.int(0) }, 'mean_input');
  const s0 = b.op('Div', [b.op('Add', [mean, b.addFloat('one', [1], [])]), b.addFloat('two', [2], [])], undefined, 'brightness');
  const s11 = b.op('Reshape', [s0, b.addInt64('shape_1_1', [1, 1])], undefined, 'brightness_1_1');
  // [s, 0.05, 0.1, 0.7] → [1, 2, 2]: anchor 0 = (s, 0.05), anchor 1 = (0.1, 0.7).
  const row = b.op('Concat', [s11, b.addFloat('rest', [0.05, 0.1, 0.7], [1, 3])], { axis: attr.int(1) }, 'scores_flat');
  b.reserve('scores');
  b.reserve('boxes');
  b.addNode('Reshape', [row, b.addInt64('scores_shape', [1, 2, 2])], ['scores']);
  b.addNode('Identity', [b.addFloat('boxes_const', [...KSL_BOX_0, ...KSL_BOX_1], [1, 2, 4])], ['boxes']);
  b.addOutput('scores', [1, 2, 2]);
  b.addOutput('boxes', [1, 2, 4]);
  return b.toBytes();
}
