/**
 * UFT (Unified Fine-Tuning, arXiv 2410.21438): one loss for demonstrations and scored samples.
 * Implicit reward r = beta * (sum_t log pi_theta - sum_t log pi_ref) over completion tokens, against a frozen
 * reference; loss = mean over samples of (sigmoid(r) - score)^2. Demonstrations have score 1; generated samples keep
 * their reward in [0, 1] as score.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../lm/adam';
import type { LanguageModel } from '../lm/language-model';
import { sequenceLogProb } from '../lm/logprobs';
import { accumulatedGrads, type Batch } from '../lm/train';

/** UFT loss from per-sequence summed log-probs (B) under policy and reference, and scores (B). */
export function uftLoss(logpPolicy: tf.Tensor1D, logpRef: tf.Tensor1D, scores: tf.Tensor1D, beta: number): tf.Scalar {
  const r = tf.mul(tf.sub(logpPolicy, logpRef), beta);
  return tf.mean(tf.square(tf.sub(tf.sigmoid(r), scores))) as tf.Scalar;
}

/** One UFT optimizer step; `refLogp` and `scores` are per sequence of the batch, in order. Returns the loss. */
export async function uftStep(
  model: LanguageModel,
  opt: Adam,
  batch: Batch,
  refLogp: readonly number[],
  scores: readonly number[],
  beta: number,
  lr: number,
  clip: number,
): Promise<number> {
  const vars = model.trainableVariables();
  const ref = tf.tensor1d(refLogp as number[]);
  const sc = tf.tensor1d(scores as number[]);
  const loss = tf.tidy(() => {
    // a mean over rows: each micro-batch contributes its rows' mean times its share of the rows
    const B = batch.ids.shape[0];
    const { value, grads } = accumulatedGrads(model, batch, (part, start) => {
      const n = part.ids.shape[0];
      const loss = uftLoss(sequenceLogProb(model, part), tf.slice(ref, [start], [n]), tf.slice(sc, [start], [n]), beta);
      return tf.mul(loss, n / B) as tf.Scalar;
    });
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  tf.dispose([loss, ref, sc]);
  return v;
}
