/**
 * The scenes DiT's denoising objective: v-prediction on the cosine schedule, as the U-Net's (../train.ts), for
 * images of any side and prompts given as token ids. A batch is plain arrays; timesteps and noise come from the
 * caller's seeded Rng (held-out batches keep theirs fixed).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../../lm/adam';
import type { Rng } from '../../rng';
import type { NoiseSchedule } from '../schedule';
import { noised } from '../train';
import type { SceneDiT } from './model';

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

/** Mean squared v-prediction error of a batch (a scalar; call inside tf.tidy). */
export function ditLoss(model: SceneDiT, batch: DiTBatch, schedule: NoiseSchedule): tf.Scalar {
  const b = batch.t.length;
  const { xt, v } = noised(batch.images, batch.noise, batch.t, [b, batch.size, batch.size, 3], schedule);
  const pred = model.forward(xt, batch.t, batch.ids);
  return tf.mean(tf.square(tf.sub(pred, v))) as tf.Scalar;
}

/** One Adam step on `vars` (the adapters, or every weight in pre-training). Returns the batch loss. */
export async function ditStep(model: SceneDiT, vars: tf.Variable[], opt: Adam, batch: DiTBatch, schedule: NoiseSchedule, lr: number, clip: number): Promise<number> {
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
