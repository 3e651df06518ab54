// Methods as plug-ins (src/core/raft/methods/, the cycle in src/core/raft/cycle.ts): seeded runs of raft, uft, sft and
// best-of-K, and of the image task's RAFT, give their pinned stats and samples (test/fixtures/methods-before-plugins.json
// and image-raft-before-plugins.json, written by the engines before methods became plug-ins and kept since: every
// later change to the engine, its modules and the log-prob helpers must leave them equal; fields added to the stats
// since are left out of the comparison); GRPO, RLOO and online DPO: their advantages, pairs and losses against hand
// computations, no update at all when a group's rewards are equal (beta 0); PPO, GRPO, RLOO, online DPO, RAFT++ and
// Reinforce-Rej: flat tensor counts, resume equal to an uninterrupted run, and the same sample budget as RAFT.
// (The reasoning-era methods and GRPO's options: test/reasoning-methods.test.ts.)
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, METHODS, type RunConfig } from '../src/core/config/schema';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import { UNet, type UNetConfig } from '../src/core/diffusion/unet';
import { NUM_CLASSES } from '../src/core/diffusion/dataset';
import { Rng } from '../src/core/rng';
import { RaftEngine } from '../src/core/raft/engine';
import { decodeCheckpoint, encodeCheckpoint } from '../src/core/store/checkpoint';
import { dpoLoss, dpoPair, grpoAdvantages, grpoLoss, rlooAdvantages } from '../src/core/raft/policy-losses';
import { adaptiveKlCoef, gae, ppoLoss } from '../src/core/raft/methods/ppo';
import type { CycleStats } from '../src/core/raft/stats';
import type { Task } from '../src/core/tasks/types';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

const withDemos: Task = { ...toyTask, demonstrations: [{ prompt: 'the cat', completion: ' sat on a mat' }, { prompt: 'a dog', completion: ' ran far' }, { prompt: 'so far', completion: ' a sea' }] };
const untimed = ({ ms: _ms, verifyPerSec: _v, ...rest }: CycleStats) => rest;
/** The stats the pinned runs recorded: without the fields added since (entropy, ties, truncation, clip shares). */
const pinned = ({ entropy: _e, fracRewardZeroStd: _z, truncatedFraction: _t, clipRatio: _c, clipLow: _l, clipHigh: _h, ...rest }: CycleStats) => untimed(rest as CycleStats);

describe('seeded runs of raft, uft, sft and best-of-K give their pinned stats and samples', () => {
  const golden = JSON.parse(readFileSync('test/fixtures/methods-before-plugins.json', 'utf8')) as Record<string, unknown[]>;
  for (const method of ['raft', 'uft', 'sft', 'best-of-k'] as const) {
    for (const lora of [0, 4]) {
      it(`${method}, lora ${lora}: the pinned stats and samples of its seeded run`, async () => {
        const e = new RaftEngine({ model: tinyModel(2), tokenizer: charTokenizer, task: withDemos, config: tinyConfig({ method, lora, seed: 5 }) });
        const got = [];
        for (let c = 0; c <= 3; c++) {
          const r = await e.runCycle();
          got.push({ ...pinned(r.stats), samples: r.samples, evalSamples: r.evalSamples });
        }
        e.dispose();
        expect(JSON.parse(JSON.stringify(got))).toEqual(golden[`${method}/lora${lora}`]);
      });
    }
  }
});

describe('a seeded image RAFT run gives its pinned stats and samples', () => {
  it('shapes RAFT: the pinned stats and samples (first pixels) of its seeded run', async () => {
    const golden = JSON.parse(readFileSync('test/fixtures/image-raft-before-plugins.json', 'utf8')) as unknown[];
    const TINY: UNetConfig = { size: 16, channels: [8, 8], embDim: 16, timeDim: 8, groups: 4, numClasses: NUM_CLASSES };
    const model = new UNet(TINY, undefined, 1);
    const rng = new Rng(5);
    for (const v of model.variables()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => 0.05 * rng.normal()), v.shape))));
    const config = { ...defaultConfig(), task: 'shapes' as const, seed: 3, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 2, evalSamplesPerPrompt: 2, epochsPerCycle: 1, batchSize: 4, lora: 2, loraLr: 1e-2, ddimSteps: 2, noiseDraws: 1 };
    const engine = new DiffusionRaftEngine({ model, config, heldOutImages: 4 });
    const got = [];
    for (let c = 0; c < 3; c++) {
      const r = await engine.runCycle();
      const { ms: _ms, ...stats } = r.stats;
      const first = (list: typeof r.samples) => list.map((x) => ({ ...x, pixels: Array.from(x.pixels.slice(0, 12)) }));
      got.push({ stats, samples: first(r.samples), evalSamples: first(r.evalSamples) });
    }
    engine.dispose();
    model.dispose();
    expect(JSON.parse(JSON.stringify(got))).toEqual(golden);
  });
});

