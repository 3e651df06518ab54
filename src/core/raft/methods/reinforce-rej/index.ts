/**
 * Reinforce-Rej (Xiong et al. 2025, "A Minimalist Approach to LLM Reasoning", arXiv 2504.11343): REINFORCE with a
 * per-prompt mean baseline, advantage = reward - the mean of its prompt's K rewards (no division by a standard
 * deviation), and prompts whose K rewards all tie (all right or all wrong) dropped. As in the paper, the policy
 * gradient is the token-level clipped ratio objective against the sampling policy (`epsilon`, `epsilon_high`),
 * each completion's token mean then the mean over completions (GRPO's `grpo` loss type), no KL term
 * (policy-step.ts). The samples of the prompts kept are the kept ones; a cycle where every prompt ties trains nothing.
 */
import { clipRange, meanBaselineAdvantages } from '../../policy-losses';
import { trainClippedPolicy, type PolicySample } from '../policy-step';
import { groupByPrompt, samplingStats, type Method, type Scored } from '../types';

export const reinforceRej: Method = {
  async update(ctx) {
    const c = ctx.config;
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const inKept = new Set<Scored>();
    const samples: PolicySample[] = [];
    for (const g of groupByPrompt(scored)) {
      const adv = meanBaselineAdvantages(g.map((s) => s.result.reward));
      if (!adv) continue;
      g.forEach((s, j) => {
        inKept.add(s);
        samples.push({ seq: ctx.sequenceOf(s), adv: adv[j]!, loss: true });
      });
    }
    const { trainLoss, clip } = await trainClippedPolicy(ctx, samples, { clip: clipRange(c.epsilon, c.epsilonHigh), beta: 0, lossType: 'grpo' });
    const kept = scored.filter((s) => inKept.has(s));
    return { samples: scored.map((s) => ctx.record(s, inKept.has(s))), stats: { ...samplingStats(scored, kept, trainLoss, ctx.lr), ...clip } };
  },
};
