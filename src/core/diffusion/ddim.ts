/**
 * Deterministic DDIM sampling (Song et al. 2021, eta = 0) for a v-predicting model, with optional classifier-free
 * guidance: v = v(x, null) + g * (v(x, label) - v(x, null)), x0 = sqrt(aBar) x - sqrt(1 - aBar) v (clipped to
 * [-1, 1]), eps = (x - sqrt(aBar) x0) / sqrt(1 - aBar), x_prev = sqrt(aBar_prev) x0 + sqrt(1 - aBar_prev) eps. The
 * only randomness is the starting noise, drawn from a per-image seed: the same seed, label and weights give the same
 * image, so evaluation images can be compared across RAFT cycles.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { IMAGE_SIZE, NULL_LABEL, PIXELS } from './dataset';
import { ddimTimesteps, type NoiseSchedule } from './schedule';
import type { UNet } from './unet';
import { nextTask } from '../next-task';

export interface SampleOptions {
  /** DDIM steps (the schedule's timesteps are evenly strided). */
  steps: number;
  /** Classifier-free guidance scale; 1 = plain conditional sampling (one forward pass per step). */
  guidance: number;
  /** Images per forward pass. */
  batchSize?: number;
}

/** Starting noise of one image from its seed (standard normal, `pixels` values: PIXELS for the 16 px shapes). */
export function seedNoise(seed: number, pixels = PIXELS): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(pixels);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/**
 * The DDIM loop (eta 0) over one batch: x (the start noise; disposed) stepped down `steps` of the schedule's
 * timesteps, `vAt(x, t, x0)` giving the model's (guided) v at x, called inside a tidy. `estimate(x, v, t)`, for a
 * self-conditioned model: the clean-image estimate handed to the next step's vAt as x0 (undefined at the first
 * step, and always without it). Returns the last x as pixels in [0, 1]; on a throw, its tensors are freed first.
 */
export async function ddimLoop(
  x: tf.Tensor4D, schedule: NoiseSchedule, steps: number,
  vAt: (x: tf.Tensor4D, t: number, x0?: tf.Tensor4D) => tf.Tensor,
  estimate?: (x: tf.Tensor4D, v: tf.Tensor, t: number) => tf.Tensor4D,
): Promise<Float32Array> {
  const ts = ddimTimesteps(schedule, steps);
  let x0: tf.Tensor4D | undefined;
  try {
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      const aPrev = i + 1 < ts.length ? schedule.alphaBar[ts[i + 1]!]! : 1;
      const [next, nextX0] = tf.tidy(() => {
        const v = vAt(x, t, x0);
        const stepped = ddimUpdate(x, v, schedule.alphaBar[t]!, aPrev, i + 1 === ts.length);
        return estimate ? [stepped, estimate(x, v, t)] : [stepped];
      }) as [tf.Tensor4D, tf.Tensor4D?];
      tf.dispose([x, ...(x0 ? [x0] : [])]);
      x = next;
      x0 = nextX0;
    }
  } catch (e) {
    tf.dispose([x, ...(x0 ? [x0] : [])]);
    throw e;
  }
  x0?.dispose();
  return finalPixels(x);
}

/** One batch: starting noise (B * PIXELS) -> images with pixels in [0, 1] (B * PIXELS). */
export async function ddimBatch(model: UNet, schedule: NoiseSchedule, labels: readonly number[], noise: Float32Array, o: SampleOptions): Promise<Float32Array> {
  const b = labels.length;
  const shape: [number, number, number, number] = [b, IMAGE_SIZE, IMAGE_SIZE, 3];
  const nulls = new Array(b).fill(NULL_LABEL);
  return ddimLoop(tf.tensor4d(noise, shape), schedule, o.steps, (x, t) => {
    if (o.guidance === 1) return model.forward(x, new Array(b).fill(t), labels, false);
    const both = model.forward(tf.concat([x, x], 0) as tf.Tensor4D, new Array(2 * b).fill(t), [...labels, ...nulls], false);
    const cond = tf.slice(both, [0, 0, 0, 0], shape);
    const unc = tf.slice(both, [b, 0, 0, 0], shape);
    return tf.add(unc, tf.mul(tf.sub(cond, unc), o.guidance));
  });
}

