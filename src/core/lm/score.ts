/**
 * The conformance probe of a model: log-probabilities of a token sequence, `logprobs[t-1] = log p(ids[t] |
 * ids[:t])` (natural log), their negated mean `nll` and `perplexity = exp(nll)`. `raftlab score` prints it; the
 * lab's Models panel shows it.
 */
import type { LanguageModel } from './language-model';
import { probeLogProbs } from './logprobs';

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

export async function scoreIds(model: LanguageModel, ids: readonly number[]): Promise<ScoreResult> {
  const problem = scoreProblem(model, ids);
  if (problem) throw new Error(problem);
  const logprobs = await probeLogProbs((x) => model.forward(x), ids, model.config.vocabSize);
  const nll = -logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  return { ids: [...ids], logprobs, nll, perplexity: Math.exp(nll) };
}