describe('advantages, pairs and losses', () => {
  it('GRPO: group-normalised advantages (unbiased std), batch and none; equal rewards give zero', () => {
    const [g] = grpoAdvantages([[1, 0, 0, 1]], 'group');
    const s = Math.sqrt(1 / 3); // unbiased std of 1, 0, 0, 1
    g!.forEach((a, i) => expect(a).toBeCloseTo(((i === 0 || i === 3 ? 1 : 0) - 0.5) / (s + 1e-4), 10));
    expect(grpoAdvantages([[0.3, 0.3, 0.3]], 'group')[0]).toEqual([0, 0, 0]);
    expect(grpoAdvantages([[1, 0], [0.5, 0.5]], 'none')).toEqual([[0.5, -0.5], [0, 0]]);
    const batch = grpoAdvantages([[1, 0], [0.5, 0.5]], 'batch');
    const bs = Math.sqrt(((0.5 ** 2) * 2) / 3); // unbiased std of 1, 0, 0.5, 0.5
    expect(batch[0]![0]).toBeCloseTo(0.5 / (bs + 1e-4), 10);
  });

  it('RLOO: the leave-one-out baseline, with the KL taken off the reward', () => {
    expect(rlooAdvantages([1, 0, 0.5], [0, 0, 0], 0)).toEqual([1 - 0.25, 0 - 0.75, 0.5 - 0.5]);
    const a = rlooAdvantages([1, 1], [2, 0], 0.1); // r' = 0.8, 1
    expect(a[0]).toBeCloseTo(-0.2, 12);
    expect(a[1]).toBeCloseTo(0.2, 12);
    for (const a of rlooAdvantages([0.4, 0.4, 0.4], [0, 0, 0], 0)) expect(Math.abs(a)).toBeLessThan(1e-15);
  });

  it('online DPO: the pair is the best and the worst of a prompt; ties are skipped; log 2 when the policy is the reference', () => {
    expect(dpoPair([0.2, 0.9, 0.1, 0.5])).toEqual([1, 2]);
    expect(dpoPair([0.5, 0.5, 0.5])).toBeNull();
    const loss = tf.tidy(() => dpoLoss(tf.tensor1d([-3, -7]), tf.tensor1d([-5, -2]), tf.tensor1d([-3, -7]), tf.tensor1d([-5, -2]), 0.1).dataSync()[0]!);
    expect(loss).toBeCloseTo(Math.log(2), 6);
    // by hand: margin (0 - (-1)) - (0 - 0) = 1, beta 0.5: softplus(-0.5)
    const hand = tf.tidy(() => dpoLoss(tf.tensor1d([0]), tf.tensor1d([-1]), tf.tensor1d([-1]), tf.tensor1d([-1]), 0.5).dataSync()[0]!);
    expect(hand).toBeCloseTo(Math.log(1 + Math.exp(-0.5)), 6);
  });

  it('GRPO loss: the clipped objective per token, averaged per sequence; zero gradient outside the clip range on the favoured side', () => {
    // one sequence of 2 tokens: ratio 1.5 with A = +1 is clipped at 1.2 (no gradient), ratio 0.5 with A = +1 is not
    const old = tf.tensor1d([0, 0]);
    const adv = tf.tensor1d([1, 1]);
    const mask = tf.tensor1d([1, 1]);
    const f = (logp: tf.Tensor1D) => grpoLoss(logp, old, null, adv, mask, 1, 2, { low: 0.2, high: 0.2 }, 0, { type: 'grpo', rows: 1, divisor: 0 });
    const x = tf.tensor1d([Math.log(1.5), Math.log(0.5)]);
    const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => f(t as tf.Tensor1D))([x]);
    expect(value.dataSync()[0]).toBeCloseTo(-(1.2 + 0.5) / 2, 6);
    const g = grads[0]!.dataSync();
    expect(g[0]).toBe(0); // past 1 + epsilon with a positive advantage: clipped
    expect(g[1]).toBeCloseTo(-0.5 / 2, 6); // d/dlogp of -ratio * A / 2 = -ratio / 2
    tf.dispose([old, adv, mask, x, value, ...grads]);
  });
});

