/**
 * Log-probabilities of completion tokens, in one place: the per-token function (a batch's targets under a model,
 * masked to completion tokens) and what is derived from it: per-sequence sums (differentiable for a loss, or as
 * numbers), per-token numbers per sequence. Used by UFT, online DPO, RLOO, GRPO, PPO (policy and reference) and the
 * engine's reference log-probs. Sums are taken in TF.js (float32, the same order as before the merge), so seeded runs
 * keep their pinned stats.
 *
 * `probeLogProbs` is the conformance probe's own path (`raftlab score`, the page's token view): one unpadded row
 * through a given forward pass and a full log-softmax, compared with the Hub's golden log-probs; the batch path would
 * pad the row and round differently in the last bits, so it stays apart.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model';
import { disposeBatch, makeBatch, type Batch, type Sequence } from './train';
import { perTokenValues } from './token-values';
import { crossEntropy } from './variables';

/** log p(target) of every position from its logits (B*T, V) and targets (B*T), unmasked (PPO reads the logits itself). */
export function targetLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.neg(crossEntropy(logits, targets)) as tf.Tensor1D;
}

/** log p(target) of each position of a batch, 0 where the mask is 0 (not a completion token). (B*T) */
export function tokenLogProbs(model: LanguageModel, batch: Batch, differentiable: boolean): tf.Tensor1D {
  const logits = model.forward(batch.ids, { differentiable }); // (B*T, V)
  return tf.mul(targetLogProbs(logits, batch.targets), batch.mask) as tf.Tensor1D;
}

/** Per-sequence summed log-probability of the completion tokens, differentiable. (B) */
export function sequenceLogProb(model: LanguageModel, batch: Batch, differentiable = true): tf.Tensor1D {
  const [B, T] = batch.ids.shape;
  return tf.sum(tf.reshape(tokenLogProbs(model, batch, differentiable), [B, T]), 1) as tf.Tensor1D; // (B, T) -> (B)
}

/** Per-sequence summed log-probability of the completion tokens (no gradient), in batches of `batchSize`. */
export async function sequenceLogProbs(model: LanguageModel, seqs: readonly Sequence[], padId: number, batchSize = 32): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < seqs.length; i += batchSize) {
    const batch = makeBatch(seqs.slice(i, i + batchSize), model.config.blockSize, padId);
    const s = tf.tidy(() => sequenceLogProb(model, batch, false));
    out.push(...(await s.data()));
    s.dispose();
    disposeBatch(batch);
  }
  return out;
}

/** Per-token completion log-probs of each sequence (in order), no gradient. */
export async function perTokenLogProbs(model: LanguageModel, seqs: readonly Sequence[], padId: number, batchSize = 32): Promise<number[][]> {
  return perTokenValues(model, seqs, padId, (batch) => tokenLogProbs(model, batch, false), batchSize);
}

/**
 * `logprobs[t-1] = log p(ids[t] | ids[:t])` for t >= 1 of one sequence, by a forward pass (ids (1, T) -> logits
 * (T, V)): the model's own, or another (the reference's).
 */
export async function probeLogProbs(forward: (ids: tf.Tensor2D) => tf.Tensor2D, ids: readonly number[], vocabSize: number): Promise<number[]> {
  const x = tf.tensor2d([[...ids]], [1, ids.length], 'int32');
  const lp = tf.tidy(() => tf.logSoftmax(forward(x), -1));
  const data = (await lp.data()) as Float32Array;
  tf.dispose([lp, x]);
  return ids.slice(1).map((id, t) => data[t * vocabSize + id]!);
}
