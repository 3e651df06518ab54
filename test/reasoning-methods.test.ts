// The reasoning-era methods and options (issue 26): GRPO's loss types against hand computations (sequence-level vs
// token-level normalisation, dr_grpo's constant, dapo's cycle-wide token count), clip-higher clipping asymmetrically,
// RAFT++'s loss equal to RAFT's NLL in value and gradient while the policy has not moved, entropy on a hand-made
// distribution, fracRewardZeroStd on hand-made groups; in the engine: a cycle whose rewards all tie leaves every
// weight bit-identical (KL 0, perplexity unchanged) for every method driven by reward differences, full fine-tuning
// and LoRA, also after a cycle that gave Adam moments; group filtering draws until full or the cap and counts every
// sample; the cycle's entropy, tie and truncation shares.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/core/config/schema';
import { positionEntropy } from '../src/core/lm/entropy';
import { tokenLogProbs } from '../src/core/lm/logprobs';
import { disposeBatch, makeBatch, maskedNll } from '../src/core/lm/train';
import { RaftEngine } from '../src/core/raft/engine';
import type { CycleStats } from '../src/core/raft/stats';
import { decodeCheckpoint, encodeCheckpoint } from '../src/core/store/checkpoint';
import { aggregateLoss, clippedTokens, clipRange, fracZeroStd, grpoLoss, raftppLoss, type Normaliser } from '../src/core/raft/policy-losses';
import { PromptOrder } from '../src/core/raft/prompt-order';
import type { Task } from '../src/core/tasks/types';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

/** d loss / d logp and the loss, for per-token log-probs `x`. */
function valueAndGrad(f: (x: tf.Tensor1D) => tf.Scalar, x: number[]): { value: number; grad: number[] } {
  const t = tf.tensor1d(x);
  const { value, grads } = tf.valueAndGrads((v: tf.Tensor) => f(v as tf.Tensor1D))([t]);
  const out = { value: value.dataSync()[0]!, grad: Array.from(grads[0]!.dataSync()) };
  tf.dispose([t, value, ...grads]);
  return out;
}

