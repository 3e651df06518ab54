/**
 * PPO (TRL's PPOTrainer, as in the RAFT paper's baseline): a value head on the policy's last hidden state; per-token
 * rewards -kl_coef x (log pi_old - log ref) with the sample's reward added at its last token; GAE (`gamma`, `lam`);
 * advantages whitened over the cycle's tokens; `ppo_epochs` passes over minibatches (batchSize samples) of the
 * clipped policy objective (`cliprange`) plus vf_coef x the clipped value loss (`cliprange_value`); and the
 * adaptive KL controller (`init_kl_coef`, `target`, `horizon`; Ziegler et al.) after each cycle. The value head and
 * the KL coefficient are part of the run's checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../../../lm/language-model';
import { lossStep, type Batch, type Sequence } from '../../../lm/train';
import { clippedTokens } from '../../policy-losses';
import { ClipCounter } from '../clip-counter';
import { layoutTokenValues, perTokenValues } from '../../../lm/token-values';
import { targetLogProbs } from '../../../lm/logprobs';
import { Rng } from '../../../rng';
import { samplingStats, type Method, type MethodEnv, type MethodState } from '../types';

/** GAE over one sequence's tokens: advantages and returns (advantage + value); the value after the last token is 0. */
export function gae(rewards: readonly number[], values: readonly number[], gamma: number, lam: number): { advantages: number[]; returns: number[] } {
  const n = rewards.length;
  const advantages = new Array<number>(n).fill(0);
  let last = 0;
  for (let t = n - 1; t >= 0; t--) {
    const next = t + 1 < n ? values[t + 1]! : 0;
    const delta = rewards[t]! + gamma * next - values[t]!;
    last = delta + gamma * lam * last;
    advantages[t] = last;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]!) };
}

/** The adaptive KL controller's next coefficient (Ziegler et al. 2019; TRL's AdaptiveKLController). */
export function adaptiveKlCoef(coef: number, kl: number, target: number, horizon: number, nSteps: number): number {
  const error = Math.min(0.2, Math.max(-0.2, kl / target - 1));
  return coef * (1 + (error * nSteps) / horizon);
}

/**
 * PPO's loss from per-token tensors (N = B*T): log-probs now, at sampling, advantages, values now (vpred), at
 * sampling, returns, the mask, and the number of tokens the masked means divide by.
 */
export function ppoLoss(logp: tf.Tensor1D, old: tf.Tensor1D, adv: tf.Tensor1D, vpred: tf.Tensor1D, vold: tf.Tensor1D, returns: tf.Tensor1D, mask: tf.Tensor1D, tokens: number, cliprange: number, cliprangeValue: number, vfCoef: number): tf.Scalar {
  const ratio = tf.exp(tf.sub(logp, old));
  const pg = tf.maximum(tf.mul(tf.neg(adv), ratio), tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - cliprange, 1 + cliprange)));
  const vclipped = tf.add(vold, tf.clipByValue(tf.sub(vpred, vold), -cliprangeValue, cliprangeValue));
  const vf = tf.mul(tf.maximum(tf.square(tf.sub(vpred, returns)), tf.square(tf.sub(vclipped, returns))), 0.5);
  const perToken = tf.add(pg, tf.mul(vf, vfCoef));
  return tf.div(tf.sum(tf.mul(perToken, mask)), Math.max(1, tokens)) as tf.Scalar;
}

let instances = 0;

class Ppo implements Method {
  readonly #model: LanguageModel;
  readonly #id = `ppo-${++instances}`;
  readonly #w: tf.Variable;
  readonly #b: tf.Variable;
  #klCoef: number;

  constructor(env: MethodEnv) {
    this.#model = env.model;
    const C = env.model.config.nEmbd;
    // a small seeded initialisation, as a freshly initialised linear value head
    const rng = Rng.derive(env.config.seed, 'ppo/value-head');
    const init = Float32Array.from({ length: C }, () => (rng.float() * 2 - 1) / Math.sqrt(C));
    this.#w = tf.variable(tf.tensor2d(init, [C, 1]), true, `${this.#id}/value.w`);
    this.#b = tf.variable(tf.zeros([1]), true, `${this.#id}/value.b`);
    this.#klCoef = env.config.initKlCoef;
  }

