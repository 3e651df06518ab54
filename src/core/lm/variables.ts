/** Small helpers for TF.js variables shared by the model, its adapters and the optimizer. */
import * as tf from '@tensorflow/tfjs';

/** A variable that owns its value: the initial tensor is released, so tensor counts stay exact. */
export function ownVariable(initial: tf.Tensor, name: string, trainable = true): tf.Variable {
  const v = tf.variable(initial, trainable, name);
  initial.dispose();
  return v;
}

/**
 * One-hot rows as float32. TF.js's WASM backend returns zeros for `oneHot(..., 'float32')`, so build it as int32
 * (the default) and cast, which is right on every backend.
 */
export function oneHotF(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth), 'float32') as tf.Tensor2D);
}

/**
 * 2-D matMul whose gradient uses explicit transposes. TF.js's own MatMul gradient calls matMul with transpose
 * flags, which the WASM backend runs 10-20x slower than a transpose followed by a plain matMul.
 * x (N, K) @ w (K, M) -> (N, M).
 */
export const mm = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
