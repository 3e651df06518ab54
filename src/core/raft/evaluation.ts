/**
 * Measuring a language run's model each cycle (design notes, "Evaluate"): fresh samples on held-out prompts (the same
 * random stream every cycle) with their mean reward, pass rate, distinct-2 and length; perplexity on held-out text
 * (the alignment tax); KL to the reference; the general tasks (forgetting); and, for the page's token view, what
 * training changed token by token. A method may draw several samples per eval sample and keep one (best-of-K,
 * Method.evalSelection): it reports its KL bound in place of a measured KL.
 */
import type * as tf from '@tensorflow/tfjs';
import { runDefaults, type RunConfig, type TaskName } from '../config/schema';
import { sequenceKl } from '../lm/kl';
import type { LanguageModel } from '../lm/language-model';
import { probeLogProbs } from '../lm/logprobs';
import { totalNll, type Sequence } from '../lm/train';
import { Rng } from '../rng';
import type { Task, Tokenizer } from '../tasks/types';
import type { Method } from './methods/types';
import type { Reference } from './reference';
import type { Sampler } from './sampling';
import { passRate, passRateSe, rewardItems, type SampleScorer } from './scoring';
import { distinct2, mean, type GeneralMetrics } from './stats';
import type { Phase, SampleRecord } from './types';

/** What an evaluation reads of the engine. */
export interface EvalParts {
  model: LanguageModel;
  tokenizer: Tokenizer;
  task: Task;
  config: RunConfig;
  general: readonly Task[];
  method: Method;
  reference: Reference;
  sampler: Sampler;
  scorer: SampleScorer;
  /** The task's held-out text as sequences (evalTexts of them). */
  heldOut: Sequence[];
  progress(cycle: number, phase: Phase, done: number, total: number): void;
}

export interface Evaluation {
  general: Record<string, GeneralMetrics> | null;
  reward: number;
  passRate: number | null;
  /** The pass rate's standard error: the sampling noise within the eval prompts (scoring.ts passRateSe). */
  passRateSe: number | null;
  perplexity: number;
  distinct2: number;
  meanLength: number;
  klToRef: number | null;
  klBound: number | null;
  samples: SampleRecord[];
}

/**
 * Evaluate the current model: fresh samples on held-out prompts, perplexity on held-out text, and KL to the
 * reference: the mean over eval samples of the per-token KL between the policy's and the reference's sampling
 * distributions (temperature, top-k, top-p), summed over each sample's positions (lm/kl.ts: non-negative, 0 at
 * cycle 0). After cycle 0 a method with an eval selection (best-of-K) draws several samples per eval sample and keeps
 * one; its KL is null and `klBound` holds its bound.
 */
export async function evaluate(p: EvalParts, cycle: number): Promise<Evaluation> {
  const selection = cycle > 0 ? p.method.evalSelection : undefined;
  const draws = selection?.draws(p.config) ?? 1;
  const prompts = p.task.evalPrompts.slice(0, p.config.evalPrompts).map((_, i) => i);
  const k = p.config.evalSamplesPerPrompt * draws;
  const gens = await p.sampler.generate(cycle, prompts, k, Rng.derive(p.config.seed, 'raft/eval'), true);
  let scored = await p.scorer.score(cycle, gens, true);
  if (draws > 1) scored = selection!.keep(scored, draws);
  const rewards = scored.map((s) => s.result.reward);
  p.progress(cycle, 'evaluate', 0, 1);
  const { nll, tokens } = await totalNll(p.model, p.heldOut, p.tokenizer.eosId);
  const klBound = draws > 1 ? selection!.klBound(draws) : null;
  const klToRef = draws > 1 ? null : mean(await sampleKl(p, scored.map((s) => p.sampler.sequenceOf(s)))) ?? 0;
  const general = p.general.length ? await evaluateGeneral(p, cycle) : null;
  p.progress(cycle, 'evaluate', 1, 1);
  return {
    general,
    reward: mean(rewards) ?? 0,
    passRate: passRate(p.task, rewards),
    passRateSe: passRateSe(p.task, scored.map((s) => ({ promptIndex: s.promptIndex, reward: s.result.reward }))),
    perplexity: Math.exp(nll / Math.max(1, tokens)),
    distinct2: distinct2(scored.map((s) => s.completion)),
    meanLength: mean(scored.map((s) => s.gen.tokens.length)) ?? 0,
    klToRef,
    klBound,
    samples: scored.map((s) => p.sampler.record(s, false)),
  };
}

