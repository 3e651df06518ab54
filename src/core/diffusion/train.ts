/**
 * The denoising objective (DDPM with v-prediction, Salimans & Ho 2022): for a clean image x0 (pixels in [0, 1],
 * scaled to [-1, 1]), a timestep t and Gaussian noise eps, x_t = sqrt(aBar_t) x0 + sqrt(1 - aBar_t) eps; the model
 * predicts v = sqrt(aBar_t) eps - sqrt(1 - aBar_t) x0 and the loss is the mean squared error of v. (v balances the
 * loss across noise levels: an eps-predicting model this small learned the coarse, high-noise structure too slowly.)
 * Timesteps and noise come from the caller's seeded Rng, so a loss is reproducible (held-out loss uses fixed t and
 * noise).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../lm/adam';
import type { Rng } from '../rng';
import { PIXELS } from './dataset';
import type { NoiseSchedule } from './schedule';
import type { UNet } from './unet';

/** A batch of the denoising objective, as plain arrays (no tensors until it is used). */
export interface DenoiseBatch {
  /** Clean square images, pixels in [0, 1], concatenated (B * PIXELS for the 16 px shapes; B * S * S * 3 for side S). */
  images: Float32Array;
  labels: number[];
  t: number[];
  /** Standard normal noise (B * PIXELS). */
  noise: Float32Array;
}

/** Draw t uniformly and noise for the given images. */
export function drawBatch(images: readonly Float32Array[], labels: readonly number[], schedule: NoiseSchedule, rng: Rng): DenoiseBatch {
  const b = images.length;
  const flat = new Float32Array(b * PIXELS);
  images.forEach((im, i) => flat.set(im, i * PIXELS));
  const noise = new Float32Array(b * PIXELS);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const t = images.map(() => rng.int(schedule.steps));
  return { images: flat, labels: labels.slice(), t, noise };
}

/** Mean squared v-prediction error of a batch (a scalar tensor; call inside tf.tidy); the image side is read from the batch. */
export function denoiseLoss(model: UNet, batch: DenoiseBatch, schedule: NoiseSchedule, training: boolean): tf.Scalar {
  const b = batch.labels.length;
  const side = Math.round(Math.sqrt(batch.images.length / (3 * b)));
  if (side * side * 3 * b !== batch.images.length) throw new Error(`denoise batch: ${batch.images.length} values are not ${b} square RGB images`);
  const shape: [number, number, number, number] = [b, side, side, 3];
  const { xt, v } = noised(batch.images, batch.noise, batch.t, shape, schedule);
  const pred = model.forward(xt, batch.t, batch.labels, training);
  return tf.mean(tf.square(tf.sub(pred, v))) as tf.Scalar;
}

/** sqrt(aBar) and sqrt(1 - aBar) at each image's timestep, shaped (B, 1, 1, 1) to scale a batch. Call inside tf.tidy. */
export function alphaRoots(ts: readonly number[], schedule: NoiseSchedule): [tf.Tensor4D, tf.Tensor4D] {
  const b = ts.length;
  return [
    tf.tensor4d(ts.map((t) => Math.sqrt(schedule.alphaBar[t]!)), [b, 1, 1, 1]),
    tf.tensor4d(ts.map((t) => Math.sqrt(1 - schedule.alphaBar[t]!)), [b, 1, 1, 1]),
  ];
}

/**
 * The noisy images x_t and the v targets of clean images (pixels in [0, 1], flat HWC) and noise at timesteps t, for
 * images of `shape` (B, S, S, 3). Call inside tf.tidy.
 */
export function noised(
  images: Float32Array, noise: Float32Array, ts: readonly number[], shape: [number, number, number, number], schedule: NoiseSchedule,
): { xt: tf.Tensor4D; v: tf.Tensor4D } {
  const x0 = tf.sub(tf.mul(tf.tensor4d(images, shape), 2), 1);
  const eps = tf.tensor4d(noise, shape);
  const [sa, sb] = alphaRoots(ts, schedule);
  return { xt: tf.add(tf.mul(x0, sa), tf.mul(eps, sb)) as tf.Tensor4D, v: tf.sub(tf.mul(eps, sa), tf.mul(x0, sb)) as tf.Tensor4D };
}

/** One Adam step on `vars` (the adapters, or every weight in pre-training). Returns the batch loss. */
export async function denoiseStep(
  model: UNet, vars: tf.Variable[], opt: Adam, batch: DenoiseBatch, schedule: NoiseSchedule, lr: number, clip: number,
): Promise<number> {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => denoiseLoss(model, batch, schedule, true), vars);
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}

/** Mean loss over batches without gradients (e.g. the held-out loss with fixed t and noise). */
export async function meanDenoiseLoss(model: UNet, batches: readonly DenoiseBatch[], schedule: NoiseSchedule): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const batch of batches) {
    const l = tf.tidy(() => denoiseLoss(model, batch, schedule, false));
    sum += (await l.data())[0]! * batch.labels.length;
    n += batch.labels.length;
    l.dispose();
  }
  return n === 0 ? NaN : sum / n;
}
