/**
 * The scenes DiT's denoising objective: v-prediction on the cosine schedule, as the U-Net's (../train.ts), for
 * images of any side and prompts given as token ids. A batch is plain arrays; timesteps and noise come from the
 * caller's seeded Rng (held-out batches keep theirs fixed). A self-conditioned model (config `selfCond`) is trained
 * on half of a batch given its own estimate of the clean image, made by a first pass without one and no gradient
 * (Chen et al. 2022); the other half, and every held-out batch, without one, as the sampler's first step sees it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../../lm/adam';
import type { Rng } from '../../rng';
import type { NoiseSchedule } from '../schedule';
import { clippedX0 } from '../ddim';
import { alphaRoots, noised } from '../train';
import { selfCondOf } from './config';
import type { SceneDiT } from './model';

/** Share of a self-conditioned model's training images given its own estimate (Chen et al. 2022: one half). */
export const SELF_COND_SHARE = 0.5;

export interface DiTBatch {
  /** Image side in pixels. */
  size: number;
  /** Clean images, pixels in [0, 1], HWC, concatenated (B * size * size * 3). */
  images: Float32Array;
  /** Prompt token ids, B rows of maxTokens (dit/tokens.ts). */
  ids: Int32Array;
  t: number[];
  /** Standard normal noise, like `images`. */
  noise: Float32Array;
  /** Self-conditioned models: the images trained given the model's own estimate (drawSelfCondRows). */
  selfCondRows?: boolean[];
  /** Their estimates, x0 in [-1, 1] (zeros in the other rows), like `images`: set by withSelfCond. */
  selfCond?: Float32Array;
  /** Per-pixel loss weights (B * size * size, shared by a pixel's channels; edge-weights.ts); unset: a plain mean. */
  pixelWeights?: Float32Array;
}

/** Mark SELF_COND_SHARE of a batch's images for self-conditioning, from the batch's own rng (after its other draws). */
export function drawSelfCondRows(batch: DiTBatch, rng: Rng): DiTBatch {
  return { ...batch, selfCondRows: batch.t.map(() => rng.chance(SELF_COND_SHARE)) };
}

/**
 * The batch with its self-conditioning rows' estimates filled in: the model's clean-image estimate (x0 from its v,
 * clipped to [-1, 1], as the sampler's) for those rows' noisy images, with no estimate of its own and no gradient.
 * Batches of other models, or without marked rows, come back as they are.
 */
export async function withSelfCond(model: SceneDiT, batch: DiTBatch, schedule: NoiseSchedule): Promise<DiTBatch> {
  if (!selfCondOf(model.config) || !batch.selfCondRows || batch.selfCond) return batch;
  const b = batch.t.length;
  const px = batch.size * batch.size * 3;
  const L = batch.ids.length / b;
  const rows = batch.selfCondRows.flatMap((on, i) => (on ? [i] : []));
  const out = new Float32Array(b * px);
  if (rows.length > 0) {
    const n = rows.length;
    const images = new Float32Array(n * px);
    const noise = new Float32Array(n * px);
    const ids = new Int32Array(n * L);
    rows.forEach((r, j) => {
      images.set(batch.images.subarray(r * px, (r + 1) * px), j * px);
      noise.set(batch.noise.subarray(r * px, (r + 1) * px), j * px);
      ids.set(batch.ids.subarray(r * L, (r + 1) * L), j * L);
    });
    const t = rows.map((r) => batch.t[r]!);
    const est = tf.tidy(() => {
      const { xt } = noised(images, noise, t, [n, batch.size, batch.size, 3], schedule);
      return x0FromV(xt, model.forward(xt, t, ids), t, schedule);
    });
    const data = (await est.data()) as Float32Array;
    est.dispose();
    rows.forEach((r, j) => out.set(data.subarray(j * px, (j + 1) * px), r * px));
  }
  return { ...batch, selfCond: out };
}

/** The clean-image estimate (ddim.ts clippedX0: as the sampler clips it) at each image's timestep. Call inside tf.tidy. */
export function x0FromV(x: tf.Tensor4D, v: tf.Tensor4D, t: readonly number[], schedule: NoiseSchedule): tf.Tensor4D {
  const [sa, sb] = alphaRoots(t, schedule);
  return clippedX0(x, v, sa, sb) as tf.Tensor4D;
}

/** Draw t uniformly and noise for images of side `size` and their prompts' token rows. */
export function drawDiTBatch(images: readonly Float32Array[], ids: readonly Int32Array[], size: number, schedule: NoiseSchedule, rng: Rng): DiTBatch {
  const px = size * size * 3;
  const flat = new Float32Array(images.length * px);
  images.forEach((im, i) => {
    if (im.length !== px) throw new Error(`DiT batch: an image of ${im.length} values is not ${size}x${size}x3`);
    flat.set(im, i * px);
  });
  const L = ids[0]?.length ?? 0;
  const idFlat = new Int32Array(ids.length * L);
  ids.forEach((row, i) => idFlat.set(row, i * L));
  const noise = new Float32Array(flat.length);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const t = images.map(() => rng.int(schedule.steps));
  return { size, images: flat, ids: idFlat, t, noise };
}

/**
 * Mean squared v-prediction error of a batch (a scalar; call inside tf.tidy); with `pixelWeights`, the weighted
 * mean (sum of weight x error over the sum of the weights, a pixel's weight counted for each channel).
 */
export function ditLoss(model: SceneDiT, batch: DiTBatch, schedule: NoiseSchedule): tf.Scalar {
  const b = batch.t.length;
  const { xt, v } = noised(batch.images, batch.noise, batch.t, [b, batch.size, batch.size, 3], schedule);
  const x0 = batch.selfCond ? tf.tensor4d(batch.selfCond, [b, batch.size, batch.size, 3]) : undefined;
  const pred = model.forward(xt, batch.t, batch.ids, x0);
  const sq = tf.square(tf.sub(pred, v));
  if (!batch.pixelWeights) return tf.mean(sq) as tf.Scalar;
  const w = tf.tensor4d(batch.pixelWeights, [b, batch.size, batch.size, 1]);
  return tf.div(tf.sum(tf.mul(sq, w)), tf.mul(tf.sum(w), 3)) as tf.Scalar;
}

/** One Adam step on `vars` (the adapters, or every weight in pre-training). Returns the batch loss. */
export async function ditStep(model: SceneDiT, vars: tf.Variable[], opt: Adam, given: DiTBatch, schedule: NoiseSchedule, lr: number, clip: number): Promise<number> {
  const batch = await withSelfCond(model, given, schedule);
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => ditLoss(model, batch, schedule), vars);
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}

/** Mean loss over batches without gradients (e.g. the held-out loss with fixed t and noise). */
export async function meanDiTLoss(model: SceneDiT, batches: readonly DiTBatch[], schedule: NoiseSchedule): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const batch of batches) {
    const l = tf.tidy(() => ditLoss(model, batch, schedule));
    sum += (await l.data())[0]! * batch.t.length;
    n += batch.t.length;
    l.dispose();
  }
  return n === 0 ? NaN : sum / n;
}
