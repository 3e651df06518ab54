/**
 * Rewarding samples, the one walk over a task's reward used for training samples, eval samples and general tasks:
 * batched (chunks of `rewardChunk`, a verifier pool scores them concurrently) where the task can, else one by one.
 * A reward that throws (a batched call: its whole chunk), or that gives anything but a number in [0, 1], becomes
 * reward 0 with `breakdown.error` and `breakdown.rewardError` (checkedReward); what the caller does with such errors
 * (count them, stop the cycle, or count 0 in a measurement) is its own.
 */
import { nextTask } from '../next-task';
import type { RewardItem, RewardResult, Task, Tokenizer } from '../tasks/types';
import type { Scored } from './methods/types';
import type { Unscored } from './sampling';
import { RewardFailureError, type Phase } from './types';

export interface ScoringHooks {
  /** After each chunk (batched) or sample: how many of the items are scored. */
  onProgress?(done: number, total: number): void;
  /** After each batched chunk: its size and the milliseconds the call took (verification throughput). */
  onBatch?(samples: number, ms: number): void;
}

/** Rewards of `items` in order, each checked (checkedReward): failures are reward 0 with the error, never a throw. */
export async function rewardItems(task: Task, items: readonly RewardItem[], chunk: number, hooks: ScoringHooks = {}): Promise<RewardResult[]> {
  const raw: Array<RewardResult | { error: unknown }> = [];
  if (task.rewardMany) {
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk);
      const t0 = performance.now();
      try {
        const got = await task.rewardMany(part);
        for (let j = 0; j < part.length; j++) raw.push(got[j] ?? { error: `the batched reward returned ${got.length} results for ${part.length} samples` });
      } catch (e) {
        raw.push(...part.map(() => ({ error: e })));
      }
      hooks.onBatch?.(part.length, performance.now() - t0);
      hooks.onProgress?.(raw.length, items.length);
    }
  } else {
    for (const it of items) {
      try {
        raw.push(await task.reward(it.prompt, it.completion, it.row));
      } catch (e) {
        raw.push({ error: e });
      }
      hooks.onProgress?.(raw.length, items.length);
      if (raw.length % 32 === 0) await nextTask();
    }
  }
  return raw.map(checkedReward);
}

/** A reward call's outcome as a RewardResult; anything but a number in [0, 1] becomes reward 0 with the error. */
export function checkedReward(r: RewardResult | { error: unknown }): RewardResult {
  const fail = (error: string): RewardResult => ({ reward: 0, breakdown: { ...('breakdown' in r ? r.breakdown : {}), error, rewardError: true } });
  if ('error' in r && r.error !== undefined) return fail(r.error instanceof Error ? r.error.message : String(r.error));
  const v = (r as { reward: unknown }).reward;
  if (typeof v !== 'number') return fail(`the reward is not a number (got ${typeof v})`);
  if (!Number.isFinite(v)) return fail(`the reward is not finite (got ${v})`);
  if (v < 0 || v > 1) return fail(`the reward is outside [0, 1] (got ${v})`);
  return r as RewardResult;
}

/** The share of rewards at or above the task's pass threshold; null for a task without one. */
export function passRate(task: Task, rewards: readonly number[]): number | null {
  return task.passThreshold === undefined ? null : rewards.filter((r) => r >= task.passThreshold!).length / Math.max(1, rewards.length);
}

/**
 * The standard error of the pass rate as a measurement of the model on this eval set: the sampling noise of its
 * samples. The eval prompts are fixed and a prompt's samples share its difficulty, so the noise is within prompts:
 * prompt i with k_i samples and pass fraction f_i contributes k_i^2 f_i (1 - f_i) / (k_i - 1) (an unbiased estimate of
 * k_i p_i (1 - p_i)), and se = sqrt(sum of these) / (sum of k_i). This is what tells a change between cycles or runs on
 * the same eval prompts from noise; it is at most the binomial sqrt(p (1 - p) / samples) (up to the k / (k - 1)
 * factor), less when prompts differ in difficulty. It leaves out which problems were drawn for the eval (the
 * prompt-clustered error, sd of the f_i / sqrt(n), is the one for generalising to other problems of the task). With
 * one sample per prompt the within-prompt spread cannot be seen: the binomial error. Null for a task without a pass
 * notion or without samples.
 */
