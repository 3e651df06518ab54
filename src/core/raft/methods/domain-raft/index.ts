/**
 * Domain-RAFT ("RAFT: Reshaping Fine-Tuning Without Losing Generality": data refinement and adaptive distillation).
 * Plain SFT on a domain's references trains the model on targets it would never write (the supervision gap) and
 * never on its own prefixes (the trajectory gap). Each cycle, for the next promptsPerCycle demonstrations:
 *
 * 1. self-conditioned rewriting (drRewrite): the frozen base model, given the reference's answer as a hint
 *    (Task.referenceHint), writes the answer in its own words;
 * 2. semantic filtering (drFilter): a rewrite is trained on only when it agrees with the reference (same final
 *    answer), otherwise the reference is; with the filter off every rewrite is used;
 * 3. answer-conditioned on-policy distillation (drDistill): the current model writes its own sample of the plain
 *    prompt (the student, no hint); the teacher is the frozen base model shown the hint, on the same completion;
 * 4. top-K temperature distillation: the loss is tau^2 KL over the teacher's K most likely tokens (lm/distill.ts);
 * 5. adaptive balance (drBalance `ema`): loss = a * L_sft + (1 - a) * L_kd with a = m_kd / (m_sft + m_kd), where
 *    m are exponential moving averages of the two losses' values (m <- d m + (1 - d) L, d = drEmaDecay; the first
 *    step's values start them, and a = 1/2 until then), so each term contributes alike; `fixed`: a = 1/2.
 *
 * The SFT row of a demonstration and its distillation row share one optimizer step (one batch, two row groups).
 */
import * as tf from '@tensorflow/tfjs';
import { denseTargets, teacherTargets, topKDistillLoss, type TopKTarget } from '../../../lm/distill';
import type { LanguageModel } from '../../../lm/language-model';
import { layoutBatch, lossStep, type Batch, type Sequence } from '../../../lm/train';
import { crossEntropy } from '../../../lm/variables';
import type { RunConfig } from '../../../config/schema';
import { mean } from '../../stats';
import type { SampleRecord } from '../../types';
import type { CycleContext, Method, MethodEnv, MethodState } from '../types';
import { domainRaftDeclaration } from './declaration';

/** The SFT weight a of the balance, from the moving averages (null before the first step). */
export function balanceWeight(emaSft: number | null, emaKd: number | null, mode: RunConfig['drBalance']): number {
  if (mode === 'fixed' || emaSft === null || emaKd === null || emaSft + emaKd <= 0) return 0.5;
  return emaKd / (emaSft + emaKd);
}

/** One EMA step: the first value starts the average. */
export function emaStep(ema: number | null, value: number, decay: number): number {
  return ema === null ? value : decay * ema + (1 - decay) * value;
}

interface Item {
  sft: Sequence;
  /** The student's own sample (prompt without the hint) and the teacher's targets for its completion tokens. */
  kd: Sequence | null;
  targets: TopKTarget[] | null;
}

/** A batch's rows: the items' SFT sequences, then the distilled ones (items without distillation have none). */
function batchRows(part: readonly Item[]): { kd: Item[]; seqs: Sequence[] } {
  const kd = part.filter((p) => p.kd);
  return { kd, seqs: [...part.map((p) => p.sft), ...kd.map((p) => p.kd!)] };
}

class DomainRaft implements Method {
  readonly #model: LanguageModel;
  #emaSft: number | null = null;
  #emaKd: number | null = null;

  constructor(env: MethodEnv) {
    this.#model = env.model;
  }

