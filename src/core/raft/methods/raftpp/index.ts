/**
 * RAFT++ (Xiong et al. 2025, arXiv 2504.11343): RAFT's selection (the samples `select` keeps, advantage 1), trained
 * with the importance ratio r = pi / pi_old against the sampling policy and PPO's clip (`epsilon`, `epsilon_high`):
 * the loss is the importance-weighted NLL with RAFT's token mean over the batch (policy-losses.ts raftppLoss), so
 * while the policy has not moved it is RAFT's loss in value and gradient; after steps within the cycle (several
 * batches or epochs) a token whose probability grew past 1 + epsilon_high stops pulling.
 */
import * as tf from '@tensorflow/tfjs';
import { tokenLogProbs } from '../../../lm/logprobs';
import { lossStep } from '../../../lm/train';
import { layoutTokenValues } from '../../../lm/token-values';
import { clippedTokens, clipRange, raftppLoss } from '../../policy-losses';
import { ClipCounter } from '../clip-counter';
import { samplingStats, type Method } from '../types';

export const raftpp: Method = {
  async update(ctx) {
    const c = ctx.config;
    const clip = clipRange(c.epsilon, c.epsilonHigh);
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const keptIdx = ctx.select(scored);
    const kept = scored.filter((_, i) => keptIdx.has(i));
    const seqs = kept.map((s) => ctx.sequenceOf(s));
    const old = await ctx.tokenLogProbs(seqs, 'policy');
    const items = seqs.map((seq, i) => ({ seq, old: old[i]! }));
    const block = ctx.model.config.blockSize;
    const counter = new ClipCounter();
    const trainLoss = await ctx.train(items, (part) => part.map((p) => p.seq), async (batch, part) => {
      const T = batch.ids.shape[1];
      const oldT = tf.tensor1d(layoutTokenValues(part.map((p) => p.seq), block, part.map((p) => p.old)));
      try {
        return await lossStep(ctx.model, ctx.optimizer, batch, (mb, start) => {
          const n = mb.ids.shape[0];
          const o = tf.slice(oldT, [start * T], [n * T]) as tf.Tensor1D;
          const logp = tokenLogProbs(ctx.model, mb, true);
          counter.add(...clippedTokens(logp, o, tf.onesLike(o), mb.mask, clip), tf.sum(mb.mask) as tf.Scalar);
          return raftppLoss(logp, o, mb.mask, clip, batch.tokens);
        }, ctx.lr, c.gradClip);
      } finally {
        oldT.dispose();
        await counter.flush();
      }
    }, { skipEmpty: true });
    return { samples: scored.map((s, i) => ctx.record(s, keptIdx.has(i))), stats: { ...samplingStats(scored, kept, trainLoss, ctx.lr), ...counter.shares() } };
  },
};
