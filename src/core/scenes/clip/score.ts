/**
 * Scoring with the scenes CLIP from plain arrays: embeddings of images (any square side: resampled to the model's)
 * and of prompts (the world's words: a word outside the grammar is a ScenePromptError naming it), copied out of
 * TF.js in batches, every tensor freed; cosines of matching pairs or of every image with every prompt.
 */
import * as tf from '@tensorflow/tfjs';
import { encodePrompt } from '../tokenizer';
import type { SceneClip } from './model';
import { resampleTo } from './resize';

/** Images (or prompts) per forward pass. */
export const SCORE_BATCH = 64;

async function rows(t: tf.Tensor2D): Promise<Float32Array[]> {
  const [n, d] = t.shape;
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
}

/** Unit-length image embeddings, one per image (HWC in [0, 1], any square side). */
export async function embedImageArrays(model: SceneClip, images: readonly Float32Array[]): Promise<Float32Array[]> {
  const S = model.config.imageSize;
  const out: Float32Array[] = [];
  for (let i = 0; i < images.length; i += SCORE_BATCH) {
    const part = images.slice(i, i + SCORE_BATCH).map((px) => resampleTo(px, S));
    const flat = new Float32Array(part.length * S * S * 3);
    part.forEach((px, k) => flat.set(px, k * S * S * 3));
    const x = tf.tensor4d(flat, [part.length, S, S, 3]);
    const e = model.embedImages(x);
    x.dispose();
    out.push(...(await rows(e)));
  }
  return out;
}

/** Unit-length text embeddings, one per prompt (prompts of the scenes grammar's words). */
export async function embedPromptArrays(model: SceneClip, prompts: readonly string[]): Promise<Float32Array[]> {
  const L = model.config.maxWords;
  const out: Float32Array[] = [];
  for (let i = 0; i < prompts.length; i += SCORE_BATCH) {
    const part = prompts.slice(i, i + SCORE_BATCH);
    out.push(...(await rows(model.embedTexts(part.flatMap((p) => encodePrompt(p, L)), part.length))));
  }
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine of each image with its own prompt (prompts[i] for images[i]). */
export async function pairCosines(model: SceneClip, images: readonly Float32Array[], prompts: readonly string[]): Promise<number[]> {
  if (images.length !== prompts.length) throw new Error(`scenes CLIP: ${images.length} images for ${prompts.length} prompts`);
  const unique = [...new Set(prompts)];
  const t = new Map(unique.map((p, i) => [p, i]));
  const te = await embedPromptArrays(model, unique);
  return (await embedImageArrays(model, images)).map((e, i) => dot(e, te[t.get(prompts[i]!)!]!));
}

/** Cosines of every image with every prompt: [image][prompt]. */
export async function cosineMatrix(model: SceneClip, images: readonly Float32Array[], prompts: readonly string[]): Promise<number[][]> {
  const te = await embedPromptArrays(model, prompts);
  return (await embedImageArrays(model, images)).map((e) => te.map((t) => dot(e, t)));
}
