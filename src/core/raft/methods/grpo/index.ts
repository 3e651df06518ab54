/**
 * GRPO (DeepSeekMath; TRL's GRPOTrainer): K = samplesPerPrompt samples per prompt (TRL's `num_generations`),
 * group-normalised advantages (`scale_rewards`), the clipped ratio objective against the sampling policy (`epsilon`,
 * `epsilon_high`), `beta` x the k3 KL to the reference (no reference pass at beta 0), averaged as `loss_type` says
 * (policy-step.ts). `mask_truncated_completions`: completions that did not end get no loss. `filterGroups`: dynamic
 * sampling (filter-groups.ts), only prompts with signal are trained on (kept). Without it every sample is kept.
 */
import { clipRange, grpoAdvantages } from '../../policy-losses';
import { sampleWithSignal } from '../filter-groups';
import { trainClippedPolicy } from '../policy-step';
import { groupByPrompt, samplingStats, type Method, type Scored } from '../types';

export const grpo: Method = {
  async update(ctx) {
    const c = ctx.config;
    let scored: Scored[];
    let groups: Scored[][];
    if (c.filterGroups) ({ scored, groups } = await sampleWithSignal(ctx, c.filterGroupsMaxDraws));
    else groups = groupByPrompt((scored = await ctx.sampleAndScore(ctx.nextPrompts())));
    const adv = grpoAdvantages(groups.map((g) => g.map((s) => s.result.reward)), c.scaleRewards);
    const samples = groups.flatMap((g, gi) => g.map((s, j) => ({ seq: ctx.sequenceOf(s), adv: adv[gi]![j]!, loss: !(c.maskTruncatedCompletions && !s.gen.ended) })));
    const { trainLoss, clip } = await trainClippedPolicy(ctx, samples, { clip: clipRange(c.epsilon, c.epsilonHigh), beta: c.grpoBeta, lossType: c.lossType });
    const inGroups = new Set(groups.flat());
    const kept = scored.filter((s) => inGroups.has(s));
    return { samples: scored.map((s) => ctx.record(s, inGroups.has(s))), stats: { ...samplingStats(scored, kept, trainLoss, ctx.lr), ...clip } };
  },
};
