/**
 * Training the language model: batches of (prompt, completion) token sequences with the loss on completion
 * tokens only, one Adam step per batch, and the per-token negative log-likelihood used for perplexity.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam';
import type { LanguageModel } from './language-model';
import { crossEntropy } from './variables';
import { microBatchRows } from './train-shapes';

/** A training sequence: `tokens` = prompt then completion; the loss covers tokens at index >= `lossFrom`. */
export interface Sequence {
  tokens: number[];
  lossFrom: number;
}

/** Inputs, next-token targets and the loss mask for a batch, right-padded to a length T. */
export interface Batch {
  ids: tf.Tensor2D; // (B, T) int32
  targets: tf.Tensor1D; // (B*T) int32
  mask: tf.Tensor1D; // (B*T) float32, 1 where the target is a completion token
  tokens: number; // number of target tokens the loss covers
}

/** Right-padded length bucket: a multiple of 16, at most blockSize. */
export function paddedLength(n: number, blockSize: number): number {
  return Math.min(blockSize, Math.max(16, Math.ceil(n / 16) * 16));
}

/** Pure-JS batch layout (exposed for tests): inputs, targets, mask as flat arrays. */
export function layoutBatch(seqs: readonly Sequence[], blockSize: number, padId: number) {
  // a sequence longer than blockSize + 1 keeps its end: the completion is what the loss is about
  const rows = seqs.map((s) => {
    const cut = Math.max(0, s.tokens.length - (blockSize + 1));
    return { tokens: s.tokens.slice(cut), lossFrom: Math.max(1, s.lossFrom - cut) };
  });
  const T = paddedLength(Math.max(1, ...rows.map((r) => r.tokens.length - 1)), blockSize);
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  let tokens = 0;
  rows.forEach((r, b) => {
    for (let j = 0; j < r.tokens.length - 1; j++) {
      ids[b * T + j] = r.tokens[j]!;
      targets[b * T + j] = r.tokens[j + 1]!;
      if (j + 1 >= r.lossFrom) {
        mask[b * T + j] = 1;
        tokens++;
      }
    }
  });
  return { B, T, ids, targets, mask, tokens };
}

export function makeBatch(seqs: readonly Sequence[], blockSize: number, padId: number): Batch {
  const l = layoutBatch(seqs, blockSize, padId);
  return {
    ids: tf.tensor2d(l.ids, [l.B, l.T], 'int32'),
    targets: tf.tensor1d(l.targets, 'int32'),
    mask: tf.tensor1d(l.mask, 'float32'),
    tokens: l.tokens,
  };
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.ids, b.targets, b.mask]);
}

/** Per-token negative log-likelihood (B*T), times the mask. */
export function maskedNll(model: LanguageModel, batch: Batch, differentiable: boolean): tf.Tensor1D {
  const logits = model.forward(batch.ids, { differentiable }); // (B*T, V)
  return tf.mul(crossEntropy(logits, batch.targets), batch.mask) as tf.Tensor1D;
}

/** Mean completion-token loss of a batch (scalar tensor). */
export function batchLoss(model: LanguageModel, batch: Batch, differentiable = true): tf.Scalar {
  return tf.div(tf.sum(maskedNll(model, batch, differentiable)), Math.max(1, batch.tokens)) as tf.Scalar;
}

export { MICRO_BATCH_LOGITS, microBatchRows } from './train-shapes';

/** Rows [start, start + n) of a batch, as tensors the caller disposes (disposeBatch). */
export function sliceBatch(batch: Batch, start: number, n: number): Batch {
  const T = batch.ids.shape[1];
  return {
    ids: tf.slice(batch.ids, [start, 0], [n, T]),
    targets: tf.slice(batch.targets, [start * T], [n * T]),
    mask: tf.slice(batch.mask, [start * T], [n * T]),
    tokens: 0, // not used: a micro-batch's loss is divided by its whole batch's tokens
  };
}

/**
 * Gradients of sum over micro-batches of `lossOf(part)` (each a share of the whole batch's loss), summed; returns
 * the loss and the gradients (caller disposes). One part when the batch is small enough.
 */
export function accumulatedGrads(model: LanguageModel, batch: Batch, lossOf: (part: Batch, start: number) => tf.Scalar, multiple = 1, extra: readonly tf.Variable[] = []): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  // `extra`: trainable variables outside the model (PPO's value head)
  const vars = [...model.trainableVariables(), ...extra];
  const [B, T] = batch.ids.shape;
  // `multiple`: micro-batches hold whole groups of rows (a DPO pair's two sequences stay together)
  const rows = Math.max(multiple, microBatchRows(T, model.config.vocabSize) - (microBatchRows(T, model.config.vocabSize) % multiple));
  if (rows >= B) return tf.variableGrads(() => lossOf(batch, 0), vars);
  let value = tf.scalar(0);
  let grads: tf.NamedTensorMap = {};
  for (let start = 0; start < B; start += rows) {
    const part = sliceBatch(batch, start, Math.min(rows, B - start));
    const g = tf.variableGrads(() => lossOf(part, start), vars);
    disposeBatch(part);
    const nextValue = tf.add(value, g.value) as tf.Scalar;
    tf.dispose([value, g.value]);
    value = nextValue;
    const next: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(g.grads)) {
      next[name] = grads[name] ? tf.add(grads[name]!, t) : t;
      if (grads[name]) tf.dispose([grads[name]!, t]);
    }
    grads = next;
  }
  return { value, grads };
}

/**
 * One optimizer step on a batch with a loss of its own: `lossOf(part, start)` is a micro-batch's share of the
 * batch's loss (rows from `start`). Returns the loss before the step.
 */
export async function lossStep(model: LanguageModel, opt: Adam, batch: Batch, lossOf: (part: Batch, start: number) => tf.Scalar, lr: number, clip: number, multiple = 1, extra: readonly tf.Variable[] = []): Promise<number> {
  const vars = [...model.trainableVariables(), ...extra];
  const loss = tf.tidy(() => {
    const { value, grads } = accumulatedGrads(model, batch, lossOf, multiple, extra);
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}

/** One optimizer step on a batch; returns the loss before the step. */
export async function trainStep(model: LanguageModel, opt: Adam, batch: Batch, lr: number, clip: number): Promise<number> {
  const vars = model.trainableVariables();
  const denom = Math.max(1, batch.tokens);
  const loss = tf.tidy(() => {
    const { value, grads } = accumulatedGrads(model, batch, (part) => tf.div(tf.sum(maskedNll(model, part, true)), denom) as tf.Scalar);
    opt.apply(vars, grads, lr, clip);
    return value;
  });
  const v = (await loss.data())[0]!;
  loss.dispose();
  return v;
}

/** Sum of completion-token NLL and number of tokens over sequences, in batches (no gradient). */
export async function totalNll(model: LanguageModel, seqs: readonly Sequence[], padId: number, batchSize = 32): Promise<{ nll: number; tokens: number }> {
  let nll = 0;
  let tokens = 0;
  for (let i = 0; i < seqs.length; i += batchSize) {
    const batch = makeBatch(seqs.slice(i, i + batchSize), model.config.blockSize, padId);
    const s = tf.tidy(() => tf.sum(maskedNll(model, batch, false)));
    nll += (await s.data())[0]!;
    tokens += batch.tokens;
    s.dispose();
    disposeBatch(batch);
  }
  return { nll, tokens };
}