describe('GRPO loss types, clip-higher and RAFT++ against hand computations', () => {
  // two completions in rows of T = 3: the first has 1 token (advantage +1), the second 3 tokens (advantage -0.5);
  // the policy has not moved (ratio 1), so each token's loss is -A
  const mask = [1, 0, 0, 1, 1, 1];
  const adv = [1, 1, 1, -0.5, -0.5, -0.5];
  const lossOf = (norm: Normaliser) => (logp: tf.Tensor1D) => tf.tidy(() => grpoLoss(logp, tf.tensor1d([0, 0, 0, 0, 0, 0]), null, tf.tensor1d(adv), tf.tensor1d(mask), 2, 3, clipRange(0.2, 0), 0, norm));
  const at = [0, 0, 0, 0, 0, 0];

  it('grpo: each completion\'s token mean, then the mean over completions (a short completion\'s token weighs more)', () => {
    const { value, grad } = valueAndGrad(lossOf({ type: 'grpo', rows: 2, divisor: 0 }), at);
    expect(value).toBeCloseTo((-1 + 0.5) / 2, 6);
    // d/dlogp of -r A / (len * B): -1 / 2 for the 1-token completion, 0.5 / 6 for each token of the 3-token one
    [-0.5, 0, 0, 0.5 / 6, 0.5 / 6, 0.5 / 6].forEach((g, i) => expect(grad[i]).toBeCloseTo(g, 6));
  });

  it('bnpo: the sum over the batch\'s tokens / their number (every token weighs the same)', () => {
    const { value, grad } = valueAndGrad(lossOf({ type: 'bnpo', rows: 2, divisor: 4 }), at);
    expect(value).toBeCloseTo((-1 + 1.5) / 4, 6);
    [-0.25, 0, 0, 0.125, 0.125, 0.125].forEach((g, i) => expect(grad[i]).toBeCloseTo(g, 6));
  });

  it('dr_grpo: the sum / (completions x maxNewTokens), a constant whatever the lengths', () => {
    const { value } = valueAndGrad(lossOf({ type: 'dr_grpo', rows: 2, divisor: 2 * 8 }), at);
    expect(value).toBeCloseTo(0.5 / 16, 6);
  });

  it('dapo: the sum / the loss tokens of the whole cycle (here 10), the same weight in every batch', () => {
    const { value, grad } = valueAndGrad(lossOf({ type: 'dapo', rows: 2, divisor: 10 }), at);
    expect(value).toBeCloseTo(0.5 / 10, 6);
    expect(grad[0]).toBeCloseTo(-0.1, 6);
  });

  it('a micro-batch\'s share: the two rows apart sum to the whole batch\'s loss, for every loss type', () => {
    for (const norm of [{ type: 'grpo', rows: 2, divisor: 0 }, { type: 'bnpo', rows: 2, divisor: 4 }, { type: 'dapo', rows: 2, divisor: 10 }] as Normaliser[]) {
      const part = (from: number) => tf.tidy(() => aggregateLoss(tf.tensor1d(adv.slice(from, from + 3).map((a) => -a)), tf.tensor1d(mask.slice(from, from + 3)), 1, 3, norm).dataSync()[0]!);
      const whole = tf.tidy(() => aggregateLoss(tf.tensor1d(adv.map((a) => -a)), tf.tensor1d(mask), 2, 3, norm).dataSync()[0]!);
      expect(part(0) + part(3)).toBeCloseTo(whole, 6);
    }
  });

  it('clip-higher clips asymmetrically: [1 - 0.2, 1 + 0.28]', () => {
    // ratios 1.25 (A > 0: inside 1.28, still pulls), 1.3 (A > 0: past 1.28, clipped), 0.75 (A < 0: past 0.8, clipped),
    // 0.85 (A < 0: inside)
    const old = tf.tensor1d([0, 0, 0, 0]);
    const a = tf.tensor1d([1, 1, -1, -1]);
    const m = tf.tensor1d([1, 1, 1, 1]);
    const clip = clipRange(0.2, 0.28);
    expect(clip).toEqual({ low: 0.2, high: 0.28 });
    const x = [Math.log(1.25), Math.log(1.3), Math.log(0.75), Math.log(0.85)];
    const { grad } = valueAndGrad((logp) => grpoLoss(logp, old, null, a, m, 1, 4, clip, 0, { type: 'bnpo', rows: 1, divisor: 4 }), x);
    expect(grad[0]).toBeCloseTo(-1.25 / 4, 6);
    expect(grad[1]).toBe(0);
    expect(grad[2]).toBe(0);
    expect(grad[3]).toBeCloseTo(0.85 / 4, 6);
    // the symmetric range clips the 1.25 too
    const sym = valueAndGrad((logp) => grpoLoss(logp, old, null, a, m, 1, 4, clipRange(0.2, 0), 0, { type: 'bnpo', rows: 1, divisor: 4 }), x);
    expect(sym.grad[0]).toBe(0);
    const counts = tf.tidy(() => clippedTokens(tf.tensor1d(x), old, a, m, clip).map((t) => t.dataSync()[0]));
    expect(counts).toEqual([1, 1]); // low: the 0.75; high: the 1.3
    tf.dispose([old, a, m]);
  });

  it('RAFT++: while the policy has not moved its loss is RAFT\'s token-mean NLL, in value and gradient', () => {
    const model = tinyModel(3);
    const batch = makeBatch([{ tokens: [3, 4, 5, 6, 7], lossFrom: 2 }, { tokens: [8, 9, 10, 0], lossFrom: 1 }], model.config.blockSize, 0);
    const vars = model.trainableVariables();
    const old = tf.tidy(() => tokenLogProbs(model, batch, false)); // the sampling policy: these weights
    const raft = tf.variableGrads(() => tf.div(tf.sum(maskedNll(model, batch, true)), batch.tokens) as tf.Scalar, vars);
    const pp = tf.variableGrads(() => raftppLoss(tokenLogProbs(model, batch, true), old, batch.mask, clipRange(0.2, 0.28), batch.tokens), vars);
    expect(pp.value.dataSync()[0]).toBeCloseTo(raft.value.dataSync()[0]!, 6);
    for (const v of vars) {
      const [g1, g2] = [raft.grads[v.name]!.dataSync(), pp.grads[v.name]!.dataSync()];
      g1.forEach((g, i) => expect(g2[i]).toBeCloseTo(g, 6));
    }
    tf.dispose([old, raft.value, pp.value, ...Object.values(raft.grads), ...Object.values(pp.grads)]);
    disposeBatch(batch);
    model.dispose();
  });

  it('RAFT++: a token whose probability grew past 1 + epsilon_high stops pulling; inside, its pull is scaled by the ratio', () => {
    const old = tf.tensor1d([0, 0]);
    const m = tf.tensor1d([1, 1]);
    const { value, grad } = valueAndGrad((logp) => raftppLoss(logp, old, m, clipRange(0.2, 0), 2), [Math.log(1.5), Math.log(1.1)]);
    expect(grad[0]).toBe(0);
    expect(grad[1]).toBeCloseTo(-1.1 / 2, 6);
    expect(value).toBeCloseTo((1.1 * -Math.log(1.1)) / 2, 6); // the clipped token adds nothing
    tf.dispose([old, m]);
  });
});

