import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RaftEngine, RewardFailureError } from '../src/core/raft/engine';
import { passRateSe } from '../src/core/raft/scoring';
import type { RewardResult, Task } from '../src/core/tasks/types';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

function engine(over = {}, seed = 1) {
  return new RaftEngine({ model: tinyModel(seed), tokenizer: charTokenizer, task: toyTask, config: tinyConfig(over) });
}

describe('RAFT engine', () => {
  it('cycle 0 evaluates the base model; later cycles generate, select, train and evaluate', async () => {
    const e = engine({ samplesPerPrompt: 4, select: 'per-prompt', keepPerPrompt: 1 });
    const c0 = await e.runCycle();
    expect(c0.stats.cycle).toBe(0);
    expect(c0.samples).toHaveLength(0);
    expect(c0.stats.trainLoss).toBeNull();
    expect(c0.evalSamples).toHaveLength(4);
    const c1 = await e.runCycle();
    expect(c1.stats.cycle).toBe(1);
    expect(c1.samples).toHaveLength(3 * 4);
    expect(c1.stats.keptCount).toBe(3);
    expect(c1.samples.filter((s) => s.kept)).toHaveLength(3);
    // per prompt, the kept sample has the prompt's best reward
    for (const p of new Set(c1.samples.map((s) => s.promptIndex))) {
      const group = c1.samples.filter((s) => s.promptIndex === p);
      expect(group.find((s) => s.kept)!.reward).toBe(Math.max(...group.map((s) => s.reward)));
    }
    for (const k of ['rewardMean', 'rewardMeanKept', 'rewardMax', 'keptFraction', 'evalReward', 'perplexity', 'distinct2', 'meanLength', 'trainLoss', 'lr'] as const) {
      expect(Number.isFinite(c1.stats[k])).toBe(true);
    }
    expect(c1.stats.keptFraction).toBeCloseTo(0.25);
    expect(c0.stats.klToRef).toBe(0);
    expect(c1.stats.klToRef).toBeGreaterThan(0);
    expect(c1.stats.evalPassRate).toBeNull();
    expect(c1.stats).not.toHaveProperty('evalPassRateSe'); // no pass notion: no field (pinned runs stay equal)
    expect(c1.stats.verifyPerSec).toBeNull(); // no rewardMany: no verification throughput
    e.dispose();
    e.model.dispose();
  });

  it('tensor counts stay flat across three cycles (full and LoRA)', async () => {
    for (const lora of [0, 4]) {
      const e = engine({ lora, select: 'global', keepTopPercent: 50 });
      await e.runCycle(); // cycle 0
      await e.runCycle(); // cycle 1 creates the optimizer's moments
      const after1 = tf.memory().numTensors;
      await e.runCycle();
      await e.runCycle();
      await e.runCycle();
      expect(tf.memory().numTensors).toBe(after1);
      e.dispose();
      e.model.dispose();
    }
  });

  it('the same seed gives the same run; another seed gives another', async () => {
    const run = async (seed: number) => {
      const e = engine({ seed }, 1);
      const out = [];
      for (let c = 0; c < 3; c++) {
        const r = await e.runCycle();
        out.push({ samples: r.samples.map((s) => [s.completion, s.reward, s.kept]), eval: r.stats.evalReward, ppl: r.stats.perplexity, loss: r.stats.trainLoss });
      }
      e.dispose();
      e.model.dispose();
      return out;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('a task with a pass threshold reports the pass rate and its standard error over the eval samples', async () => {
    const task: Task = { ...toyTask, passThreshold: 0.5 };
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ evalSamplesPerPrompt: 3 }) });
    for (let c = 0; c < 2; c++) {
      const r = await e.runCycle();
      const passed = r.evalSamples.filter((s) => s.reward >= 0.5).length;
      expect(r.stats.evalPassRate).toBe(passed / r.evalSamples.length);
      expect(r.stats.evalPassRateSe).toBe(passRateSe(task, r.evalSamples));
      expect(Number.isFinite(r.stats.evalPassRateSe)).toBe(true);
    }
    e.dispose();
    e.model.dispose();
  });

  it('a task with rewardMany is scored in chunks, with the same rewards, and reports verification throughput', async () => {
    const calls: number[] = [];
    const batched: Task = {
      ...toyTask,
      rewardMany: async (items) => {
        calls.push(items.length);
        // a verifier takes time: at least 20 ms on the engine's clock (a timer alone may fire a little early)
        const until = performance.now() + 20;
        while (performance.now() < until) await new Promise((r) => setTimeout(r, Math.max(1, until - performance.now())));
        return items.map((it) => toyTask.reward(it.prompt, it.completion) as RewardResult);
      },
    };
    const plain = engine({ samplesPerPrompt: 4 });
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: batched, config: tinyConfig({ samplesPerPrompt: 4 }) });
    for (let c = 0; c < 2; c++) {
      const [a, b] = [await plain.runCycle(), await e.runCycle()];
      expect(b.samples.map((s) => s.reward)).toEqual(a.samples.map((s) => s.reward));
      expect(b.stats.evalReward).toBe(a.stats.evalReward);
      // cycle 0 scores the 4 eval samples, cycle 1 also the 12 training samples, in 20+ ms per call
      expect(b.stats.verifyPerSec).toBeGreaterThan(0);
      expect(b.stats.verifyPerSec!).toBeLessThan((c === 0 ? 4 : 12) / 0.02 + 1e-9);
    }
    expect(calls).toEqual([4, 12, 4]);
    for (const x of [plain, e]) {
      x.dispose();
      x.model.dispose();
    }
  });

  it('early stop ends the run after `patience` cycles without a rise of more than minDelta over the best', async () => {
    // a reward the test controls: every sample of a cycle scores `level`
    let level = 0.5;
    const task: Task = { ...toyTask, reward: () => ({ reward: level }) };
    const run = async (over: object, levels: number[]) => {
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ earlyStop: true, ...over }) });
      const seen: number[] = [];
      for (const l of levels) {
        level = l;
        await e.runCycle();
        seen.push(e.history.at(-1)!.evalReward);
        if (e.stopped) break;
      }
      e.dispose();
      e.model.dispose();
      return seen;
    };
    // patience 1: the first cycle that does not beat the best stops the run
    expect(await run({ patience: 1 }, [0.5, 0.6, 0.55, 0.9])).toEqual([0.5, 0.6, 0.55]);
    // patience 2: one bad cycle is forgiven, two in a row are not
    expect(await run({ patience: 2 }, [0.5, 0.6, 0.55, 0.7, 0.65, 0.6, 0.9])).toEqual([0.5, 0.6, 0.55, 0.7, 0.65, 0.6]);
    // minDelta 0.05: rises of 0.01 do not count as improvements
    expect(await run({ patience: 2, minDelta: 0.05 }, [0.5, 0.51, 0.52, 0.9])).toEqual([0.5, 0.51, 0.52]);
    // without early stop nothing stops
    expect(await run({ earlyStop: false }, [0.5, 0.4, 0.3, 0.2])).toEqual([0.5, 0.4, 0.3, 0.2]);
  });

  it('reward errors are counted per cycle with the first message, and the run goes on', async () => {
    let calls = 0;
    const task: Task = {
      ...toyTask,
      reward: (p, c) => {
        calls++;
        if (calls % 3 === 0) throw new Error(`bad sample ${calls}`);
        return toyTask.reward(p, c);
      },
    };
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ samplesPerPrompt: 4 }) });
    const c0 = await e.runCycle(); // 4 eval samples: call 3 throws
    expect(c0.stats.rewardErrors).toBe(1);
    expect(c0.stats.rewardError).toBe('bad sample 3');
    const c1 = await e.runCycle(); // 12 training + 4 eval samples: calls 5..20, every third throws
    expect(c1.stats.rewardErrors).toBe(5);
    expect(c1.stats.rewardError).toBe('bad sample 6');
    const failed = c1.samples.filter((s) => s.breakdown?.rewardError);
    expect(failed.length).toBe(4);
    for (const s of failed) {
      expect(s.reward).toBe(0);
      expect(String(s.breakdown!.error)).toMatch(/^bad sample \d+$/);
    }
    e.dispose();
    e.model.dispose();
  });

  it('a cycle where most rewards fail stops with a RewardFailureError; non-numbers and values outside [0, 1] are errors', async () => {
    for (const bad of [Number.NaN, 7, -1, 'high' as unknown as number]) {
      const task: Task = { ...toyTask, reward: () => ({ reward: bad }) };
      const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig() });
      const err = await e.runCycle().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(RewardFailureError);
      expect((err as RewardFailureError).failed).toBe(4);
      expect((err as Error).message).toMatch(/the reward failed for 4 of 4 samples .*can resume/);
      expect(e.cycle).toBe(0); // the cycle was not recorded
      e.dispose();
      e.model.dispose();
    }
    // a batched reward that throws fails its whole chunk of rewardChunk samples
    const task: Task = { ...toyTask, rewardMany: async (items) => { if (items.length > 2) throw new Error('pool died'); return items.map(() => ({ reward: 1 })); } };
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ rewardChunk: 2 }) });
    const c0 = await e.runCycle();
    expect(c0.stats.rewardErrors).toBe(0);
    e.dispose();
    e.model.dispose();
    const e2 = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ rewardChunk: 4 }) });
    await expect(e2.runCycle()).rejects.toThrow(/pool died/);
    e2.dispose();
    e2.model.dispose();
  });

  it('the reward-failure limit is a setting: at 1 a cycle whose rewards all fail is recorded with its errors counted', async () => {
    const task: Task = { ...toyTask, reward: () => ({ reward: Number.NaN }) };
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ rewardFailureLimit: 1 }) });
    const c0 = await e.runCycle();
    expect(c0.stats.rewardErrors).toBe(4);
    expect(e.cycle).toBe(1);
    e.dispose();
    e.model.dispose();
  });

  it('each cycle records what its training spent: samples and tokens generated, reward calls, backward tokens and rows', async () => {
    const e = engine({ samplesPerPrompt: 4, select: 'per-prompt', keepPerPrompt: 1, epochsPerCycle: 2 });
    const c0 = await e.runCycle();
    expect(c0.stats.budget).toEqual({ samplesGenerated: 0, tokensGenerated: 0, rewardCalls: 0, backwardTokens: 0, backwardExamples: 0 });
    const c1 = await e.runCycle();
    const kept = c1.samples.filter((s) => s.kept);
    const b = c1.stats.budget!;
    expect(b.samplesGenerated).toBe(12);
    expect(b.rewardCalls).toBe(12);
    // every sample's completion tokens, plus an end-of-sequence token where it ended (its text is one char a token)
    const ended = (s: { completion: string }) => s.completion.length < 8;
    expect(b.tokensGenerated).toBe(c1.samples.reduce((n, s) => n + s.completion.length + (ended(s) ? 1 : 0), 0));
    // 2 epochs over the 3 kept sequences: BOS + prompt + completion (+ EOS), each as inputs of length - 1
    const seqLen = (s: { prompt: string; completion: string }) => 1 + s.prompt.length + s.completion.length + (ended(s) ? 1 : 0);
    expect(b.backwardExamples).toBe(2 * kept.length);
    expect(b.backwardTokens).toBe(2 * kept.reduce((n, s) => n + seqLen(s) - 1, 0));
    e.dispose();
    e.model.dispose();
    // SFT generates nothing; best-of-K spends nothing on training
    const withDemos: Task = { ...toyTask, demonstrations: [{ prompt: 'the cat', completion: ' a a a' }, { prompt: 'a dog', completion: ' aaa.' }] };
    const sft = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: withDemos, config: tinyConfig({ method: 'sft' }) });
    await sft.runCycle();
    const s1 = (await sft.runCycle()).stats.budget!;
    expect(s1.samplesGenerated).toBe(0);
    expect(s1.backwardExamples).toBe(3);
    sft.dispose();
    sft.model.dispose();
    const bok = engine({ method: 'best-of-k' });
    await bok.runCycle();
    expect((await bok.runCycle()).stats.budget).toEqual({ samplesGenerated: 0, tokensGenerated: 0, rewardCalls: 0, backwardTokens: 0, backwardExamples: 0 });
    bok.dispose();
    bok.model.dispose();
  });

  it('token changes: equal under the model and the base before training, apart after; they sum to the sequence log-prob', async () => {
    const { sequenceLogProbs } = await import('../src/core/lm/logprobs');
    const e = engine({ lora: 4, select: 'global', keepTopPercent: 50 });
    await e.runCycle();
    const before = await e.tokenChanges('the cat', 'a mat');
    expect(before.map((t) => t.text).join('')).toBe('a mat');
    for (const t of before) expect(t.now).toBe(t.base);
    await e.runCycle();
    const after = await e.tokenChanges('the cat', 'a mat');
    expect(after.some((t) => Math.abs(t.now - t.base) > 1e-6)).toBe(true);
    const seq = [0, ...charTokenizer.encode('the cat'), ...charTokenizer.encode('a mat')];
    const [whole] = await sequenceLogProbs(e.model, [{ tokens: seq, lossFrom: 1 + 'the cat'.length }], 0);
    expect(after.reduce((n, t) => n + t.now, 0)).toBeCloseTo(whole!, 4);
    e.dispose();
    e.model.dispose();
  });
});
