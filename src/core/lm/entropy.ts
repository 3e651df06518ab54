/**
 * Entropy of the sampling policy on samples it drew: at each completion position (the completion tokens and the
 * end-of-sequence token when the sample ended, as KL to the reference counts them, kl.ts) the entropy of the
 * distribution `sampleToken` draws from, softmax(logits / temperature) cut to the top-k / top-p support S and
 * renormalised: H = -sum over S of q log q (nats). Without top-k / top-p, S is the whole vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import type { LogitsOf } from './kl';
import { samplingCandidates, type SamplingOptions } from './sample';
import { disposeBatch, makeBatch, type Sequence } from './train';
import { microBatchRows } from './train-shapes';

/** Entropy of one position's sampling distribution, from its logits. */
export function positionEntropy(logits: ArrayLike<number>, opts: SamplingOptions): number {
  const { weights, n, sum } = samplingCandidates(logits, opts);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const q = weights[i]! / sum;
    if (q > 0) h -= q * Math.log(q);
  }
  return Math.max(0, h);
}

/**
 * The summed entropy over every loss position of `seqs` and the number of positions (their mean is the mean
 * per-token entropy), in batches of at most 16 rows whose logits stay within a training micro-batch's (the logits
 * are read back whole); no gradient. `policy` gives the model's logits (B*T, V) for ids (B, T).
 */
export async function tokenEntropy(policy: LogitsOf, seqs: readonly Sequence[], blockSize: number, vocabSize: number, padId: number, opts: SamplingOptions): Promise<{ sum: number; positions: number }> {
  const longest = Math.min(blockSize, Math.max(1, ...seqs.map((s) => s.tokens.length)));
  const batchSize = Math.min(16, microBatchRows(longest, vocabSize));
  let sum = 0;
  let positions = 0;
  for (let i = 0; i < seqs.length; i += batchSize) {
    const batch = makeBatch(seqs.slice(i, i + batchSize), blockSize, padId);
    const logits = tf.tidy(() => policy(batch.ids));
    const [z, mask] = (await Promise.all([logits.data(), batch.mask.data()])) as [Float32Array, Float32Array];
    const V = logits.shape[1];
    tf.dispose(logits);
    disposeBatch(batch);
    for (let row = 0; row < mask.length; row++) {
      if (mask[row]! === 0) continue;
      sum += positionEntropy(z.subarray(row * V, (row + 1) * V), opts);
      positions++;
    }
  }
  return { sum, positions };
}
