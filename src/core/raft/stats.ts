/**
 * The stats of one RAFT cycle: the same field names in the UI, the JSON export and the CLI (design notes).
 * Rewards, rates and fractions are in [0, 1]; times are milliseconds. Cycle 0 evaluates the base model, so its
 * training fields (rewards of generated training samples, kept counts, loss) are null.
 */

/**
 * What a cycle's training spent (the method's cost; evaluation is measurement, the same for every method, and not
 * counted): samples generated (quota rounds included), tokens generated (an end-of-sequence token counts), samples
 * scored by the reward, and what went through a backward pass: sequence tokens (inputs of every training batch, each
 * epoch) and examples (rows, or images x noise draws for image tasks). Image tasks generate no tokens (null).
 */
export interface CycleBudget {
  samplesGenerated: number;
  tokensGenerated: number | null;
  rewardCalls: number;
  backwardTokens: number | null;
  backwardExamples: number;
}

export function emptyBudget(tokens = true): CycleBudget {
  return { samplesGenerated: 0, tokensGenerated: tokens ? 0 : null, rewardCalls: 0, backwardTokens: tokens ? 0 : null, backwardExamples: 0 };
}

export interface CycleStats {
  cycle: number;
  rewardMean: number | null;
  rewardMeanKept: number | null;
  rewardMax: number | null;
  keptCount: number;
  keptFraction: number | null;
  evalReward: number;
  /** Fraction of eval samples that fully pass (verifier tasks only). */
  evalPassRate: number | null;
  /**
   * Standard error of evalPassRate as a measurement on this eval set: the sampling noise within each eval prompt
   * (scoring.ts passRateSe), what tells a change between cycles or runs on the same prompts from noise. Absent for a
   * task without a pass notion and in runs saved before the field existed.
   */
  evalPassRateSe?: number | null;
  perplexity: number;
  distinct2: number;
  meanLength: number;
  /**
   * KL to the reference (base) model: the mean over eval samples of the exact per-token KL between the policy's and
   * the reference's sampling distributions (temperature, top-k, top-p), summed over each sample's positions; >= 0,
   * 0 at cycle 0. Null for best-of-K after cycle 0 (its eval samples are not the model's samples; see klBound).
   */
  klToRef: number | null;
  /** Best-of-K after cycle 0: the analytic bound log K - (K - 1) / K of its KL to the base model; else null. */
  klBound?: number | null;
  /**
   * Samples of the cycle (training and eval) whose reward failed: it threw, or gave no number in [0, 1]. They got
   * reward 0 and `breakdown.error`. Absent in runs saved before the field existed.
   */
  rewardErrors?: number;
  /** The first reward error's message, null when there was none. */
  rewardError?: string | null;
  trainLoss: number | null;
  lr: number | null;
  ms: { generate: number; reward: number; train: number; eval: number };
  /** What the cycle's training spent (absent in runs saved before the field existed). */
  budget?: CycleBudget;
  /**
   * Verification throughput: samples per second of the cycle's batched rewards (`Task.rewardMany`: code tasks'
   * verifier pools), training and eval samples together, over the time spent in those calls. Null for tasks without
   * `rewardMany`; absent in runs saved before the field existed. A timing, like `ms`: it varies between identical runs.
   */
  verifyPerSec?: number | null;
  /**
   * Mean per-token entropy (nats) of the sampling policy on the cycle's training samples, every sample it drew
   * (lm/entropy.ts: the distribution the sampler draws from, temperature, top-k and top-p, as klToRef). Null at cycle
   * 0 and for methods that draw no samples (SFT, domain-RAFT); absent in runs saved before the field existed.
   */
  entropy?: number | null;
  /** Share of the cycle's prompts whose samples' rewards all tie (TRL's frac_reward_zero_std); null/absent as entropy. */
  fracRewardZeroStd?: number | null;
  /** Share of the cycle's training samples that hit their token budget without ending (no EOS, no stop string). */
  truncatedFraction?: number | null;
  /**
   * Share of the loss tokens of the cycle's optimizer steps that the clip took out of the gradient (TRL's
   * clip_ratio/region_mean), and its two sides: low (r < 1 - epsilon with a negative advantage) and high (r > 1 +
   * epsilon_high with a positive one). Null for methods that do not clip; absent in older runs.
   */
  clipRatio?: number | null;
  clipLow?: number | null;
  clipHigh?: number | null;
  /**
   * General capability (the `general` setting): other tasks measured on the same model, by task name. Absent when
   * the run measures none. Their change from cycle 0 is what fine-tuning on this task cost them (forgetting).
   */
  general?: Record<string, GeneralMetrics>;
}

/** One general task on the run's model: its eval reward, pass rate (null without a pass notion), held-out perplexity. */
export interface GeneralMetrics {
  reward: number;
  passRate: number | null;
  perplexity: number;
}

export function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** distinct-2: unique word bigrams / all word bigrams, pooled over texts (0 when there are none). */
export function distinct2(texts: readonly string[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const t of texts) {
    const w = t.trim().split(/\s+/).filter(Boolean);
    for (let i = 0; i + 1 < w.length; i++) {
      seen.add(`${w[i]}\u0000${w[i + 1]}`);
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/** Fixed-width table row for the CLI. */
export const TABLE_COLUMNS: Array<[keyof CycleStats | 'time', string, number]> = [
  ['cycle', 'cycle', 5],
  ['rewardMean', 'reward', 7],
  ['rewardMeanKept', 'kept_r', 7],
  ['keptCount', 'kept', 5],
  ['evalReward', 'evalR', 7],
  ['evalPassRate', 'pass', 6],
  ['evalPassRateSe', 'se', 6],
  ['perplexity', 'ppl', 7],
  ['klToRef', 'KL', 6],
  ['klBound', 'KLmax', 6],
  ['distinct2', 'dist2', 6],
  ['meanLength', 'len', 5],
  ['trainLoss', 'loss', 7],
  ['entropy', 'ent', 6],
  ['fracRewardZeroStd', 'tied', 5],
  ['truncatedFraction', 'trunc', 5],
  ['clipRatio', 'clip', 6],
  ['verifyPerSec', 'ver/s', 6],
  ['rewardErrors', 'errs', 5],
  ['budget', 'gen', 5],
  ['time', 'sec', 6],
];

export function tableHeader(): string {
  return TABLE_COLUMNS.map(([, h, w]) => h.padStart(w)).join(' ');
}

export function tableRow(s: CycleStats): string {
  return TABLE_COLUMNS.map(([key, , w]) => {
    let v: unknown;
    if (key === 'time') v = (s.ms.generate + s.ms.reward + s.ms.train + s.ms.eval) / 1000;
    else if (key === 'budget') v = s.budget?.samplesGenerated;
    else v = s[key];
    let text: string;
    if (v === null || v === undefined) text = '-';
    else if (key === 'verifyPerSec' && typeof v === 'number') text = v.toFixed(1);
    else if (typeof v === 'number') text = Number.isInteger(v) ? String(v) : v.toFixed(key === 'perplexity' || key === 'time' || key === 'klToRef' || key === 'klBound' ? 2 : 3);
    else text = String(v);
    return text.padStart(w);
  }).join(' ');
}