describe('entropy and ties', () => {
  it('entropy of the sampling distribution: plain, tempered, top-k and top-p', () => {
    const logits = [Math.log(0.5), Math.log(0.25), Math.log(0.25)];
    expect(positionEntropy(logits, { temperature: 1, topK: 0, topP: 1 })).toBeCloseTo(1.5 * Math.log(2), 12);
    // temperature 2: q proportional to p^(1/2) = [0.7071, 0.5, 0.5]
    const w = [Math.SQRT1_2, 0.5, 0.5];
    const z = w.reduce((a, b) => a + b, 0);
    expect(positionEntropy(logits, { temperature: 2, topK: 0, topP: 1 })).toBeCloseTo(-w.reduce((h, x) => h + (x / z) * Math.log(x / z), 0), 12);
    // top-k 2 keeps 0.5 and the first 0.25: q = [2/3, 1/3]
    expect(positionEntropy(logits, { temperature: 1, topK: 2, topP: 1 })).toBeCloseTo(-((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3)), 12);
    // top-p 0.5 keeps the first token alone
    expect(positionEntropy(logits, { temperature: 1, topK: 0, topP: 0.5 })).toBe(0);
  });

  it('fracRewardZeroStd: the share of groups whose rewards all tie', () => {
    expect(fracZeroStd([[1, 1, 1], [0, 1, 0], [0, 0, 0], [0.3, 0.3]])).toBe(0.75);
    expect(fracZeroStd([[0.2, 0.3]])).toBe(0);
    expect(fracZeroStd([])).toBeNull();
  });
});

/** Every weight of the model (LoRA adapters included) as numbers. */
async function weights(e: RaftEngine): Promise<Float32Array[]> {
  const vars = [...e.model.params.values(), ...(e.model.lora?.variables() ?? [])];
  return Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
}

/** The toy task until `tie()`, then every sample's reward is 0.1 (whose mean over a group is not 0.1 in floating point). */
function switchable(): { task: Task; tie(): void } {
  let tied = false;
  return { task: { ...toyTask, reward: (p, c) => (tied ? { reward: 0.1 } : toyTask.reward(p, c)) }, tie: () => { tied = true; } };
}

const ZERO_SIGNAL: Array<[string, Partial<RunConfig>]> = [
  ['grpo (loss grpo)', { method: 'grpo' }],
  ['grpo (loss bnpo)', { method: 'grpo', lossType: 'bnpo' }],
  ['grpo (loss dr_grpo)', { method: 'grpo', lossType: 'dr_grpo' }],
  ['grpo (loss dapo, clip-higher)', { method: 'grpo', lossType: 'dapo', epsilonHigh: 0.28 }],
  ['grpo (filter groups)', { method: 'grpo', filterGroups: true, filterGroupsMaxDraws: 2 }],
  ['rloo', { method: 'rloo' }],
  ['online-dpo', { method: 'online-dpo' }],
  ['reinforce-rej', { method: 'reinforce-rej' }],
];

