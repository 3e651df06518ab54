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

/**
 * x (N, K) @ w (K, M) for a frozen w (the base weights under LoRA): the gradient flows to x only. `mm`'s custom
 * gradient computes dW as well, which for a frozen layer is a wasted matMul of the layer's size and its memory
 * (for GPT-2's 124M weights, half a gigabyte per step). w is closed over, not an input, so it is not on the tape,
 * and not saved (saving copies a tensor on WASM): w and `wT` must outlive the backward pass (variables, kept
 * tensors). `wT` (M, K), when the caller has it (a tied head: the embedding itself), spares the backward pass a
 * transpose.
 */
export function mmFrozen(x: tf.Tensor2D, w: tf.Tensor2D, wT?: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xx: tf.Tensor2D) => ({
    value: tf.matMul(xx, w),
    gradFunc: (dy: tf.Tensor2D) => {
      if (wT) return tf.matMul(dy, wT);
      // the transpose is released at once, not at the end of the backward pass: for GPT-2 the transposed weights
      // (and the packed copies XNNPACK makes of them) would otherwise add a gigabyte to the peak
      const t = tf.transpose(w);
      const out = tf.matMul(dy, t);
      t.dispose();
      return out;
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

/**
 * The transpose of an embedding (V, C) -> (C, V) for a tied output head, kept between calls while the embedding's
 * values do not change (a variable's assign gives it new data). TF.js on WASM spends most of a generation step
 * transposing GPT-2's 38M-value embedding otherwise, and a matMul with the transpose flag is ten times slower.
 * Only for passes where no gradient reaches the embedding (inference, LoRA): the cached tensor is not on the tape.
 */
export class TransposeCache {
  #id: object | null = null;
  #t: tf.Tensor2D | null = null;

  get(v: tf.Variable): tf.Tensor2D {
    if (this.#t && this.#id === v.dataId) return this.#t;
    this.dispose();
    this.#t = tf.keep(tf.transpose(v as tf.Tensor2D));
    this.#id = v.dataId;
    return this.#t;
  }

  dispose(): void {
    this.#t?.dispose();
    this.#t = null;
    this.#id = null;
  }
}

/**
 * fn(x) run as one op off the tape, for values no gradient needs (a frozen embedding's lookup, rotary tables): TF.js
 * saves the inputs of every taped op for the backward pass, and on WASM saving copies them (GPT-2's embedding is
 * 150 MB). The op's gradient is never asked for, since nothing trainable lies upstream of it.
 */
export function untaped<T extends tf.Tensor>(fn: (x: tf.Tensor) => T, x: tf.Tensor): T {
  const f = tf.customGrad(((xx: tf.Tensor) => ({
    value: fn(xx),
    gradFunc: () => {
      throw new Error('untaped: no gradient flows through this op');
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => T;
  return f(x);
}

/**
 * Per-row cross-entropy -log softmax(logits)[target] (N) of logits (N, V), with its gradient written out:
 * (softmax(logits) - onehot(target)) * dy. Saves only the logits (TF.js would otherwise keep every (N, V)
 * intermediate of logSoftmax, the one-hot and the product, each a copy on WASM: for GPT-2 at 512 tokens, 100 MB each).
 * No gather: WASM has no gather gradient.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const depth = logits.shape[1];
  const f = tf.customGrad(((z: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([z]);
    const lse = tf.logSumExp(z, 1);
    const picked = tf.sum(tf.mul(z, oneHotF(targets, depth)), 1);
    return {
      value: tf.sub(lse, picked),
      gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) =>
        tf.mul(tf.sub(tf.softmax(saved[0] as tf.Tensor2D, -1), oneHotF(targets, depth)), tf.expandDims(dy, 1)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: tf.Tensor2D) => tf.Tensor1D;
  return f(logits);
}
