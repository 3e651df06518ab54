/**
 * The DiT's layers as single ops with their gradients written out, for WASM's sake: every taped TF.js op saves its
 * inputs and costs a dispatch, WASM reduces over a non-last axis by transposing first, and `tanh` is slow there. So
 * a linear layer's bias gradient is a ones-row matMul, LayerNorm's backward is its closed form, and the MLP's
 * activation is SiLU (a sigmoid, fast on WASM) rather than GELU's tanh.
 */
import * as tf from '@tensorflow/tfjs';

type Grad = Parameters<typeof tf.customGrad>[0];

/**
 * x (N, in) @ w (in, out) + b (out): the gradients as plain 2-D matMuls with explicit transposes (TF.js's own MatMul
 * gradient uses transpose flags, 10-20x slower on WASM), db = 1 (1, N) @ dy.
 */
export const linear = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
      return [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy), tf.reshape(tf.matMul(ones, dy), [dy.shape[1]])];
    },
  };
}) as unknown as Grad) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/**
 * LayerNorm without affine parameters over the last axis of x (N, C): xhat = (x - mean) / sqrt(var + eps). Backward:
 * dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
 */
export const layerNorm = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const { mean, variance } = tf.moments(x, -1, true);
  const rstd = tf.rsqrt(tf.add(variance, 1e-6));
  const xhat = tf.mul(tf.sub(x, mean), rstd);
  save([xhat, rstd]);
  return {
    value: xhat,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sxhat, srstd] = saved as [tf.Tensor2D, tf.Tensor2D];
      const inner = tf.sub(tf.sub(dy, tf.mean(dy, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(dy, sxhat), -1, true)));
      return tf.mul(inner, srstd);
    },
  };
}) as unknown as Grad) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

/** SiLU x * sigmoid(x) as one op; d/dx = s (1 + x (1 - s)), s = sigmoid(x). */
export const silu = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.mul(x, tf.sigmoid(x)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const sx = saved[0]!;
      const s = tf.sigmoid(sx);
      return tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(sx, tf.sub(1, s)))));
    },
  };
}) as unknown as Grad) as unknown as <T extends tf.Tensor>(x: T) => T;

