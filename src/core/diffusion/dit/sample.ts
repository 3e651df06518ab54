/**
 * DDIM sampling (eta = 0, ../ddim.ts's step) of the scenes DiT with classifier-free guidance:
 * v = v(x, null) + g (v(x, prompt) - v(x, null)); at g = 1 only the conditional pass runs, so guidance 1 is the
 * conditional prediction exactly. The prompts are encoded once per batch (with the null prompt when guided).
 * Images of any side the model accepts (see patches.ts); the only randomness is each image's seeded start noise.
 * A self-conditioned model is given, from the second step on, the clean image the step before estimated (with
 * guidance: the guided estimate, for both passes).
 */
import * as tf from '@tensorflow/tfjs';
import { nextTask } from '../../next-task';
import { ddimLoop, seedNoise, type SampleOptions } from '../ddim';
import type { NoiseSchedule } from '../schedule';
import { selfCondOf } from './config';
import type { SceneDiT, TextContext } from './model';
import { x0FromV } from './train';
import { nullTokens } from './tokens';

/**
 * The guided v for x (B, S, S, 3) at timestep t. `text` holds the B prompts, followed by B null prompts when
 * guidance != 1. `x0`: a self-conditioned model's earlier estimate (B, S, S, 3). Call inside tf.tidy.
 */
export function guidedV(model: SceneDiT, x: tf.Tensor4D, t: number, text: TextContext, guidance: number, x0?: tf.Tensor4D): tf.Tensor4D {
  const b = x.shape[0];
  if (guidance === 1) return model.denoise(x, new Array(b).fill(t), text, { x0 });
  const both = model.denoise(tf.concat([x, x], 0) as tf.Tensor4D, new Array(2 * b).fill(t), text, { x0: x0 && (tf.concat([x0, x0], 0) as tf.Tensor4D) });
  const [cond, unc] = tf.split(both, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
  return tf.add(unc, tf.mul(tf.sub(cond, unc), guidance));
}

/** The rows of `ids` (B prompts), followed by B null prompts when guided. */
export function guidanceIds(ids: Int32Array, b: number, maxTokens: number, guidance: number): Int32Array {
  if (guidance === 1) return ids;
  const out = new Int32Array(2 * b * maxTokens);
  out.set(ids);
  const nul = nullTokens(maxTokens);
  for (let i = 0; i < b; i++) out.set(nul, (b + i) * maxTokens);
  return out;
}

/** The text context of `rows` prompts' token rows, kept outside any tidy (free it with disposeText). */
export function encodePrompts(model: SceneDiT, ids: Int32Array, rows: number): TextContext {
  return tf.tidy(() => {
    const c = model.encodeText(ids, rows);
    return { tokens: tf.keep(c.tokens), pooled: tf.keep(c.pooled), mask: tf.keep(c.mask) };
  });
}

export function disposeText(text: TextContext): void {
  tf.dispose([text.tokens, text.pooled, text.mask]);
}

/** One batch: prompts' token rows (B * maxTokens) and start noise (B * S * S * 3) -> pixels in [0, 1]. */
export async function ditDdimBatch(model: SceneDiT, schedule: NoiseSchedule, ids: Int32Array, noise: Float32Array, size: number, o: SampleOptions): Promise<Float32Array> {
  const L = model.config.maxTokens;
  const b = ids.length / L;
  const allIds = guidanceIds(ids, b, L, o.guidance);
  const text = encodePrompts(model, allIds, allIds.length / L);
  const estimate = selfCondOf(model.config) ? (x: tf.Tensor4D, v: tf.Tensor, t: number) => x0FromV(x, v as tf.Tensor4D, new Array(b).fill(t), schedule) : undefined;
  try {
    return await ddimLoop(tf.tensor4d(noise, [b, size, size, 3]), schedule, o.steps, (x, t, x0) => guidedV(model, x, t, text, o.guidance, x0), estimate);
  } finally {
    disposeText(text);
  }
}

/** Images (HWC, pixels in [0, 1]) of side `size` for (token row, seed) items, in order. */
export async function ditSampleImages(
  model: SceneDiT, schedule: NoiseSchedule, items: ReadonlyArray<{ ids: Int32Array; seed: number }>, size: number, o: SampleOptions,
  onBatch?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const bs = o.batchSize ?? 32;
  const px = size * size * 3;
  const L = model.config.maxTokens;
  const out: Float32Array[] = [];
  for (let i = 0; i < items.length; i += bs) {
    const chunk = items.slice(i, i + bs);
    const ids = new Int32Array(chunk.length * L);
    const noise = new Float32Array(chunk.length * px);
    chunk.forEach((it, j) => {
      ids.set(it.ids, j * L);
      noise.set(seedNoise(it.seed, px), j * px);
    });
    const flat = await ditDdimBatch(model, schedule, ids, noise, size, o);
    for (let j = 0; j < chunk.length; j++) out.push(flat.slice(j * px, (j + 1) * px));
    onBatch?.(Math.min(items.length, i + bs), items.length);
    await nextTask();
  }
  return out;
}
