/**
 * Per-token quantities of training sequences, laid out as a batch lays out its targets (train.ts layoutBatch: right
 * padding, a sequence longer than blockSize + 1 keeps its end): a value per completion token, in order, becomes a
 * (B*T) array aligned with the batch's mask. Used by the policy-gradient methods (GRPO, RLOO, PPO) for the per-token
 * log-probs of the sampling policy and of the reference (logprobs.ts), values and advantages.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model';
import { disposeBatch, layoutBatch, makeBatch, type Batch, type Sequence } from './train';

/** `values[b][k]` (the k-th completion token of sequence b) at its place in the batch layout of `seqs`. */
export function layoutTokenValues(seqs: readonly Sequence[], blockSize: number, values: readonly (readonly number[])[]): Float32Array {
  const l = layoutBatch(seqs, blockSize, 0);
  const out = new Float32Array(l.B * l.T);
  for (let b = 0; b < l.B; b++) {
    let k = 0;
    for (let j = 0; j < l.T; j++) {
      if (l.mask[b * l.T + j] === 1) out[b * l.T + j] = values[b]![k++] ?? 0;
    }
  }
  return out;
}

/**
 * A per-position quantity of each sequence's completion tokens (in order), no gradient: `perPosition(batch)` gives
 * one value per position of a batch (B*T), computed inside tf.tidy; batches of `batchSize` sequences.
 */
export async function perTokenValues(model: LanguageModel, seqs: readonly Sequence[], padId: number, perPosition: (batch: Batch) => tf.Tensor1D, batchSize = 32): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < seqs.length; i += batchSize) {
    const part = seqs.slice(i, i + batchSize);
    const batch = makeBatch(part, model.config.blockSize, padId);
    const v = tf.tidy(() => perPosition(batch));
    const [values, mask] = await Promise.all([v.data(), batch.mask.data()]);
    const T = batch.ids.shape[1];
    tf.dispose(v);
    disposeBatch(batch);
    for (let b = 0; b < part.length; b++) {
      const row: number[] = [];
      for (let j = 0; j < T; j++) if (mask[b * T + j] === 1) row.push(values[b * T + j]!);
      out.push(row);
    }
  }
  return out;
}