  get ema(): { sft: number | null; kd: number | null } {
    return { sft: this.#emaSft, kd: this.#emaKd };
  }

  async update(ctx: CycleContext) {
    const { config } = ctx;
    const hint = ctx.domain.referenceHint;
    if (!hint) throw new Error(`domain-raft needs ${domainRaftDeclaration.needs!.why}; this task cannot`);
    const demos = ctx.domain.nextDemoTexts(config.promptsPerCycle);
    const eos = ctx.eosId;
    const hinted = demos.map((d) => hint.hint(d.prompt, d.completion));

    // 1-2: rewrites by the base model given the hint, kept when they agree with the reference (or always, unfiltered)
    const rewrites = config.drRewrite ? await ctx.domain.generateTexts(hinted, 'reference') : null;
    const records: SampleRecord[] = [];
    let used = 0;
    const sft: Sequence[] = demos.map((d, i) => {
      const prompt = ctx.domain.promptTokens(d.prompt);
      const rw = rewrites?.[i];
      const agrees = rw ? hint.agrees(d.prompt, rw.completion, d.completion) : false;
      const useRewrite = !!rw && (agrees || !config.drFilter);
      if (useRewrite) used++;
      if (rw) records.push({ promptIndex: d.index, prompt: hinted[i]!, completion: rw.completion, reward: agrees ? 1 : 0, breakdown: { reference: d.completion, agrees, trainedOn: useRewrite ? 'rewrite' : 'reference' }, kept: useRewrite });
      const completion = useRewrite ? [...rw!.gen.tokens, ...(rw!.gen.ended ? [eos] : [])] : [...ctx.domain.encode(d.completion), eos];
      return { tokens: [...prompt, ...completion], lossFrom: prompt.length };
    });

    // 3-4: the student's own samples, and the hinted base model's top-K distributions on them
    let studentAgrees: number[] = [];
    let items: Item[] = sft.map((s) => ({ sft: s, kd: null, targets: null }));
    if (config.drDistill) {
      const samples = await ctx.domain.generateTexts(demos.map((d) => d.prompt), 'policy');
      const tail = (g: (typeof samples)[number]['gen']) => [...g.tokens, ...(g.ended ? [eos] : [])];
      const student = samples.map((s) => ({ tokens: [...s.promptTokens, ...tail(s.gen)], lossFrom: s.promptTokens.length }));
      const teacher = samples.map((s, i) => {
        const p = ctx.domain.promptTokens(hinted[i]!);
        return { tokens: [...p, ...tail(s.gen)], lossFrom: p.length };
      });
      const targets = await ctx.domain.withReference((m) => teacherTargets(m, teacher, config.drTopK, config.drTau, eos));
      studentAgrees = samples.map((s, i) => (hint.agrees(demos[i]!.prompt, s.completion, demos[i]!.completion) ? 1 : 0));
      items = sft.map((s, i) => ({ sft: s, kd: student[i]!, targets: targets[i]! }));
      samples.forEach((s, i) => records.push({ promptIndex: demos[i]!.index, prompt: demos[i]!.prompt, completion: s.completion, reward: studentAgrees[i]!, breakdown: { reference: demos[i]!.completion, agrees: studentAgrees[i] === 1, role: 'student' }, kept: true }));
    }

    const trainLoss = await ctx.train(items, (part) => batchRows(part).seqs, (batch, part) => this.#step(ctx, batch, part));
    const agreeRate = rewrites ? mean(records.filter((r) => r.breakdown?.trainedOn !== undefined).map((r) => r.reward)) : null;
    return {
      samples: records,
      stats: {
        // the student's samples: how often they reach the reference's answer (null without distillation)
        rewardMean: mean(studentAgrees),
        rewardMeanKept: agreeRate,
        rewardMax: studentAgrees.length ? Math.max(...studentAgrees) : null,
        keptCount: used,
        keptFraction: rewrites ? used / Math.max(1, demos.length) : null,
        trainLoss,
        lr: ctx.lr,
      },
    };
  }

  /** One step: rows [0, m) are SFT targets, rows [m, 2m) the student's samples with the teacher's targets. */
  async #step(ctx: CycleContext, batch: Batch, part: readonly Item[]): Promise<number> {
    const { drTau: tau, drBalance, drEmaDecay, gradClip } = ctx.config;
    const V = this.#model.config.vocabSize;
    const m = part.length;
    const rows = batchRows(part);
    const kdRows = rows.kd.length;
    const layout = layoutBatch(rows.seqs, this.#model.config.blockSize, ctx.eosId);
    const { B, T } = layout;
    // per position: the SFT weight (1 / SFT tokens) and the distillation weight (1 / distilled tokens) with its target
    const sftW = new Float32Array(B * T);
    const kdW = new Float32Array(B * T);
    const rowTargets: Array<TopKTarget | null> = new Array(B * T).fill(null);
    let sftTokens = 0;
    let kdTokens = 0;
    for (let b = 0; b < B; b++) {
      let k = 0;
      const targets = b >= m ? rows.kd[b - m]!.targets! : null;
      // a long completion keeps its end in the layout: align the targets to the last positions
      const masked = Array.from({ length: T }, (_, j) => j).filter((j) => layout.mask[b * T + j] === 1);
      const offset = targets ? targets.length - masked.length : 0;
      for (const j of masked) {
        if (b < m) {
          sftW[b * T + j] = 1;
          sftTokens++;
        } else {
          const t = targets![offset + k++];
          if (t) {
            rowTargets[b * T + j] = t;
            kdW[b * T + j] = 1;
            kdTokens++;
          }
        }
      }
    }
    for (let i = 0; i < sftW.length; i++) {
      sftW[i] = sftW[i]! / Math.max(1, sftTokens);
      kdW[i] = kdW[i]! / Math.max(1, kdTokens);
    }
    const a = kdRows === 0 ? 1 : balanceWeight(this.#emaSft, this.#emaKd, drBalance);
    const dense = kdRows ? denseTargets(rowTargets, V) : null;
    const sftWT = tf.tensor1d(sftW);
    const kdWT = tf.tensor1d(kdW);
    const probsT = dense ? tf.tensor2d(dense.probs, [B * T, V]) : null;
    const supportT = dense ? tf.tensor2d(dense.support, [B * T, V]) : null;
    const negEntT = dense ? tf.tensor1d(dense.negEntropy) : null;
    const parts: tf.Tensor[] = [];
    try {
      const total = await lossStep(this.#model, ctx.optimizer, batch, (mb, start) => {
        const n = mb.ids.shape[0];
        const slice = (t: tf.Tensor) => (t.rank === 1 ? tf.slice(t, [start * T], [n * T]) : tf.slice(t, [start * T, 0], [n * T, V]));
        const logits = this.#model.forward(mb.ids, { differentiable: true });
        const sftLoss = tf.sum(tf.mul(crossEntropy(logits, mb.targets), slice(sftWT))) as tf.Scalar;
        const kdLoss = dense ? topKDistillLoss(logits, slice(probsT!) as tf.Tensor2D, slice(supportT!) as tf.Tensor2D, slice(negEntT!) as tf.Tensor1D, slice(kdWT) as tf.Tensor1D, tau) : tf.scalar(0);
        parts.push(tf.keep(tf.stack([sftLoss, kdLoss])));
        return tf.add(tf.mul(sftLoss, a), tf.mul(kdLoss, 1 - a)) as tf.Scalar;
      }, ctx.lr, gradClip);
      const sums = await Promise.all(parts.map((p) => p.data()));
      const sftValue = sums.reduce((s, v) => s + v[0]!, 0);
      const kdValue = sums.reduce((s, v) => s + v[1]!, 0);
      this.#emaSft = emaStep(this.#emaSft, sftValue, drEmaDecay);
      if (kdRows) this.#emaKd = emaStep(this.#emaKd, kdValue, drEmaDecay);
      return total;
    } finally {
      tf.dispose([sftWT, kdWT, ...(probsT ? [probsT, supportT!, negEntT!] : []), ...parts]);
    }
  }

  async exportState(): Promise<MethodState> {
    const values: Record<string, number> = {};
    if (this.#emaSft !== null) values.emaSft = this.#emaSft;
    if (this.#emaKd !== null) values.emaKd = this.#emaKd;
    return { weights: new Map(), values };
  }

  restoreState(state: MethodState): void {
    if (state.weights.size) throw new Error(`this checkpoint holds weights of another method (${[...state.weights.keys()].join(', ')})`);
    this.#emaSft = state.values.emaSft ?? null;
    this.#emaKd = state.values.emaKd ?? null;
  }
}

export const domainRaft: Method = {
  create: (env) => new DomainRaft(env),
  update() {
    throw new Error('domain-raft runs as an instance (Method.create)');
  },
};
