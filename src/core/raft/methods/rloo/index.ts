/**
 * RLOO (REINFORCE leave-one-out; TRL's RLOOTrainer): each sample's reward with `beta` x its sampled KL to the
 * reference taken off, minus the mean of the other K - 1 samples of its prompt; REINFORCE on the sequence log-prob
 * (raft/policy-losses.ts), `rlooEpochs` passes over the cycle's samples (1, as TRL's num_iterations). Every sample is
 * trained on (kept); a batch whose advantages are all 0 takes no step.
 */
import * as tf from '@tensorflow/tfjs';
import { lossStep } from '../../../lm/train';
import { rlooAdvantages, rlooLoss } from '../../policy-losses';
import { sequenceLogProb } from '../../../lm/logprobs';
import { groupByPrompt, samplingStats, type Method } from '../types';

export const rloo: Method = {
  async update(ctx) {
    const { rlooBeta: beta, rlooEpochs, gradClip } = ctx.config;
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const groups = groupByPrompt(scored);
    const seqsOf = groups.map((g) => g.map((s) => ctx.sequenceOf(s)));
    const flat = seqsOf.flat();
    // the KL of each sample at sampling time: log pi - log ref summed over its completion, both by the same function
    // (so a policy that has not moved from the reference gives exactly 0, not a rounding difference that Adam would
    // turn into a full-size step), one after the other (the reference may be this model with its adapters off)
    let kl = flat.map(() => 0);
    if (beta > 0) {
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const policy = await ctx.tokenLogProbs(flat, 'policy');
      const ref = await ctx.tokenLogProbs(flat, 'reference');
      kl = policy.map((p, i) => sum(p) - sum(ref[i]!));
    }
    let at = 0;
    const items = groups.flatMap((g, gi) => {
      const adv = rlooAdvantages(g.map((s) => s.result.reward), g.map((_, j) => kl[at + j]!), beta);
      at += g.length;
      return g.map((_, j) => ({ seq: seqsOf[gi]![j]!, adv: adv[j]! }));
    });
    const trainLoss = await ctx.train(items, (part) => part.map((p) => p.seq), (batch, part) => {
      const B = batch.ids.shape[0];
      const advT = tf.tensor1d(part.map((p) => p.adv));
      const done = lossStep(ctx.model, ctx.optimizer, batch, (mb, start) => {
        const n = mb.ids.shape[0];
        return tf.mul(rlooLoss(sequenceLogProb(ctx.model, mb), tf.slice(advT, [start], [n])), n / B) as tf.Scalar;
      }, ctx.lr, gradClip);
      return done.finally(() => advT.dispose());
      // no signal: no step (Adam's moments alone would move the weights); rlooEpochs passes (TRL's num_iterations, 1):
      // the loss has no ratio to the sampling policy, so each further pass pushes on samples the model already left
    }, { skip: (part) => part.every((p) => p.adv === 0), epochs: rlooEpochs });
    return { samples: scored.map((s) => ctx.record(s, true)), stats: samplingStats(scored, scored, trainLoss, ctx.lr) };
  },
};
