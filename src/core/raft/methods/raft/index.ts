/** RAFT (arXiv 2304.06767): keep the samples the selection ranks best, fine-tune on them with the completion NLL. */
import { trainStep } from '../../../lm/train';
import { samplingStats, type Method } from '../types';

export const raft: Method = {
  async update(ctx) {
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const keptIdx = ctx.select(scored);
    const kept = scored.filter((_, i) => keptIdx.has(i));
    const trainLoss = await ctx.train(kept.map((s) => ctx.sequenceOf(s)), (part) => [...part], (batch) => trainStep(ctx.model, ctx.optimizer, batch, ctx.lr, ctx.config.gradClip), { skipEmpty: true });
    return { samples: scored.map((s, i) => ctx.record(s, keptIdx.has(i))), stats: samplingStats(scored, kept, trainLoss, ctx.lr) };
  },
};
