/**
 * The denoising objective of a diffusers UNet, in its scheduler's terms: for clean images x0 (B, C, H, W) in [-1, 1],
 * timesteps t uniform over the training schedule and Gaussian noise eps, x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps, and
 * the model's output is fitted (mean squared error) to what its `prediction_type` names: eps (`epsilon`),
 * v = sqrt(a_t) eps - sqrt(1 - a_t) x0 (`v_prediction`) or x0 (`sample`), as diffusers' training examples do.
 * Timesteps and noise come from the caller's seeded Rng; one Adam step trains the given variables (the adapters).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../lm/adam';
import type { Rng } from '../rng';
import type { Scheduler } from './scheduler';
import type { UNet2DModel } from './unet2d/model';

export interface UNetBatch {
  /** Clean images (B * C * H * W, NCHW) in [-1, 1]. */
  images: Float32Array;
  shape: [number, number, number, number];
  t: number[];
  noise: Float32Array;
  classLabels?: number[];
}

/** Draw t uniformly over the training timesteps and standard normal noise for the images. */
export function drawUNetBatch(images: Float32Array, shape: [number, number, number, number], scheduler: Scheduler, rng: Rng, classLabels?: number[]): UNetBatch {
  const t = Array.from({ length: shape[0] }, () => rng.int(scheduler.config.numTrainTimesteps));
  const noise = new Float32Array(images.length);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  return { images, shape, t, noise, classLabels };
}

/** Mean squared error of the model's prediction (a scalar; call inside tf.tidy). */
export function unetLoss(unet: UNet2DModel, scheduler: Scheduler, batch: UNetBatch): tf.Scalar {
  const [B] = batch.shape;
  const x0 = tf.tensor4d(batch.images, batch.shape);
  const eps = tf.tensor4d(batch.noise, batch.shape);
  const a = batch.t.map((t) => scheduler.alphasCumprod[t]!);
  const sa = tf.tensor4d(a.map(Math.sqrt), [B, 1, 1, 1]);
  const sb = tf.tensor4d(a.map((x) => Math.sqrt(1 - x)), [B, 1, 1, 1]);
  const xt = tf.add(tf.mul(x0, sa), tf.mul(eps, sb)) as tf.Tensor4D;
  const type = scheduler.config.predictionType;
  const target = type === 'epsilon' ? eps : type === 'sample' ? x0 : tf.sub(tf.mul(eps, sa), tf.mul(x0, sb));
  const pred = unet.forward(xt, batch.t, batch.classLabels);
  return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
}

/** The rows [from, to) of a batch. */
function rows(batch: UNetBatch, from: number, to: number): UNetBatch {
  const per = batch.images.length / batch.shape[0];
  return {
    images: batch.images.subarray(from * per, to * per), noise: batch.noise.subarray(from * per, to * per),
    shape: [to - from, batch.shape[1], batch.shape[2], batch.shape[3]], t: batch.t.slice(from, to), classLabels: batch.classLabels?.slice(from, to),
  };
}

/**
 * One Adam step on `vars` over the batch; returns the batch loss. With `microBatch` < B the gradients of micro-batches
 * are summed (weighted by their rows) before the one step: the same update, less activation memory (the WASM heap is
 * 4 GiB; a 35.7M-parameter UNet at batch 16 and 32x32 does not fit in one pass).
 */
export async function unetTrainStep(unet: UNet2DModel, scheduler: Scheduler, vars: tf.Variable[], opt: Adam, batch: UNetBatch, lr: number, clip: number, microBatch = batch.shape[0]): Promise<number> {
  const B = batch.shape[0];
  if (microBatch >= B) {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => unetLoss(unet, scheduler, batch), vars);
      opt.apply(vars, grads, lr, clip);
      return value;
    });
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  }
  let sum: tf.NamedTensorMap | null = null;
  let lossSum = 0;
  for (let from = 0; from < B; from += microBatch) {
    const part = rows(batch, from, Math.min(B, from + microBatch));
    const w = part.shape[0] / B;
    const { value, grads } = tf.variableGrads(() => unetLoss(unet, scheduler, part), vars);
    lossSum += (await value.data())[0]! * w;
    value.dispose();
    const prev: tf.NamedTensorMap | null = sum;
    sum = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, prev ? tf.add(prev[k]!, tf.mul(g, w)) : tf.mul(g, w)])));
    tf.dispose(Object.values(grads));
    if (prev) tf.dispose(Object.values(prev));
  }
  const total: tf.NamedTensorMap = sum!;
  tf.tidy(() => {
    opt.apply(vars, total, lr, clip);
  });
  tf.dispose(Object.values(total));
  return lossSum;
}

/** The loss without gradients (fixed t and noise: a held-out measure). */
export async function unetEvalLoss(unet: UNet2DModel, scheduler: Scheduler, batch: UNetBatch): Promise<number> {
  const l = tf.tidy(() => unetLoss(unet, scheduler, batch));
  const v = (await l.data())[0]!;
  l.dispose();
  return v;
}
