/**
 * Top-K temperature distillation (domain-RAFT): at each completion position the teacher's K most likely next tokens,
 * their probabilities at temperature tau renormalized over those K, and the student's distribution at the same
 * temperature renormalized over the same K; the loss is tau^2 * KL(teacher || student) over that support, summed
 * over positions with weights. 0 when the student's logits equal the teacher's (on the support, up to a constant).
 * K = 0 (or K >= vocab) compares the whole distributions.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model';
import { disposeBatch, makeBatch, type Sequence } from './train';

/** A teacher's targets at one completion position: token ids and probabilities (renormalized over the ids). */
export interface TopKTarget {
  ids: number[];
  probs: number[];
}

/** The top-K targets of one row of logits at temperature tau (k <= 0 or >= V: every token). */
export function topKTarget(logits: ArrayLike<number>, k: number, tau: number): TopKTarget {
  const V = logits.length;
  const n = k <= 0 || k >= V ? V : k;
  const order = Array.from({ length: V }, (_, i) => i);
  if (n < V) order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  const ids = order.slice(0, n);
  const z = ids.map((i) => logits[i]! / tau);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return { ids, probs: e.map((x) => x / sum) };
}

/**
 * The teacher's targets for each sequence's completion tokens, in order (one per completion token: the distribution
 * of the position that predicts it). No gradient.
 */
export async function teacherTargets(teacher: LanguageModel, seqs: readonly Sequence[], k: number, tau: number, padId: number, batchSize = 16): Promise<TopKTarget[][]> {
  const out: TopKTarget[][] = [];
  const V = teacher.config.vocabSize;
  for (let i = 0; i < seqs.length; i += batchSize) {
    const part = seqs.slice(i, i + batchSize);
    const batch = makeBatch(part, teacher.config.blockSize, padId);
    const logits = tf.tidy(() => teacher.forward(batch.ids));
    const [values, mask] = await Promise.all([logits.data(), batch.mask.data()]);
    const T = batch.ids.shape[1];
    logits.dispose();
    disposeBatch(batch);
    for (let b = 0; b < part.length; b++) {
      const row: TopKTarget[] = [];
      for (let j = 0; j < T; j++) if (mask[b * T + j] === 1) row.push(topKTarget(values.subarray((b * T + j) * V, (b * T + j + 1) * V), k, tau));
      out.push(row);
    }
  }
  return out;
}

/** Dense (N, V) arrays of targets for rows of a batch: probabilities, the support, and each row's sum p log p. */
export function denseTargets(rows: ReadonlyArray<TopKTarget | null>, V: number): { probs: Float32Array; support: Float32Array; negEntropy: Float32Array } {
  const probs = new Float32Array(rows.length * V);
  const support = new Float32Array(rows.length * V);
  const negEntropy = new Float32Array(rows.length);
  rows.forEach((t, r) => {
    if (!t) return;
    let h = 0;
    t.ids.forEach((id, j) => {
      probs[r * V + id] = t.probs[j]!;
      support[r * V + id] = 1;
      if (t.probs[j]! > 0) h += t.probs[j]! * Math.log(t.probs[j]!);
    });
    negEntropy[r] = h;
  });
  return { probs, support, negEntropy };
}

/**
 * sum_r weight_r * tau^2 * (sum_v p_rv log p_rv - sum_v p_rv log q_rv), q_r = the student's softmax(logits_r / tau)
 * over row r's support. Rows without a target have weight 0 (and an empty support). Gradient written out (like
 * variables.ts crossEntropy): d/dlogits_r = weight_r * tau * (q_r - p_r), so every backend trains it.
 */
export function topKDistillLoss(logits: tf.Tensor2D, probs: tf.Tensor2D, support: tf.Tensor2D, negEntropy: tf.Tensor1D, weights: tf.Tensor1D, tau: number): tf.Scalar {
  const BIG = 1e9;
  const onSupport = (z: tf.Tensor, s: tf.Tensor) => tf.add(tf.div(z, tau), tf.mul(tf.sub(s, 1), BIG)) as tf.Tensor2D;
  // every tensor is an input (and the ones the gradient needs are saved), so none is disposed before the backward pass
  const f = tf.customGrad(((z: tf.Tensor2D, p: tf.Tensor2D, s: tf.Tensor2D, h: tf.Tensor1D, w: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([z, p, s, w]);
    const masked = onSupport(z, s);
    const lse = tf.logSumExp(masked, 1);
    // sum_v p log q = sum_v p * masked - lse (sum_v p = 1 on a row with a target, 0 on a row without)
    const cross = tf.sub(tf.sum(tf.mul(p, masked), 1), tf.mul(lse, tf.sum(p, 1)));
    const perRow = tf.mul(tf.sub(h, cross), tau * tau);
    return {
      value: tf.sum(tf.mul(perRow, w)),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [z0, p0, s0, w0] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const q = tf.mul(tf.softmax(onSupport(z0, s0), -1), s0);
        const gz = tf.mul(tf.mul(tf.sub(q, p0), tf.expandDims(tf.mul(w0, tau), 1)), dy);
        return [gz, tf.zerosLike(p0), tf.zerosLike(s0), tf.zeros([p0.shape[0]]), tf.zerosLike(w0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (z: tf.Tensor2D, p: tf.Tensor2D, s: tf.Tensor2D, h: tf.Tensor1D, w: tf.Tensor1D) => tf.Scalar;
  return f(logits, probs, support, negEntropy, weights);
}
