/**
 * Pre-training batches and steps of the scenes CLIP. A batch is B training pairs of the world (trainingPair: a
 * caption and its image, never a held-out combination), seeded by (seed, step); each image is lightly spoiled at
 * random so the reward also reads a denoiser's imperfect images: a quarter drawn at 48 px and downscaled to 32 (the
 * resolution experiment's images), a quarter with Gaussian pixel noise (sd up to 0.08), a sixth blurred (3x3).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../../lm/adam';
import { Rng } from '../../rng';
import { blur3 } from '../blur';
import { trainingPair, type SceneLayout } from '../index';
import { encodePrompt } from '../tokenizer';
import { clipLoss } from './loss';
import type { SceneClip } from './model';
import { resampleTo } from './resize';

export interface ClipBatch {
  /** (B, S, S, 3) pixels in [0, 1], concatenated. */
  images: Float32Array;
  /** (B, L) word ids. */
  ids: number[];
  prompts: string[];
  size: number;
}

/** The batch of a step: pairs seed * 1e6 + step * B + i, each spoiled as the header says; `layout`: the world's (default 'spread'). */
export function clipBatch(seed: number, step: number, batch: number, size: number, maxWords: number, layout?: SceneLayout): ClipBatch {
  const rng = Rng.derive(seed * 1_000_003 + step, 'scenes-clip/batch');
  const images = new Float32Array(batch * size * size * 3);
  const ids: number[] = [];
  const prompts: string[] = [];
  for (let i = 0; i < batch; i++) {
    const pairSeed = seed * 1_000_000_007 + step * batch + i;
    const u = rng.float();
    const pair = trainingPair(pairSeed, u < 0.25 ? Math.round(size * 1.5) : size, undefined, layout);
    let px = resampleTo(pair.pixels, size);
    if (u >= 0.25 && u < 0.5) {
      const sd = 0.08 * rng.float();
      px = px.map((v) => Math.min(1, Math.max(0, v + sd * rng.normal())));
    } else if (u >= 0.5 && u < 0.67) px = blur3(px);
    images.set(px, i * size * size * 3);
    ids.push(...encodePrompt(pair.prompt, maxWords));
    prompts.push(pair.prompt);
  }
  return { images, ids, prompts, size };
}

/** The CLIP loss of a batch (a scalar; call inside a tidy). */
export function batchLoss(model: SceneClip, b: ClipBatch): tf.Scalar {
  const n = b.prompts.length;
  const img = model.embedImages(tf.tensor4d(b.images, [n, b.size, b.size, 3])); // (B, D)
  const txt = model.embedTexts(b.ids, n); // (B, D)
  const logits = tf.mul(tf.matMul(img, txt, false, true), model.scale()) as tf.Tensor2D; // (B, B)
  return clipLoss(logits);
}

/** One Adam step on every weight; returns the batch loss. */
export async function clipTrainStep(model: SceneClip, opt: Adam, b: ClipBatch, lr: number, clip: number): Promise<number> {
  const vars = [...model.weights.values()];
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => batchLoss(model, b), vars);
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}
