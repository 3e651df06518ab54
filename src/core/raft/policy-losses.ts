/**
 * The losses and advantages of the policy-gradient methods, after TRL's definitions:
 * - GRPO: advantage of a sample = its reward minus its group's (prompt's) mean, divided by the group's standard
 *   deviation (`scale_rewards: group`), the batch's (`batch`) or not at all (`none`); per-token clipped ratio
 *   objective -min(r A, clip(r, 1 - epsilon, 1 + epsilon) A) with r = pi / pi_old, plus beta x the k3 estimator of the
 *   KL to the reference, exp(ref - logp) - (ref - logp) - 1; averaged over each sequence's tokens, then over sequences.
 * - RLOO: the reward with beta x the sampled KL to the reference taken off, minus the mean of the other K - 1 samples
 *   of its prompt (the leave-one-out baseline); REINFORCE on the sequence log-prob, -A log pi(y|x).
 * - Online DPO: per prompt the best and the worst of its K samples (ties skipped); -log sigmoid(beta ((log pi(w) -
 *   log ref(w)) - (log pi(l) - log ref(l)))).
 * Standard deviations are unbiased (n - 1), as torch's `std()` that TRL uses.
 */
import * as tf from '@tensorflow/tfjs';

export type ScaleRewards = 'group' | 'batch' | 'none';

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** GRPO advantages, one per sample, groups in order. */
export function grpoAdvantages(groups: readonly (readonly number[])[], scale: ScaleRewards): number[][] {
  const batchStd = std(groups.flat());
  return groups.map((g) => {
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    const s = scale === 'group' ? std(g) : scale === 'batch' ? batchStd : 1;
    return g.map((r) => (r - m) / (scale === 'none' ? 1 : s + 1e-4));
  });
}

/** RLOO advantages: (r_i - beta kl_i) minus the mean of the other samples' of the group (0 for a lone sample). */
export function rlooAdvantages(rewards: readonly number[], kl: readonly number[], beta: number): number[] {
  const r = rewards.map((x, i) => x - beta * (kl[i] ?? 0));
  const n = r.length;
  if (n < 2) return r.map(() => 0);
  const sum = r.reduce((a, b) => a + b, 0);
  return r.map((x) => x - (sum - x) / (n - 1));
}

/** Online DPO pairs of a group: [best, worst] indices, or null when every reward is equal. First best, last worst. */
export function dpoPair(rewards: readonly number[]): [number, number] | null {
  if (rewards.length < 2) return null;
  let best = 0;
  let worst = 0;
  rewards.forEach((r, i) => {
    if (r > rewards[best]!) best = i;
    if (r <= rewards[worst]!) worst = i;
  });
  return rewards[best] === rewards[worst] ? null : [best, worst];
}

/**
 * GRPO loss of a batch from per-token tensors (B*T): log-probs now (differentiable), at sampling (old), under the
 * reference (null: beta 0), advantages broadcast to tokens, and the mask; `B` rows of `T`.
 */
export function grpoLoss(logp: tf.Tensor1D, old: tf.Tensor1D, ref: tf.Tensor1D | null, adv: tf.Tensor1D, mask: tf.Tensor1D, B: number, T: number, epsilon: number, beta: number): tf.Scalar {
  const ratio = tf.exp(tf.sub(logp, old));
  const clipped = tf.clipByValue(ratio, 1 - epsilon, 1 + epsilon);
  let perToken = tf.neg(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv)));
  if (ref && beta > 0) {
    const d = tf.sub(ref, logp);
    perToken = tf.add(perToken, tf.mul(tf.sub(tf.sub(tf.exp(d), d), 1), beta));
  }
  const rows = tf.reshape(tf.mul(perToken, mask), [B, T]);
  const counts = tf.maximum(tf.sum(tf.reshape(mask, [B, T]), 1), 1);
  return tf.mean(tf.div(tf.sum(rows, 1), counts)) as tf.Scalar;
}

/** REINFORCE with per-sample advantages: -mean(A log pi(y|x)). */
export function rlooLoss(seqLogp: tf.Tensor1D, adv: tf.Tensor1D): tf.Scalar {
  return tf.neg(tf.mean(tf.mul(adv, seqLogp))) as tf.Scalar;
}

/** DPO loss of pairs: mean softplus(-beta ((pw - rw) - (pl - rl))). */
export function dpoLoss(policyChosen: tf.Tensor1D, policyRejected: tf.Tensor1D, refChosen: tf.Tensor1D, refRejected: tf.Tensor1D, beta: number): tf.Scalar {
  const margin = tf.sub(tf.sub(policyChosen, refChosen), tf.sub(policyRejected, refRejected));
  return tf.mean(tf.softplus(tf.neg(tf.mul(margin, beta)))) as tf.Scalar;
}
