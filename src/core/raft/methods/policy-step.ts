/**
 * The clipped-ratio policy update of GRPO and Reinforce-Rej: per sample an advantage, per token the ratio to the
 * sampling policy clipped to [1 - epsilon, 1 + epsilon_high], beta x the k3 KL to the reference, averaged as the loss
 * type says (policy-losses.ts, loss-types.ts), one optimizer step per batch through the engine's training loop.
 *
 * No step on a batch without signal: every sample's advantage is 0 (or its loss is masked) and the KL term has no
 * gradient (beta 0, or no step taken yet this cycle and the policy's log-probs at sampling equal the reference's,
 * both from one function). So a cycle whose rewards all tie leaves the weights bit-identical.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossType } from '../loss-types';
import { tokenLogProbs } from '../../lm/logprobs';
import { lossStep, type Sequence } from '../../lm/train';
import { layoutTokenValues } from '../../lm/token-values';
import { clippedTokens, grpoLoss, type ClipRange, type Normaliser } from '../policy-losses';
import { ClipCounter } from './clip-counter';
import type { CycleContext, TrainStats } from './types';

export interface PolicySample {
  seq: Sequence;
  adv: number;
  /** Whether its tokens carry loss (false: a truncated completion under maskTruncatedCompletions). */
  loss: boolean;
}

export interface PolicyOptions {
  clip: ClipRange;
  beta: number;
  lossType: LossType;
}

const sameValues = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Train on the samples; the mean loss of the steps taken (null when none was) and the clip shares. */
export async function trainClippedPolicy(ctx: CycleContext, samples: readonly PolicySample[], opts: PolicyOptions): Promise<{ trainLoss: number | null; clip: Pick<TrainStats, 'clipRatio' | 'clipLow' | 'clipHigh'> }> {
  const { clip, beta, lossType } = opts;
  const seqs = samples.map((s) => s.seq);
  const old = await ctx.tokenLogProbs(seqs, 'policy');
  const ref = beta > 0 ? await ctx.tokenLogProbs(seqs, 'reference') : null;
  const items = samples.map((s, i) => ({ ...s, old: old[i]!, ref: ref?.[i] ?? [] }));
  // dapo: every loss token the cycle trains on weighs the same (TRL's num_items_in_batch of the generation batch)
  const cycleTokens = items.reduce((n, it) => n + (it.loss ? it.old.length : 0), 0);
  const block = ctx.model.config.blockSize;
  const counter = new ClipCounter();
  let stepped = false;
  const silent = (it: (typeof items)[number]) => !it.loss || (it.adv === 0 && (beta === 0 || (!stepped && sameValues(it.old, it.ref))));
  const trainLoss = await ctx.train(items, (part) => part.map((p) => p.seq), async (batch, part) => {
    const ps = part.map((p) => p.seq);
    const [B, T] = batch.ids.shape;
    const values = (f: (p: (typeof items)[number]) => number[]) => tf.tensor1d(layoutTokenValues(ps, block, part.map(f)));
    const oldT = values((p) => p.old);
    const refT = ref ? values((p) => p.ref) : null;
    const advT = values((p) => p.old.map(() => p.adv));
    const keepT = values((p) => p.old.map(() => (p.loss ? 1 : 0)));
    const tokens = part.reduce((n, p) => n + (p.loss ? p.old.length : 0), 0);
    const norm: Normaliser = { type: lossType, rows: B, divisor: lossType === 'bnpo' ? tokens : lossType === 'dr_grpo' ? B * ctx.config.maxNewTokens : cycleTokens };
    try {
      const loss = await lossStep(ctx.model, ctx.optimizer, batch, (mb, start) => {
        const n = mb.ids.shape[0];
        const rows = (t: tf.Tensor1D) => tf.slice(t, [start * T], [n * T]);
        const logp = tokenLogProbs(ctx.model, mb, true);
        const mask = tf.mul(mb.mask, rows(keepT)) as tf.Tensor1D;
        const [o, a] = [rows(oldT), rows(advT)];
        counter.add(...clippedTokens(logp, o, a, mask, clip), tf.sum(mask) as tf.Scalar);
        return grpoLoss(logp, o, refT ? rows(refT) : null, a, mask, n, T, clip, beta, norm);
      }, ctx.lr, ctx.config.gradClip);
      stepped = true;
      return loss;
    } finally {
      tf.dispose([oldT, advT, keepT, ...(refT ? [refT] : [])]);
      await counter.flush();
    }
  }, { skip: (part) => part.every(silent) });
  return { trainLoss, clip: counter.shares() };
}
