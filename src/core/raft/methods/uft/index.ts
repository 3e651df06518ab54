/**
 * UFT (arXiv 2410.21438): scored samples (all, or the selected ones) with their reward as score and demonstrations
 * with score 1, trained with one loss, (sigmoid(beta * log-ratio to the reference) - score)^2 (raft/uft.ts).
 */
import { uftStep } from '../../uft';
import { samplingStats, type Method } from '../types';
import type { Sequence } from '../../../lm/train';

export const uft: Method = {
  async update(ctx) {
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const keptIdx = ctx.select(scored);
    const kept = scored.filter((_, i) => keptIdx.has(i));
    const pool = ctx.config.uftScored === 'all' ? scored : kept;
    const demos = ctx.nextDemos(Math.round(ctx.config.uftDemoRatio * pool.length));
    const items: Array<{ seq: Sequence; score: number }> = [...pool.map((s) => ({ seq: ctx.sequenceOf(s), score: s.result.reward })), ...demos.map((seq) => ({ seq, score: 1 }))];
    let trainLoss: number | null = null;
    if (items.length > 0) {
      const ref = await ctx.referenceLogProbs(items.map((it) => it.seq)); // the reference is frozen: once per cycle
      const indexed = items.map((it, i) => ({ ...it, ref: ref[i]! }));
      const { uftBeta, gradClip } = ctx.config;
      trainLoss = await ctx.train(indexed, (part) => part.map((p) => p.seq), (batch, part) => uftStep(ctx.model, ctx.optimizer, batch, part.map((p) => p.ref), part.map((p) => p.score), uftBeta, ctx.lr, gradClip));
    }
    return { samples: scored.map((s, i) => ctx.record(s, keptIdx.has(i))), stats: samplingStats(scored, kept, trainLoss, ctx.lr) };
  },
};
