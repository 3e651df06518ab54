/**
 * The losses and advantages of the policy-gradient methods, after TRL's definitions:
 * - GRPO: advantage of a sample = its reward minus its group's (prompt's) mean, divided by the group's standard
 *   deviation (`scale_rewards: group`), the batch's (`batch`) or not at all (`none`); per-token clipped ratio
 *   objective -min(r A, clip(r, 1 - epsilon, 1 + epsilon_high) A) with r = pi / pi_old, plus beta x the k3 estimator
 *   of the KL to the reference, exp(ref - logp) - (ref - logp) - 1; averaged as the loss type says (loss-types.ts).
 * - RLOO: the reward with beta x the sampled KL to the reference taken off, minus the mean of the other K - 1 samples
 *   of its prompt (the leave-one-out baseline); REINFORCE on the sequence log-prob, -A log pi(y|x).
 * - Reinforce-Rej (Xiong et al. 2025): the reward minus its prompt's mean; prompts whose rewards all tie are dropped.
 * - RAFT++ (Xiong et al. 2025): RAFT's kept samples (advantage 1) under the clipped ratio, written as the
 *   importance-weighted NLL (raftppLoss).
 * - Online DPO: per prompt the best and the worst of its K samples (ties skipped); -log sigmoid(beta ((log pi(w) -
 *   log ref(w)) - (log pi(l) - log ref(l)))).
 * Standard deviations are unbiased (n - 1), as torch's `std()` that TRL uses. A group whose rewards are all equal has
 * advantage exactly 0 (its mean, computed in floating point, can differ from its members in the last bit, and Adam
 * would turn that into a full-size step).
 */
import * as tf from '@tensorflow/tfjs';
import type { LossType } from './loss-types';

export type ScaleRewards = 'group' | 'batch' | 'none';

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** Whether every reward of a group is the same (a group with no signal: TRL's `frac_reward_zero_std` counts them). */
export function allEqual(xs: readonly number[]): boolean {
  return xs.every((x) => x === xs[0]);
}

/** The share of groups whose rewards all tie (TRL's `frac_reward_zero_std`); null with no group. */
export function fracZeroStd(groups: readonly (readonly number[])[]): number | null {
  return groups.length ? groups.filter((g) => allEqual(g)).length / groups.length : null;
}

/** GRPO advantages, one per sample, groups in order. */
export function grpoAdvantages(groups: readonly (readonly number[])[], scale: ScaleRewards): number[][] {
  const batchStd = std(groups.flat());
  return groups.map((g) => {
    if (allEqual(g)) return g.map(() => 0);
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    const s = scale === 'group' ? std(g) : scale === 'batch' ? batchStd : 1;
    return g.map((r) => (r - m) / (scale === 'none' ? 1 : s + 1e-4));
  });
}

/** RLOO advantages: (r_i - beta kl_i) minus the mean of the other samples' of the group (0 for a lone sample). */
export function rlooAdvantages(rewards: readonly number[], kl: readonly number[], beta: number): number[] {
  const r = rewards.map((x, i) => x - beta * (kl[i] ?? 0));
  const n = r.length;
  if (n < 2 || allEqual(r)) return r.map(() => 0);
  const sum = r.reduce((a, b) => a + b, 0);
  return r.map((x) => x - (sum - x) / (n - 1));
}

/** Reinforce-Rej advantages: reward minus its prompt's mean; null when the rewards all tie (the prompt is dropped). */
export function meanBaselineAdvantages(rewards: readonly number[]): number[] | null {
  if (allEqual(rewards)) return null;
  const m = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  return rewards.map((r) => r - m);
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

/** The clip range: r is clipped to [1 - low, 1 + high] (clip-higher: `epsilonHigh`, 0 = the same as epsilon, as TRL). */
export interface ClipRange {
  low: number;
  high: number;
}

export function clipRange(epsilon: number, epsilonHigh: number): ClipRange {
  return { low: epsilon, high: epsilonHigh > 0 ? epsilonHigh : epsilon };
}

/** How a batch's per-token losses are averaged (loss-types.ts): `rows` of the whole batch, and the divisor of the token sum. */
export interface Normaliser {
  type: LossType;
  /** Rows of the whole batch (grpo: the mean over completions). */
  rows: number;
  /** bnpo: the batch's loss tokens; dr_grpo: rows x maxNewTokens; dapo: the loss tokens of everything the cycle trains on. */
  divisor: number;
}

/** Per-token clipped objective -min(r A, clip(r, 1 - low, 1 + high) A), r = exp(logp - old). (N) */
export function clippedObjective(logp: tf.Tensor1D, old: tf.Tensor1D, adv: tf.Tensor1D, clip: ClipRange): tf.Tensor1D {
  const ratio = tf.exp(tf.sub(logp, old));
  const clipped = tf.clipByValue(ratio, 1 - clip.low, 1 + clip.high);
  return tf.neg(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv))) as tf.Tensor1D;
}