describe('PPO', () => {
  it('GAE on a hand-computed example', () => {
    // rewards [0, 0, 1], values [0.5, 0.6, 0.7], gamma 0.9, lambda 0.8
    const { advantages, returns } = gae([0, 0, 1], [0.5, 0.6, 0.7], 0.9, 0.8);
    const d2 = 1 - 0.7; // no value after the last token
    const d1 = 0 + 0.9 * 0.7 - 0.6;
    const d0 = 0 + 0.9 * 0.6 - 0.5;
    const a2 = d2;
    const a1 = d1 + 0.72 * a2;
    const a0 = d0 + 0.72 * a1;
    [a0, a1, a2].forEach((a, i) => expect(advantages[i]).toBeCloseTo(a, 12));
    [a0 + 0.5, a1 + 0.6, a2 + 0.7].forEach((r, i) => expect(returns[i]).toBeCloseTo(r, 12));
  });

  it('the adaptive KL coefficient moves toward its target, by at most 20% of nSteps / horizon', () => {
    expect(adaptiveKlCoef(0.2, 12, 6, 10_000, 100)).toBeCloseTo(0.2 * (1 + 0.2 * 100 / 10_000), 12); // KL too high: up
    expect(adaptiveKlCoef(0.2, 3, 6, 10_000, 100)).toBeCloseTo(0.2 * (1 - 0.2 * 100 / 10_000), 12); // too low: down
    expect(adaptiveKlCoef(0.2, 6.6, 6, 1000, 100)).toBeCloseTo(0.2 * (1 + 0.1 * 0.1), 12);
    expect(adaptiveKlCoef(0.2, 6, 6, 1000, 100)).toBe(0.2);
  });

  it('the clipped objective has no gradient for a token past the clip range on the side its advantage favours', () => {
    const old = tf.tensor1d([0, 0, 0, 0]);
    const adv = tf.tensor1d([1, 1, -1, -1]);
    const zeros = tf.tensor1d([0, 0, 0, 0]);
    const mask = tf.tensor1d([1, 1, 1, 1]);
    // ratios 1.5 (A > 0: past 1.2, clipped), 1.1 (inside), 0.5 (A < 0: past 0.8, clipped), 0.9 (inside)
    const x = tf.tensor1d([Math.log(1.5), Math.log(1.1), Math.log(0.5), Math.log(0.9)]);
    const { grads } = tf.valueAndGrads((t: tf.Tensor) => ppoLoss(t as tf.Tensor1D, old, adv, zeros, zeros, zeros, mask, 4, 0.2, 0.2, 0))([x]);
    const g = grads[0]!.dataSync();
    expect(g[0]).toBe(0);
    expect(g[2]).toBe(0);
    expect(g[1]).toBeCloseTo(-1.1 / 4, 6);
    expect(g[3]).toBeCloseTo(0.9 / 4, 6);
    tf.dispose([old, adv, zeros, mask, x, ...grads]);
  });

  it('the value loss is clipped: 0.5 max((v - R)^2, (clip(v, v_old +- c) - R)^2)', () => {
    const one = tf.tensor1d([1]);
    const z = tf.tensor1d([0]);
    // v = 1, v_old = 0, c = 0.2, R = 1: unclipped error 0, clipped (0.2 - 1)^2 = 0.64: the max is kept
    const loss = tf.tidy(() => ppoLoss(z, z, z, one, z, one, one, 1, 0.2, 0.2, 1).dataSync()[0]!);
    expect(loss).toBeCloseTo(0.5 * 0.64, 6);
    tf.dispose([one, z]);
  });
});

/** A task whose reward is the same for every sample: every group's advantage is 0. */
const flat: Task = { ...toyTask, reward: () => ({ reward: 0.5 }) };

async function weights(e: RaftEngine): Promise<Float32Array[]> {
  return Promise.all([...e.model.params.values()].map(async (v) => (await v.data()) as Float32Array));
}

