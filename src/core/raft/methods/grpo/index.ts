/**
 * GRPO (DeepSeekMath; TRL's GRPOTrainer): K = samplesPerPrompt samples per prompt (TRL's `num_generations`),
 * group-normalised advantages (`scale_rewards`), the clipped ratio objective against the sampling policy
 * (`epsilon`) and `beta` x the k3 KL to the reference (raft/policy-losses.ts). Every sample is trained on (kept).
 */
import * as tf from '@tensorflow/tfjs';
import { tokenLogProbs } from '../../../lm/logprobs';
import { lossStep } from '../../../lm/train';
import { layoutTokenValues } from '../../../lm/token-values';
import { grpoAdvantages, grpoLoss } from '../../policy-losses';
import { groupByPrompt, samplingStats, type Method } from '../types';

export const grpo: Method = {
  async update(ctx) {
    const { grpoBeta: beta, epsilon, scaleRewards, gradClip } = ctx.config;
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const groups = groupByPrompt(scored);
    const adv = grpoAdvantages(groups.map((g) => g.map((s) => s.result.reward)), scaleRewards);
    const items = groups.flatMap((g, gi) => g.map((s, j) => ({ seq: ctx.sequenceOf(s), adv: adv[gi]![j]! })));
    const seqs = items.map((it) => it.seq);
    const old = await ctx.tokenLogProbs(seqs, 'policy');
    const ref = beta > 0 ? await ctx.tokenLogProbs(seqs, 'reference') : null;
    const indexed = items.map((it, i) => ({ ...it, old: old[i]!, ref: ref?.[i] ?? [] }));
    const block = ctx.model.config.blockSize;
    const trainLoss = await ctx.train(indexed, (part) => part.map((p) => p.seq), (batch, part) => {
      const ps = part.map((p) => p.seq);
      const [B, T] = batch.ids.shape;
      const oldT = tf.tensor1d(layoutTokenValues(ps, block, part.map((p) => p.old)));
      const refT = ref ? tf.tensor1d(layoutTokenValues(ps, block, part.map((p) => p.ref))) : null;
      const advT = tf.tensor1d(layoutTokenValues(ps, block, part.map((p) => p.old.map(() => p.adv))));
      const done = lossStep(ctx.model, ctx.optimizer, batch, (mb, start) => {
        const n = mb.ids.shape[0];
        const rows = (t: tf.Tensor1D) => tf.slice(t, [start * T], [n * T]);
        const logp = tokenLogProbs(ctx.model, mb, true);
        return tf.mul(grpoLoss(logp, rows(oldT), refT ? rows(refT) : null, rows(advT), mb.mask, n, T, epsilon, beta), n / B) as tf.Scalar;
      }, ctx.lr, gradClip);
      return done.finally(() => tf.dispose([oldT, advT, ...(refT ? [refT] : [])]));
    });
    return { samples: scored.map((s) => ctx.record(s, true)), stats: samplingStats(scored, scored, trainLoss, ctx.lr) };
  },
};