  variables(): tf.Variable[] {
    return [this.#w, this.#b];
  }

  localName(name: string): string | undefined {
    return name.startsWith(`${this.#id}/`) ? `method.${name.slice(this.#id.length + 1)}` : undefined;
  }

  get klCoef(): number {
    return this.#klCoef;
  }

  /** The value of every position (B*T), from the hidden state the forward pass hands over. */
  #forward(batch: Batch, differentiable: boolean): { logp: tf.Tensor1D; values: tf.Tensor1D } {
    let values: tf.Tensor1D | null = null;
    const logits = this.#model.forward(batch.ids, {
      differentiable,
      hidden: (h) => {
        values = tf.reshape(tf.add(tf.matMul(h, this.#w), this.#b), [-1]) as tf.Tensor1D;
      },
    });
    return { logp: targetLogProbs(logits, batch.targets), values: values! };
  }

  /** Per-token values of each sequence's completion (in order), no gradient. */
  #rolloutValues(seqs: readonly Sequence[], padId: number): Promise<number[][]> {
    return perTokenValues(this.#model, seqs, padId, (batch) => this.#forward(batch, false).values);
  }

  async update(ctx: Parameters<Method['update']>[0]) {
    const { gamma, lam, cliprange, cliprangeValue, vfCoef, ppoEpochs, gradClip, klTarget, klHorizon, adapKlCtrl } = ctx.config;
    const scored = await ctx.sampleAndScore(ctx.nextPrompts());
    const seqs = scored.map((s) => ctx.sequenceOf(s));
    const old = await ctx.tokenLogProbs(seqs, 'policy');
    const ref = await ctx.tokenLogProbs(seqs, 'reference');
    const vold = await this.#rolloutValues(seqs, ctx.eosId);
    const klCoef = this.#klCoef;
    const rollouts = scored.map((s, i) => {
      const kl = old[i]!.map((lp, t) => lp - (ref[i]![t] ?? lp));
      const rewards = kl.map((k) => -klCoef * k);
      if (rewards.length) rewards[rewards.length - 1]! += s.result.reward;
      const { advantages, returns } = gae(rewards, vold[i]!, gamma, lam);
      return { seq: seqs[i]!, old: old[i]!, vold: vold[i]!, advantages, returns, kl: kl.reduce((a, b) => a + b, 0) };
    });
    // advantages whitened over every token of the cycle (TRL)
    const all = rollouts.flatMap((r) => r.advantages);
    const m = all.reduce((a, b) => a + b, 0) / Math.max(1, all.length);
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, all.length - 1));
    const items = rollouts.map((r) => ({ ...r, advantages: r.advantages.map((a) => (a - m) / (sd + 1e-8)) }));
    const block = this.#model.config.blockSize;
    const counter = new ClipCounter();
    const clip = { low: cliprange, high: cliprange };
    const trainLoss = await ctx.train(items, (part) => part.map((p) => p.seq), (batch, part) => {
      const ps = part.map((p) => p.seq);
      const T = batch.ids.shape[1];
      const t = (values: number[][]) => tf.tensor1d(layoutTokenValues(ps, block, values));
      const oldT = t(part.map((p) => p.old));
      const advT = t(part.map((p) => p.advantages));
      const voldT = t(part.map((p) => p.vold));
      const retT = t(part.map((p) => p.returns));
      const done = lossStep(this.#model, ctx.optimizer, batch, (mb, start) => {
        const n = mb.ids.shape[0];
        const rows = (x: tf.Tensor1D) => tf.slice(x, [start * T], [n * T]);
        const { logp, values } = this.#forward(mb, true);
        counter.add(...clippedTokens(logp, rows(oldT), rows(advT), mb.mask, clip), tf.sum(mb.mask) as tf.Scalar);
        return ppoLoss(logp, rows(oldT), rows(advT), values, rows(voldT), rows(retT), mb.mask, batch.tokens, cliprange, cliprangeValue, vfCoef);
      }, ctx.lr, gradClip, 1, this.variables());
      return done.finally(async () => {
        tf.dispose([oldT, advT, voldT, retT]);
        await counter.flush();
      });
    }, { epochs: ppoEpochs });
    if (adapKlCtrl) {
      const meanKl = rollouts.reduce((a, r) => a + r.kl, 0) / Math.max(1, rollouts.length);
      this.#klCoef = adaptiveKlCoef(this.#klCoef, meanKl, klTarget, klHorizon, rollouts.length);
    }
    return { samples: scored.map((s) => ctx.record(s, true)), stats: { ...samplingStats(scored, scored, trainLoss, ctx.lr), ...counter.shares() } };
  }

  async exportState(): Promise<MethodState> {
    const weights = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const v of this.variables()) weights.set(this.localName(v.name)!, { shape: v.shape.slice(), values: ((await v.data()) as Float32Array).slice() });
    return { weights, values: { klCoef: this.#klCoef } };
  }

  restoreState(state: MethodState): void {
    for (const v of this.variables()) {
      const w = state.weights.get(this.localName(v.name)!);
      if (!w || w.values.length !== v.size) throw new Error(`the checkpoint has no PPO ${this.localName(v.name)} of ${v.size} values`);
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
    }
    if (typeof state.values.klCoef === 'number') this.#klCoef = state.values.klCoef;
  }

  dispose(): void {
    this.#w.dispose();
    this.#b.dispose();
  }
}

export const ppo: Method = {
  create: (env) => new Ppo(env),
  update() {
    throw new Error('ppo runs as an instance (Method.create)');
  },
};
