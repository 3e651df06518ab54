/**
 * GRPO's loss types (TRL's `loss_type`), plain data for the config table; the losses themselves are in
 * policy-losses.ts. How the per-token losses of a training batch are averaged:
 * - `grpo`: each completion's token mean, then the mean over the batch's completions (DeepSeekMath; length-biased).
 * - `bnpo`: the sum over the batch's completion tokens / their number.
 * - `dr_grpo`: the sum / (completions in the batch x maxNewTokens), a constant (Dr. GRPO).
 * - `dapo`: the sum / the number of completion tokens of everything the cycle trains on (DAPO's token-level
 *   normalisation over the global batch).
 */
export const LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const;
export type LossType = (typeof LOSS_TYPES)[number];