describe('a cycle whose rewards all tie leaves every weight bit-identical', () => {
  for (const [name, over] of ZERO_SIGNAL) {
    for (const lora of [0, 4]) {
      it(`${name}, lora ${lora}: constant reward with its default KL beta: weights bit-identical, KL 0, perplexity unchanged, no step`, async () => {
        const { task, tie } = switchable();
        tie();
        const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ ...over, lora }) });
        const r0 = await e.runCycle();
        const before = await weights(e);
        const rs = [await e.runCycle(), await e.runCycle()];
        expect(await weights(e)).toEqual(before);
        for (const r of rs) {
          expect(r.stats.klToRef).toBe(0);
          expect(r.stats.perplexity).toBe(r0.stats.perplexity);
          expect(r.stats.trainLoss).toBeNull();
          expect(r.stats.fracRewardZeroStd).toBe(1);
        }
        e.dispose();
      });
    }
  }

  for (const [name, over] of [['grpo (beta 0)', { method: 'grpo', grpoBeta: 0 }], ['grpo (beta 0, dapo)', { method: 'grpo', grpoBeta: 0, lossType: 'dapo' }], ['rloo (beta 0)', { method: 'rloo', rlooBeta: 0 }], ['reinforce-rej', { method: 'reinforce-rej' }]] as Array<[string, Partial<RunConfig>]>) {
    it(`${name}: after cycles that trained (Adam has moments), a tied cycle takes no step`, async () => {
      const { task, tie } = switchable();
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ ...over, seed: 7, samplesPerPrompt: 4 }) });
      await e.runCycle();
      const start = await weights(e);
      await e.runCycle();
      await e.runCycle();
      const trained = await weights(e);
      expect(trained).not.toEqual(start); // the signal cycles moved the weights (and left Adam with moments)
      tie();
      const r = await e.runCycle();
      expect(await weights(e)).toEqual(trained);
      expect(r.stats.trainLoss).toBeNull();
      e.dispose();
    });
  }
});

describe('group filtering (dynamic sampling)', () => {
  // prompts 4 and 5 have signal (their samples' rewards alternate 0, 1, 0, ...); prompts 0-3 always tie
  const signal = new Set(['big sea', 'tin can']);
  function alternating(): Task {
    const calls = new Map<string, number>();
    return {
      ...toyTask,
      reward: (p) => {
        if (!signal.has(p)) return { reward: 0.5 };
        const n = calls.get(p) ?? 0;
        calls.set(p, n + 1);
        return { reward: n % 2 };
      },
    };
  }

  for (const maxDraws of [0, 1, 8]) {
    it(`draws more prompts until promptsPerCycle have signal or ${maxDraws} extra draws are made, and counts every sample`, async () => {
      const config = tinyConfig({ method: 'grpo', filterGroups: true, filterGroupsMaxDraws: maxDraws, seed: 4, promptsPerCycle: 3, samplesPerPrompt: 3 });
      // what the rule says, from the run's own prompt order
      const order = new PromptOrder(toyTask.trainPrompts.length, config.seed, 'raft/prompts');
      let groups = 0;
      let drawn = 0;
      for (let d = 0; d <= maxDraws && groups < 3; d++) {
        const ps = [...new Set(order.next(3 - groups))];
        drawn += ps.length;
        groups += ps.filter((p) => signal.has(toyTask.trainPrompts[p]!)).length;
      }
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: alternating(), config });
      await e.runCycle();
      const r = await e.runCycle();
      expect(r.stats.budget!.samplesGenerated).toBe(drawn * 3);
      expect(r.samples.length).toBe(drawn * 3);
      expect(r.stats.keptCount).toBe(groups * 3);
      expect(r.samples.filter((s) => s.kept).every((s) => signal.has(s.prompt))).toBe(true);
      if (maxDraws === 8) expect(groups).toBe(3);
      expect(r.stats.fracRewardZeroStd).toBeCloseTo((drawn - groups) / drawn, 12);
      e.dispose();
    });
  }
});

