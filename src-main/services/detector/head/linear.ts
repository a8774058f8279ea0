/**
 * A dense layer y = x·W + b on a 2-D input [M, K] (M = batch × positions, so this is a 1×1 convolution),
 * with its gradient written out by hand (tf.customGrad).
 *
 * Why not just tf.matMul + tf.add and let tfjs differentiate it:
 *  - The wasm backend sends only a plain, non-transposed 2-D matMul to XNNPACK. The stock gradient of
 *    matMul uses transposeA/transposeB, which falls back to a scalar loop there: measured at
 *    [33600, 96]ᵀ·[33600, 180] that is ~700–1000 ms against ~300 ms for explicit transposes + a plain
 *    matMul (see mmXT for which operand goes where).
 *  - The cpu backend's matMul reads B with a stride unless transposeB is set; the transposeB form (both
 *    operands read along contiguous rows) measured ~30 % faster.
 *  - The bias gradient is a column sum of dy, computed the way that is fast on each backend (columnSum).
 *  - The first layer's input is the frozen backbone's features: its gradient (the largest matMul of the
 *    head) is never needed, and customGrad computes every gradient it returns. `constantInput` leaves x
 *    out of the differentiated inputs entirely.
 * Only matMul, transpose, reshape and add are used: no convolution kernels, so no Conv2DBackpropFilter,
 * which the wasm backend lacks.
 */

import * as tf from '@tensorflow/tfjs';

/** Which matMul orientation is fast depends on the backend's kernel (see the file comment). */
function prefersTransposeB(): boolean {
  return tf.getBackend() === 'cpu';
}

/** x·W for x [M, K], W [K, N]. */
function mm(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return prefersTransposeB() ? tf.matMul(x, tf.transpose(w), false, true) : tf.matMul(x, w);
}

/** dy·Wᵀ for dy [M, N], W [K, N] → [M, K]. */
function mmWT(dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return prefersTransposeB() ? tf.matMul(dy, w, false, true) : tf.matMul(dy, tf.transpose(w));
}

/**
 * xᵀ·dy for x [M, K], dy [M, N] → [K, N]. On wasm, XNNPACK packs the right-hand operand afresh for every
 * new tensor (~0.1 µs per element, more than the multiply itself at M = 33 600), so the narrower of x and
 * dy goes on the right: (dyᵀ·x)ᵀ when K < N.
 */
function mmXT(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (prefersTransposeB()) return tf.matMul(tf.transpose(x), tf.transpose(dy), false, true);
  if (x.shape[1] < dy.shape[1]) return tf.transpose(tf.matMul(tf.transpose(dy), x)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(x), dy);
}

/**
 * Column sums of dy [M, N] → [N]. The cpu backend's Sum over axis 0 transposes first and is ~5× slower
 * than a [1, M]·[M, N] matMul; on wasm the matMul would pack dy (see mmXT) and tf.sum is the fast one.
 */
function columnSum(dy: tf.Tensor2D): tf.Tensor1D {
  if (!prefersTransposeB()) return tf.sum(dy, 0);
  const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(ones, tf.transpose(dy), false, true), [dy.shape[1]]);
}

function forward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(mm(x, w), b);
}

export interface LinearOptions {
  /**
   * The input needs no gradient (frozen features): skip dx. Gradients still flow to W and b.
   * Default false.
   */
  constantInput?: boolean;
}

/** y = x·W + b; x [M, K], W [K, N], b [N] → [M, N]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, options: LinearOptions = {}): tf.Tensor2D {
  if (x.shape[1] !== w.shape[0] || w.shape[1] !== b.shape[0]) {
    throw new Error(`linear: shapes x ${x.shape}, W ${w.shape}, b ${b.shape} do not chain`);
  }
  if (options.constantInput) {
    // x is captured rather than passed, so the tape does not see it as an input at all. It is still saved
    // for the backward pass: a tensor created in a tidy() that has ended (the head reshapes its features
    // in one) may be disposed before the gradient runs; saved tensors are kept until it has.
    const f = tf.customGrad((wi, bi, save) => {
      (save as tf.GradSaveFunc)([x]);
      return {
        value: forward(x, wi as tf.Tensor2D, bi as tf.Tensor1D),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const d = dy as tf.Tensor2D;
          return [mmXT(saved[0] as tf.Tensor2D, d), columnSum(d)];
        },
      };
    });
    return f(w, b) as tf.Tensor2D;
  }
  const f = tf.customGrad((xi, wi, bi, save) => {
    const xt = xi as tf.Tensor2D;
    const wt = wi as tf.Tensor2D;
    (save as tf.GradSaveFunc)([xt, wt]);
    return {
      value: forward(xt, wt, bi as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as tf.Tensor2D[];
        const d = dy as tf.Tensor2D;
        return [mmWT(d, sw), mmXT(sx, d), columnSum(d)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}