describe('PPO, GRPO, RLOO and online DPO in the engine', () => {
  for (const method of ['grpo', 'rloo'] as const) {
    it(`${method}: equal rewards in every group and beta 0 leave the weights exactly as they were`, async () => {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: flat, config: tinyConfig({ method, grpoBeta: 0, rlooBeta: 0 }) });
      await e.runCycle();
      const before = await weights(e);
      const r = await e.runCycle();
      expect(r.stats.trainLoss).toBeNull(); // no step at all on a batch without signal
      expect(await weights(e)).toEqual(before);
      e.dispose();
    });
  }

  for (const lora of [0, 4]) {
    it(`rloo (lora ${lora}): equal rewards with its default KL penalty (beta 0.05) leave the weights bit-identical, KL 0`, async () => {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: flat, config: tinyConfig({ method: 'rloo', lora }) });
      expect(e.config.rlooBeta).toBeGreaterThan(0);
      await e.runCycle();
      const before = await weights(e);
      const adapters = async () => Promise.all((e.model.lora?.variables() ?? []).map(async (v) => (await v.data()) as Float32Array));
      const lora0 = await adapters();
      const r1 = await e.runCycle();
      const r2 = await e.runCycle();
      expect(await weights(e)).toEqual(before);
      expect(await adapters()).toEqual(lora0);
      expect([r1.stats.klToRef, r2.stats.klToRef]).toEqual([0, 0]);
      e.dispose();
    });
  }

  it('rloo passes over a cycle\'s samples rlooEpochs times (1 by default, TRL\'s num_iterations), not epochsPerCycle', async () => {
    const backward = async (over: Partial<RunConfig>) => {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config: tinyConfig({ method: 'rloo', rlooBeta: 0, epochsPerCycle: 3, ...over }) });
      await e.runCycle();
      const r = await e.runCycle();
      e.dispose();
      return { examples: r.stats.budget!.backwardExamples, generated: r.stats.budget!.samplesGenerated };
    };
    const one = await backward({});
    const two = await backward({ rlooEpochs: 2 });
    expect(one.examples).toBeGreaterThan(0);
    expect(one.examples).toBeLessThanOrEqual(one.generated); // one pass at most: batches without signal are skipped
    expect(two.examples).toBe(2 * one.examples);
  });

  it('online DPO: no pair when a prompt\'s samples tie, so nothing is trained', async () => {
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: flat, config: tinyConfig({ method: 'online-dpo' }) });
    await e.runCycle();
    const r = await e.runCycle();
    expect(r.stats.keptCount).toBe(0);
    expect(r.stats.trainLoss).toBeNull();
    e.dispose();
  });

  for (const method of ['ppo', 'grpo', 'rloo', 'online-dpo', 'raftpp', 'reinforce-rej'] as const) {
    for (const lora of [0, 4]) {
      it(`${method} (lora ${lora}): trains, keeps tensor counts flat, and resumes to the stats of an uninterrupted run`, async () => {
        const config: RunConfig = tinyConfig({ method, lora, seed: 7, samplesPerPrompt: 4 });
        const make = () => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: toyTask, config });
        const whole = make();
        const all = [await whole.runCycle(), await whole.runCycle()];
        const count = tf.memory().numTensors;
        all.push(await whole.runCycle(), await whole.runCycle());
        expect(tf.memory().numTensors).toBe(count);
        // (online DPO skips a cycle whose prompts all tie)
        expect(all.slice(1).some((r) => r.stats.trainLoss !== null && Number.isFinite(r.stats.trainLoss))).toBe(true);
        expect(all.slice(1).map((r) => r.stats.budget!.samplesGenerated)).toEqual([12, 12, 12]);

        const first = make();
        await first.runCycle();
        await first.runCycle();
        // through the checkpoint's encoding, as a saved run resumes (PPO: its value head and KL coefficient too)
        const { state } = decodeCheckpoint(encodeCheckpoint(await first.exportState(), { config, baseModel: 'tiny' }));
        if (method === 'ppo') {
          expect([...state.weights.keys()].filter((k) => k.startsWith('method.'))).toEqual(['method.value.w', 'method.value.b']);
          expect(state.methodState!.klCoef).toBeGreaterThan(0);
        }
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
    }
  }

  it('every sampling method spends the same sample budget per cycle', async () => {
    const budgets: Record<string, number[]> = {};
    for (const method of METHODS.filter((m) => m !== 'sft' && m !== 'best-of-k' && m !== 'domain-raft')) {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: withDemos, config: tinyConfig({ method, seed: 3 }) });
      const got = [];
      for (let c = 0; c <= 2; c++) got.push((await e.runCycle()).stats.budget!.samplesGenerated);
      budgets[method] = got;
      e.dispose();
    }
    for (const b of Object.values(budgets)) expect(b).toEqual([0, 9, 9]);
  });
});
