/**
 * The conformance probe of a model: log-probabilities of a token sequence, `logprobs[t-1] = log p(ids[t] |
 * ids[:t])` (natural log), their negated mean `nll` and `perplexity = exp(nll)`. `raftlab score` prints it; the
 * lab's Models panel shows it.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model';

export interface ScoreResult {
  ids: number[];
  logprobs: number[];
  nll: number;
  perplexity: number;
}

/** Why `ids` cannot be scored by `model`, or null. */
export function scoreProblem(model: LanguageModel, ids: readonly number[]): string | null {
  if (ids.length < 2) return `the text has ${ids.length} token(s); at least two are needed`;
  if (ids.length > model.config.blockSize) return `${ids.length} tokens are more than the model's ${model.config.blockSize} positions`;
  if (ids.some((i) => !Number.isSafeInteger(i) || i < 0 || i >= model.config.vocabSize)) return `an id is outside the vocabulary of ${model.config.vocabSize}`;
  return null;
}

/**
 * `logprobs[t-1] = log p(ids[t] | ids[:t])` for t >= 1 of one sequence, by a forward pass (ids (1, T) -> logits
 * (T, V)): the model's own, or another (the reference's).
 */
export async function tokenLogProbs(forward: (ids: tf.Tensor2D) => tf.Tensor2D, ids: readonly number[], vocabSize: number): Promise<number[]> {
  const x = tf.tensor2d([[...ids]], [1, ids.length], 'int32');
  const lp = tf.tidy(() => tf.logSoftmax(forward(x), -1));
  const data = (await lp.data()) as Float32Array;
  tf.dispose([lp, x]);
  return ids.slice(1).map((id, t) => data[t * vocabSize + id]!);
}

export async function scoreIds(model: LanguageModel, ids: readonly number[]): Promise<ScoreResult> {
  const problem = scoreProblem(model, ids);
  if (problem) throw new Error(problem);
  const logprobs = await tokenLogProbs((x) => model.forward(x), ids, model.config.vocabSize);
  const nll = -logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  return { ids: [...ids], logprobs, nll, perplexity: Math.exp(nll) };
}
