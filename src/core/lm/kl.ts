/**
 * KL to the reference model of the samples a model actually drew: for each completion position the exact KL between
 * the two models' sampling distributions there, summed over the sample's positions (the completion tokens and the
 * end-of-sequence token when it ended).
 *
 * The policy's sampling distribution q is what `sampleToken` draws from: softmax(logits / temperature) cut to the
 * top-k / top-p support S. The reference's distribution r is the same transform of its logits on the same support S
 * (softmax(ref logits / temperature) renormalised over S). Then KL(q || r) = sum over S of q log(q / r) >= 0, it is
 * finite (r > 0 on S), and it is exactly 0 where the two models' logits agree (cycle 0). Without top-k / top-p, S is
 * the whole vocabulary and this is the plain per-token KL of the tempered distributions.
 */
import * as tf from '@tensorflow/tfjs';
import { samplingCandidates, type SamplingOptions } from './sample';
import { disposeBatch, makeBatch, type Sequence } from './train';

/** Logits (B*T, V) of a batch of token ids (B, T). */
export type LogitsOf = (ids: tf.Tensor2D) => tf.Tensor2D;

/** KL(q || r) of one position: q = policy's sampling distribution, r = reference's on q's support. */
export function positionKl(policy: ArrayLike<number>, reference: ArrayLike<number>, opts: SamplingOptions): number {
  const { ids, weights, n, sum } = samplingCandidates(policy, opts);
  const t = Math.max(opts.temperature, 1e-6);
  let refMax = -Infinity;
  for (let i = 0; i < n; i++) refMax = Math.max(refMax, reference[ids[i]!]!);
  const refWeights = new Float64Array(n);
  let refSum = 0;
  for (let i = 0; i < n; i++) refSum += refWeights[i] = Math.exp((reference[ids[i]!]! - refMax) / t);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    const q = weights[i]! / sum;
    if (q > 0) kl += q * (Math.log(q) - Math.log(refWeights[i]! / refSum));
  }
  return Math.max(0, kl); // rounding can leave -1e-17 where the distributions are equal
}

/**
 * Summed KL over each sequence's loss positions (tokens at index >= lossFrom), in batches; no gradient. `policy` and
 * `reference` give the two models' logits for the same ids.
 */
export async function sequenceKl(
  policy: LogitsOf,
  reference: LogitsOf,
  seqs: readonly Sequence[],
  blockSize: number,
  padId: number,
  opts: SamplingOptions,
  batchSize = 32,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < seqs.length; i += batchSize) {
    const batch = makeBatch(seqs.slice(i, i + batchSize), blockSize, padId);
    const [B, T] = batch.ids.shape;
    const pol = tf.tidy(() => policy(batch.ids));
    const ref = tf.tidy(() => reference(batch.ids));
    const [p, r, mask] = (await Promise.all([pol.data(), ref.data(), batch.mask.data()])) as [Float32Array, Float32Array, Float32Array];
    tf.dispose([pol, ref]);
    disposeBatch(batch);
    const V = pol.shape[1];
    for (let b = 0; b < B; b++) {
      let kl = 0;
      for (let j = 0; j < T; j++) {
        const row = b * T + j;
        if (mask[row]! === 0) continue;
        kl += positionKl(p.subarray(row * V, (row + 1) * V), r.subarray(row * V, (row + 1) * V), opts);
      }
      out.push(kl);
    }
  }
  return out;
}