/**
 * Tokens (under the mask) the clip took out of the gradient, as TRL counts them: low, r < 1 - low with A < 0; high,
 * r > 1 + high with A > 0. Two scalars.
 */
export function clippedTokens(logp: tf.Tensor1D, old: tf.Tensor1D, adv: tf.Tensor1D, mask: tf.Tensor1D, clip: ClipRange): [tf.Scalar, tf.Scalar] {
  const ratio = tf.exp(tf.sub(logp, old));
  const count = (cond: tf.Tensor) => tf.sum(tf.mul(tf.cast(cond, 'float32'), mask)) as tf.Scalar;
  return [
    count(tf.logicalAnd(tf.less(ratio, 1 - clip.low), tf.less(adv, 0))),
    count(tf.logicalAnd(tf.greater(ratio, 1 + clip.high), tf.greater(adv, 0))),
  ];
}

/** A micro-batch's share of the batch loss from per-token losses (n*T) and the mask: `n` rows of `T`. */
export function aggregateLoss(perToken: tf.Tensor1D, mask: tf.Tensor1D, n: number, T: number, norm: Normaliser): tf.Scalar {
  const masked = tf.mul(perToken, mask);
  if (norm.type === 'grpo') {
    // each completion's token mean (a row without loss tokens counts 0, as TRL's clamp(min=1)), over the batch's rows
    const counts = tf.maximum(tf.sum(tf.reshape(mask, [n, T]), 1), 1);
    return tf.div(tf.sum(tf.div(tf.sum(tf.reshape(masked, [n, T]), 1), counts)), norm.rows) as tf.Scalar;
  }
  return tf.div(tf.sum(masked), Math.max(1, norm.divisor)) as tf.Scalar;
}

/**
 * GRPO loss (a micro-batch's share of its batch's) from per-token tensors (n*T): log-probs now (differentiable), at
 * sampling (old), under the reference (null: beta 0), advantages broadcast to tokens, and the loss mask; `n` rows of `T`.
 */
export function grpoLoss(logp: tf.Tensor1D, old: tf.Tensor1D, ref: tf.Tensor1D | null, adv: tf.Tensor1D, mask: tf.Tensor1D, n: number, T: number, clip: ClipRange, beta: number, norm: Normaliser): tf.Scalar {
  let perToken = clippedObjective(logp, old, adv, clip);
  if (ref && beta > 0) {
    const d = tf.sub(ref, logp);
    perToken = tf.add(perToken, tf.mul(tf.sub(tf.sub(tf.exp(d), d), 1), beta));
  }
  return aggregateLoss(perToken, mask, n, T, norm);
}

/** fn(x) in the forward pass, run as one op off the tape with no gradient through it (TF.js has no stop_gradient). */
export function constantOf<T extends tf.Tensor>(fn: (x: tf.Tensor) => T, x: tf.Tensor): T {
  const f = tf.customGrad(((xx: tf.Tensor) => ({ value: fn(xx), gradFunc: () => tf.zerosLike(xx) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/**
 * RAFT++ loss of kept samples (advantage 1): the clipped surrogate -min(r, clip(r, 1 - low, 1 + high)) has the
 * gradient -r 1[r <= 1 + high] grad log pi (with A = 1 the low clip never binds), so it is written with that gradient
 * as the importance-weighted NLL, sum over tokens of w (-log pi) with w = r 1[r <= 1 + high] held constant, divided
 * by the batch's loss tokens as RAFT's NLL is: when the policy has not moved (r = 1) it is RAFT's loss in value and
 * gradient. (n*T) inputs; `tokens`: the whole batch's loss tokens.
 */
export function raftppLoss(logp: tf.Tensor1D, old: tf.Tensor1D, mask: tf.Tensor1D, clip: ClipRange, tokens: number): tf.Scalar {
  const w = constantOf((lp) => {
    const ratio = tf.exp(tf.sub(lp, old));
    return tf.mul(ratio, tf.cast(tf.lessEqual(ratio, 1 + clip.high), 'float32'));
  }, logp);
  return tf.div(tf.sum(tf.mul(tf.mul(w, tf.neg(logp)), mask)), Math.max(1, tokens)) as tf.Scalar;
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
