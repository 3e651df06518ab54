/**
 * Online DPO ("RLHF Workflow", iterative DPO): per prompt the best and the worst of its K fresh samples form a pair
 * (prompts whose samples all score the same are skipped), trained with the DPO loss against the reference with
 * `beta` (raft/policy-losses.ts). The samples of the pairs are the kept ones.
 */
import * as tf from '@tensorflow/tfjs';
import { lossStep } from '../../../lm/train';
import { dpoLoss, dpoPair } from '../../policy-losses';
import { sequenceLogProb } from '../../../lm/logprobs';
import { groupByPrompt, samplingStats, type Method, type Scored } from '../types';

export const onlineDpo: Method = {
  async update(ctx) {
    const { dpoBeta: beta, gradClip } = ctx.config;
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const pairs: Array<{ chosen: Scored; rejected: Scored }> = [];
    for (const g of groupByPrompt(scored)) {
      const p = dpoPair(g.map((s) => s.result.reward));
      if (p) pairs.push({ chosen: g[p[0]]!, rejected: g[p[1]]! });
    }
    let trainLoss: number | null = null;
    if (pairs.length > 0) {
      const seqs = pairs.flatMap((p) => [ctx.sequenceOf(p.chosen), ctx.sequenceOf(p.rejected)]);
      const ref = await ctx.referenceLogProbs(seqs); // the reference is frozen: once per cycle
      const items = pairs.map((p, i) => ({ chosen: seqs[2 * i]!, rejected: seqs[2 * i + 1]!, refChosen: ref[2 * i]!, refRejected: ref[2 * i + 1]! }));
      // rows alternate chosen, rejected; micro-batches keep the two rows of a pair together
      trainLoss = await ctx.train(items, (part) => part.flatMap((p) => [p.chosen, p.rejected]), (batch, part) => {
        const pairsInBatch = part.length;
        const refT = tf.tensor1d(part.flatMap((p) => [p.refChosen, p.refRejected]));
        const done = lossStep(ctx.model, ctx.optimizer, batch, (mb, start) => {
          const n = mb.ids.shape[0];
          const logp = tf.reshape(sequenceLogProb(ctx.model, mb), [n / 2, 2]);
          const r = tf.reshape(tf.slice(refT, [start], [n]), [n / 2, 2]);
          const col = (t: tf.Tensor, c: number) => tf.reshape(tf.slice(t, [0, c], [n / 2, 1]), [n / 2]) as tf.Tensor1D;
          return tf.mul(dpoLoss(col(logp, 0), col(logp, 1), col(r, 0), col(r, 1), beta), n / 2 / pairsInBatch) as tf.Scalar;
        }, ctx.lr, gradClip, 2);
        return done.finally(() => refT.dispose());
      });
    }
    const inPair = new Set(pairs.flatMap((p) => [p.chosen, p.rejected]));
    const kept = scored.filter((s) => inPair.has(s));
    return { samples: scored.map((s) => ctx.record(s, inPair.has(s))), stats: samplingStats(scored, kept, trainLoss, ctx.lr) };
  },
};
