import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sequenceLogProbs } from '../src/core/lm/logprobs';
import { RaftEngine } from '../src/core/raft/engine';
import { selectSamples } from '../src/core/raft/select';
import { uftLoss } from '../src/core/raft/uft';
import { Rng } from '../src/core/rng';
import { METHODS, type RunConfig } from '../src/core/config/schema';
import type { Task } from '../src/core/tasks/types';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

const task: Task = { ...toyTask, demonstrations: [{ prompt: 'the cat', completion: ' sat on a mat.' }, { prompt: 'a dog', completion: ' ran far away.' }] };
const engine = (over: Partial<RunConfig>) => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig(over) });
const seqs = [[0, 3, 4, 5, 9, 10], [0, 8, 8, 2, 1, 0]].map((tokens) => ({ tokens, lossFrom: 3 }));

describe('UFT', () => {
  it('loss and gradient on a hand-computable case', async () => {
    // lp = [-2, -3], lp_ref = [-2, -5], beta = 0.5 -> r = [0, 1]; scores = [1, 0.2]
    const lpRef = tf.tensor1d([-2, -5]);
    const scores = tf.tensor1d([1, 0.2]);
    const f = (lp: tf.Tensor) => uftLoss(lp as tf.Tensor1D, lpRef, scores, 0.5);
    const lp = tf.tensor1d([-2, -3]);
    const s1 = 1 / (1 + Math.exp(-1));
    const loss = f(lp);
    expect((await loss.data())[0]).toBeCloseTo(((0.5 - 1) ** 2 + (s1 - 0.2) ** 2) / 2, 6);
    // dL/dlp_i = (sigmoid(r_i) - score_i) * sigmoid'(r_i) * beta   (mean over 2 of 2(...)...)
    const g = tf.grad(f)(lp);
    const [g0, g1] = await g.data();
    expect(g0).toBeCloseTo((0.5 - 1) * 0.25 * 0.5, 6);
    expect(g1).toBeCloseTo((s1 - 0.2) * s1 * (1 - s1) * 0.5, 6);
    tf.dispose([lpRef, scores, lp, loss, g]);
  });

  it('the reference log-probs do not change while the policy trains (full fine-tuning)', async () => {
    const e = engine({ method: 'uft', lr: 5e-2 });
    const before = await e.referenceLogProbs(seqs);
    const policyBefore = await sequenceLogProbs(e.model, seqs, 0);
    for (let c = 0; c < 3; c++) await e.runCycle();
    expect(await e.referenceLogProbs(seqs)).toEqual(before);
    expect(await sequenceLogProbs(e.model, seqs, 0)).not.toEqual(policyBefore);
    e.dispose();
    e.model.dispose();
  });

  it('with LoRA the reference is the model with adapters off: equal to the untouched base', async () => {
    const e = engine({ method: 'uft', lora: 4, loraLr: 5e-2 });
    for (let c = 0; c < 3; c++) await e.runCycle();
    const base = tinyModel(1);
    expect(await e.referenceLogProbs(seqs)).toEqual(await sequenceLogProbs(base, seqs, 0));
    expect(await sequenceLogProbs(e.model, seqs, 0)).not.toEqual(await sequenceLogProbs(base, seqs, 0));
    expect(e.model.lora!.enabled).toBe(true);
    base.dispose();
    e.dispose();
    e.model.dispose();
  });

  it('KL to the reference is 0 at cycle 0 for every method, with and without LoRA', async () => {
    for (const method of METHODS) {
      for (const lora of [0, 4]) {
        const e = engine({ method, lora });
        const c0 = await e.runCycle();
        expect(c0.stats.klToRef).toBe(0);
        e.dispose();
        e.model.dispose();
      }
    }
  });

  it('SFT trains on demonstrations only; best-of-K trains nothing and reports its analytic KL bound in klBound, not as its KL', async () => {
    const sft = engine({ method: 'sft' });
    await sft.runCycle();
    const s1 = await sft.runCycle();
    expect(s1.samples).toEqual([]);
    expect(s1.stats.keptCount).toBe(3);
    expect(s1.stats.trainLoss).toBeGreaterThan(0);
    sft.dispose();
    sft.model.dispose();
    const bok = engine({ method: 'best-of-k', samplesPerPrompt: 3 });
    const c0 = await bok.runCycle();
    const c1 = await bok.runCycle();
    expect(c1.stats.trainLoss).toBeNull();
    expect(c1.stats.perplexity).toBe(c0.stats.perplexity);
    expect(c1.stats.klBound).toBeCloseTo(Math.log(3) - 2 / 3, 10);
    expect(c1.stats.klToRef).toBeNull();
    expect(c0.stats.klToRef).toBe(0); // cycle 0 is the base model: its own KL
    expect(c0.stats.klBound).toBeNull();
    expect(c1.evalSamples).toHaveLength(c0.evalSamples.length);
    bok.dispose();
    bok.model.dispose();
  });
});

describe('soft selection and quotas', () => {
  const samples = [0.9, 0.5, 0.89, 0.1, 0.3, 0.3].map((reward, i) => ({ promptIndex: i < 3 ? 0 : 1, reward }));
  const opts = { mode: 'soft' as const, keepPerPrompt: 1, keepTopPercent: 20, rewardThreshold: 0.5, minKept: 0 };

  it('RSO soft selection: tiny beta keeps only each prompt\'s best (and ties), huge beta keeps all', () => {
    expect(selectSamples(samples, { ...opts, softBeta: 1e-4 }, new Rng(1))).toEqual([0, 4, 5]);
    expect(selectSamples(samples, { ...opts, softBeta: 1e4 }, new Rng(1))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('RSO soft selection keeps a sample with probability exp((r - r_max) / beta)', () => {
    const rng = new Rng(3);
    let kept = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) kept += selectSamples(samples, { ...opts, softBeta: 0.2 }, rng).includes(1) ? 1 : 0;
    expect(kept / n).toBeCloseTo(Math.exp((0.5 - 0.9) / 0.2), 1);
  });

  it('DART-style quotas resample prompts that have no sample at the threshold, up to the trial cap', async () => {
    const base = engine({ rewardThreshold: 1.01 }); // no sample ever reaches it
    await base.runCycle();
    const plain = (await base.runCycle()).samples.length;
    base.dispose();
    base.model.dispose();
    const quota = engine({ rewardThreshold: 1.01, quotaTrials: 2 });
    await quota.runCycle();
    const c1 = await quota.runCycle();
    expect(plain).toBe(9);
    expect(c1.samples).toHaveLength(27);
    quota.dispose();
    quota.model.dispose();
  });
});