/** Per-sequence KL of the policy's sampling distribution to the reference's, summed over completion positions. */
export async function sampleKl(p: EvalParts, seqs: Sequence[]): Promise<number[]> {
  const { temperature, topK, topP } = p.config;
  const policy = (x: tf.Tensor2D) => p.model.forward(x) as tf.Tensor2D;
  const reference = (x: tf.Tensor2D) => p.reference.run((m) => m.forward(x) as tf.Tensor2D);
  return sequenceKl(policy, reference, seqs, p.model.config.blockSize, p.tokenizer.eosId, { temperature, topK, topP });
}

/**
 * General capability: each general task's eval reward and pass rate (its first config.generalPrompts eval prompts,
 * config.generalSamplesPerPrompt samples each with the task's own generation length, a fixed random stream) and the
 * perplexity of its held-out text, on this model. A reward that fails counts 0 (it is a measurement, not training).
 */
async function evaluateGeneral(p: EvalParts, cycle: number): Promise<Record<string, GeneralMetrics>> {
  const out: Record<string, GeneralMetrics> = {};
  for (const task of p.general) {
    const prompts = task.evalPrompts.slice(0, p.config.generalPrompts);
    const rows = prompts.flatMap((q) => Array.from({ length: p.config.generalSamplesPerPrompt }, () => q));
    const maxNew = runDefaults(task.name as TaskName).maxNewTokens;
    const gens = await p.sampler.sample(p.model, cycle, rows.map((q) => p.sampler.promptTokens(q)), Rng.derive(p.config.seed, `raft/general/${task.name}`), 'evaluate', maxNew, task.stop);
    const items = rows.map((prompt, i) => ({ prompt, completion: p.tokenizer.decode(gens[i]!.tokens) }));
    const rewards = (await rewardItems(task, items, p.config.rewardChunk)).map((r) => r.reward);
    const { nll, tokens } = await totalNll(p.model, p.sampler.heldOutSequences(task.heldOutText.slice(0, p.config.generalTexts)), p.tokenizer.eosId);
    out[task.name] = { reward: mean(rewards) ?? 0, passRate: passRate(task, rewards), perplexity: Math.exp(nll / Math.max(1, tokens)) };
  }
  return out;
}

/**
 * What training changed, token by token: for a prompt and its completion, each completion token's text and its
 * log-probability (natural log) under the model now and under the reference (the base model), as the page's token
 * view shows them (`now - base` is the change in the model's belief).
 */
export async function tokenChanges(p: EvalParts, prompt: string, completion: string): Promise<Array<{ id: number; text: string; now: number; base: number }>> {
  const start = p.sampler.promptTokens(prompt);
  const ids = p.tokenizer.encode(completion);
  const seq = [...start, ...ids].slice(-(p.model.config.blockSize));
  const from = seq.length - ids.length;
  if (ids.length === 0 || from < 1) return [];
  const V = p.model.config.vocabSize;
  // the completion's tokens are the last ids.length of the sequence's log-probs
  const now = (await probeLogProbs((x) => p.model.forward(x), seq, V)).slice(from - 1);
  const base = (await probeLogProbs((x) => p.reference.run((m) => m.forward(x)), seq, V)).slice(from - 1);
  return ids.map((id, j) => ({ id, text: p.tokenizer.decode([id]), now: now[j]!, base: base[j]! }));
}
