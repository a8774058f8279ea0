import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linear } from '../../../../src-main/services/detector/head/linear';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('linear (hand-written gradient)', () => {
  // Shapes that are not multiples of anything and not square, so a transposed operand would show.
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
  // A non-linear scalar of the output so that every element's gradient differs.
  const objective = (y: tf.Tensor) => tf.sum(tf.mul(tf.sin(y), tf.range(1, 22).reshape([7, 3])));

  it('computes x·W + b', () => {
    const y = linear(x, w, b);
    const ref = tf.add(tf.matMul(x, w), b);
    expect(y.shape).toEqual([7, 3]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    tf.dispose([y, ref]);
  });

  it('gives the same gradients as tfjs differentiating matMul + add', () => {
    const mine = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      objective(linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D)),
    )([x, w, b]);
    const stock = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => objective(tf.add(tf.matMul(xi, wi), bi)))([x, w, b]);
    for (let i = 0; i < 3; i++) {
      expect(mine[i].shape).toEqual(stock[i].shape);
      expect(maxAbsDiff(mine[i], stock[i])).toBeLessThan(1e-4);
    }
    tf.dispose([...mine, ...stock]);
  });

  it('with a constant input, still gives W and b their gradients', () => {
    const mine = tf.grads((wi: tf.Tensor, bi: tf.Tensor) =>
      objective(linear(x, wi as tf.Tensor2D, bi as tf.Tensor1D, { constantInput: true })),
    )([w, b]);
    const stock = tf.grads((wi: tf.Tensor, bi: tf.Tensor) => objective(tf.add(tf.matMul(x, wi), bi)))([w, b]);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(mine[i], stock[i])).toBeLessThan(1e-4);
    tf.dispose([...mine, ...stock]);
  });

  it('keeps a constant input made inside an inner tidy() alive until the backward pass', () => {
    // The head builds its [B·P, K] input in a tidy() that ends before the gradient is taken; the input
    // here owns its data (not a reshape of a live tensor), so a dangling capture would read freed memory.
    const mine = tf.grads((wi: tf.Tensor, bi: tf.Tensor) =>
      objective(tf.tidy(() => linear(tf.mul(x, 2) as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, { constantInput: true }))),
    )([w, b]);
    const stock = tf.grads((wi: tf.Tensor, bi: tf.Tensor) => objective(tf.add(tf.matMul(tf.mul(x, 2), wi), bi)))([w, b]);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(mine[i], stock[i])).toBeLessThan(1e-4);
    tf.dispose([...mine, ...stock]);
  });

  it('rejects shapes that do not chain', () => {
    expect(() => linear(x, tf.zeros([4, 3]) as tf.Tensor2D, b)).toThrow(/do not chain/);
  });
});