/** A sampler's last x (values in [-1, 1]) as pixels in [0, 1], read out; x is disposed. */
export async function finalPixels(x: tf.Tensor): Promise<Float32Array> {
  const img = tf.tidy(() => tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1));
  x.dispose();
  const out = (await img.data()) as Float32Array;
  img.dispose();
  return out;
}

/**
 * One DDIM step from x at alphaBar `aBar` to `aPrev` given the model's v: x0 = sqrt(aBar) x - sqrt(1 - aBar) v
 * (clipped to [-1, 1]); `last`: x0 itself. Without `noise` the step is deterministic (eta 0, what the lab samples
 * with); with it, Song et al. 2021's generalised step: sigma = eta sqrt((1 - aPrev) / (1 - aBar)) sqrt(1 - aBar /
 * aPrev), x_prev = sqrt(aPrev) x0 + sqrt(1 - aPrev - sigma^2) eps + sigma z (eta 1 is DDPM-like ancestral sampling).
 * Call inside tf.tidy.
 */
export function ddimUpdate(x: tf.Tensor, v: tf.Tensor, aBar: number, aPrev: number, last: boolean, noise?: { z: tf.Tensor; eta: number }): tf.Tensor {
  const x0 = clippedX0(x, v, Math.sqrt(aBar), Math.sqrt(1 - aBar));
  if (last) return x0;
  const eps = tf.div(tf.sub(x, tf.mul(x0, Math.sqrt(aBar))), Math.sqrt(1 - aBar));
  if (!noise) return tf.add(tf.mul(x0, Math.sqrt(aPrev)), tf.mul(eps, Math.sqrt(1 - aPrev)));
  const sigma = noise.eta * Math.sqrt((1 - aPrev) / (1 - aBar)) * Math.sqrt(Math.max(0, 1 - aBar / aPrev));
  return tf.addN([tf.mul(x0, Math.sqrt(aPrev)), tf.mul(eps, Math.sqrt(Math.max(0, 1 - aPrev - sigma * sigma))), tf.mul(noise.z, sigma)]);
}

/**
 * The clean-image estimate of v-prediction, sqrt(aBar) x - sqrt(1 - aBar) v, clipped to [-1, 1]: `sa` and `sb` are
 * sqrt(aBar) and sqrt(1 - aBar), numbers for one timestep or tensors that broadcast over x (one per image).
 */
export function clippedX0(x: tf.Tensor, v: tf.Tensor, sa: number | tf.Tensor, sb: number | tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.sub(tf.mul(x, sa), tf.mul(v, sb)), -1, 1);
}

/** Images for (label, seed) pairs, in order; each image's pixels in [0, 1] (PIXELS values, HWC). */
export async function sampleImages(
  model: UNet, schedule: NoiseSchedule, items: ReadonlyArray<{ label: number; seed: number }>, o: SampleOptions,
  onBatch?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const bs = o.batchSize ?? 32;
  const out: Float32Array[] = [];
  for (let i = 0; i < items.length; i += bs) {
    const chunk = items.slice(i, i + bs);
    const noise = new Float32Array(chunk.length * PIXELS);
    chunk.forEach((it, j) => noise.set(seedNoise(it.seed), j * PIXELS));
    const flat = await ddimBatch(model, schedule, chunk.map((c) => c.label), noise, o);
    for (let j = 0; j < chunk.length; j++) out.push(flat.slice(j * PIXELS, (j + 1) * PIXELS));
    onBatch?.(Math.min(items.length, i + bs), items.length);
    await nextTask();
  }
  return out;
}