export function passRateSe(task: Task, items: ReadonlyArray<{ promptIndex: number; reward: number }>): number | null {
  if (task.passThreshold === undefined || items.length === 0) return null;
  const byPrompt = new Map<number, { pass: number; n: number }>();
  for (const it of items) {
    const c = byPrompt.get(it.promptIndex) ?? { pass: 0, n: 0 };
    c.n++;
    if (it.reward >= task.passThreshold) c.pass++;
    byPrompt.set(it.promptIndex, c);
  }
  const groups = [...byPrompt.values()];
  const N = items.length;
  if (groups.some((g) => g.n < 2)) {
    const p = groups.reduce((a, g) => a + g.pass, 0) / N;
    return Math.sqrt((p * (1 - p)) / N);
  }
  const v = groups.reduce((a, g) => {
    const f = g.pass / g.n;
    return a + (g.n * g.n * f * (1 - f)) / (g.n - 1);
  }, 0);
  return Math.sqrt(v) / N;
}

/**
 * The rewards of a language run's samples (training and eval), with the cycle's accounting: reward errors (count and
 * the first message) and the verified samples' throughput. When more than `failureLimit` of the samples of one
 * call failed, the cycle stops with a RewardFailureError.
 */
export class SampleScorer {
  /** Samples scored by `rewardMany` in the current cycle, and the time those calls took (verification throughput). */
  #verified = { samples: 0, ms: 0 };
  /** Reward errors of the current cycle (training and eval samples) and the first one's message. */
  #errors: { count: number; first: string | null } = { count: 0, first: null };

  constructor(
    readonly task: Task,
    readonly tokenizer: Tokenizer,
    readonly rewardChunk: number,
    /** The share of one call's samples whose failure stops the cycle (the run's rewardFailureLimit). */
    readonly failureLimit: number,
    readonly progress: (cycle: number, phase: Phase, done: number, total: number) => void,
  ) {}

  /** A new cycle's counters. */
  reset(): void {
    this.#verified = { samples: 0, ms: 0 };
    this.#errors = { count: 0, first: null };
  }

  get errors(): { count: number; first: string | null } {
    return this.#errors;
  }

  /** Verified samples per second of the cycle (one decimal); null for a task without a batched reward. */
  verifyPerSec(): number | null {
    if (!this.task.rewardMany) return null;
    return this.#verified.ms > 0 ? Math.round((this.#verified.samples / (this.#verified.ms / 1000)) * 10) / 10 : null;
  }

  /** Reward every generated sample of the task's train (or held-out eval) prompts. */
  async score(cycle: number, gens: readonly Unscored[], heldOut = false): Promise<Scored[]> {
    const texts = heldOut ? this.task.evalPrompts : this.task.trainPrompts;
    const rows = heldOut ? this.task.evalRows : this.task.trainRows;
    const items: RewardItem[] = gens.map((g) => ({ prompt: texts[g.promptIndex]!, completion: this.tokenizer.decode(g.gen.tokens), ...(rows ? { row: rows[g.promptIndex] } : {}) }));
    const results = await rewardItems(this.task, items, this.rewardChunk, {
      // a verifier task scores the batch concurrently; progress is reported per chunk (training samples only)
      ...(heldOut ? {} : { onProgress: (done: number, total: number) => this.progress(cycle, 'reward', done, total) }),
      onBatch: (samples, ms) => {
        this.#verified.samples += samples;
        this.#verified.ms += ms;
      },
    });
    let failed = 0;
    const scored = gens.map((g, i) => {
      const result = results[i]!;
      if (result.breakdown?.rewardError) {
        failed++;
        this.#errors.count++;
        this.#errors.first ??= String(result.breakdown.error);
      }
      return { ...g, completion: items[i]!.completion, result };
    });
    if (gens.length > 0 && failed / gens.length > this.failureLimit) {
      throw new RewardFailureError(cycle, failed, gens.length, this.#errors.first ?? 'unknown error');
    }
    return scored;
  }
}