describe('the cycle\'s sampling stats', () => {
  it('entropy of the sampling policy, ties and truncation: null at cycle 0; truncated = completions that used their whole budget', async () => {
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config: tinyConfig({ method: 'raftpp', maxNewTokens: 3 }) });
    const r0 = await e.runCycle();
    expect([r0.stats.entropy, r0.stats.fracRewardZeroStd, r0.stats.truncatedFraction, r0.stats.clipRatio]).toEqual([null, null, null, null]);
    const r = await e.runCycle();
    expect(r.stats.entropy).toBeGreaterThan(0);
    expect(r.stats.entropy).toBeLessThanOrEqual(Math.log(charTokenizer.vocabSize));
    // the char tokenizer writes one character per token: a truncated completion has exactly maxNewTokens characters
    expect(r.stats.truncatedFraction).toBeCloseTo(r.samples.filter((s) => s.completion.length === 3).length / r.samples.length, 12);
    expect(r.stats.clipRatio).toBeGreaterThanOrEqual(0); // RAFT++ clips: a share, not null
    expect(r.stats.clipLow).toBe(0); // advantage 1: only the high side can clip
    e.dispose();
  });

  it('the clip shares: numbers in [0, 1] (low + high = all) for the methods that clip, null for RAFT', async () => {
    for (const method of ['grpo', 'ppo', 'reinforce-rej', 'raft'] as const) {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config: tinyConfig({ method, seed: 7, samplesPerPrompt: 4, epochsPerCycle: 2 }) });
      await e.runCycle();
      const { clipRatio, clipLow, clipHigh } = (await e.runCycle()).stats;
      if (method === 'raft') expect([clipRatio, clipLow, clipHigh]).toEqual([null, null, null]);
      else {
        for (const x of [clipRatio, clipLow, clipHigh]) expect(x).toBeGreaterThanOrEqual(0);
        expect(clipRatio).toBeLessThanOrEqual(1);
        expect(clipLow! + clipHigh!).toBeCloseTo(clipRatio!, 12);
      }
      e.dispose();
    }
  });
});

describe('GRPO with every option resumes exactly', () => {
  it('dapo, clip-higher, masked truncation and group filtering: flat tensor counts; resumed through a checkpoint, the stats of an uninterrupted run', async () => {
    const untimed = ({ ms: _ms, verifyPerSec: _v, ...rest }: CycleStats) => rest;
    const config = tinyConfig({ method: 'grpo', seed: 5, samplesPerPrompt: 4, lossType: 'dapo', epsilonHigh: 0.28, maskTruncatedCompletions: true, filterGroups: true, filterGroupsMaxDraws: 2, epochsPerCycle: 2 });
    const make = () => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config });
    const whole = make();
    const all = [await whole.runCycle(), await whole.runCycle()];
    const count = tf.memory().numTensors;
    all.push(await whole.runCycle(), await whole.runCycle());
    expect(tf.memory().numTensors).toBe(count); // no tensor left behind by the draws, the entropy or the clip counts
    expect(all.slice(1).some((r) => r.stats.trainLoss !== null)).toBe(true);
    const first = make();
    await first.runCycle();
    await first.runCycle();
    const { state } = decodeCheckpoint(encodeCheckpoint(await first.exportState(), { config, baseModel: 'tiny' }));
    first.dispose();
    first.model.dispose();
    const resumed = make();
    resumed.restoreState(state);
    for (let c = 2; c <= 3; c++) {
      const r = await resumed.runCycle();
      expect(untimed(r.stats)).toEqual(untimed(all[c]!.stats));
      expect(r.samples).toEqual(all[c]!.samples);
    }
    for (const e of [whole, resumed]) {
      e.dispose();
      e.model.dispose();
    }
  });
});
