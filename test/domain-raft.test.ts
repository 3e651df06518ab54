// Domain-RAFT (src/core/raft/methods/domain-raft.ts, src/core/lm/distill.ts): rewriting and filtering keep only
// rewrites that agree with the reference; the teacher sees the hint and the student never does; the top-K
// distillation loss against a hand computation (and its gradient against finite differences), 0 when the student is
// the teacher; the EMA balance's formula; resume equal to an uninterrupted run; flat tensor counts.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/core/config/schema';
import { topKDistillLoss, topKTarget, denseTargets } from '../src/core/lm/distill';
import type { LanguageModel } from '../src/core/lm/language-model';
import { RaftEngine } from '../src/core/raft/engine';
import { balanceWeight, emaStep } from '../src/core/raft/methods/domain-raft';
import type { CycleStats } from '../src/core/raft/stats';
import { decodeCheckpoint, encodeCheckpoint } from '../src/core/store/checkpoint';
import type { Task } from '../src/core/tasks/types';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

// the hint is the reference's first word and a full stop before the prompt; a completion agrees when it holds that word
const firstWord = (ref: string) => ref.trim().split(' ')[0]!;
const hinted: Task = {
  ...toyTask,
  demonstrations: [{ prompt: 'the cat', completion: ' sat on a mat' }, { prompt: 'a dog', completion: ' ran far' }, { prompt: 'so far', completion: ' a sea' }],
  referenceHint: {
    hint: (prompt, ref) => `${firstWord(ref)}.${prompt}`,
    agrees: (_prompt, completion, ref) => completion.includes(firstWord(ref)),
  },
};
const untimed = ({ ms: _ms, verifyPerSec: _v, ...rest }: CycleStats) => rest;
const config = (over: Partial<RunConfig> = {}) => tinyConfig({ method: 'domain-raft', seed: 4, maxNewTokens: 6, temperature: 1.5, ...over });

describe('top-K temperature distillation loss', () => {
  const teacher = [2, 1, 0, -1, 0.5];
  const student = [0, 0.3, 1, 3, -2];

  it('equals a hand computation on a small distribution', () => {
    const tau = 2;
    // teacher's top 2: ids 0 and 1 (logits 2, 1); at tau 2: softmax(1, 0.5) over them
    const t = topKTarget(teacher, 2, tau);
    expect(t.ids).toEqual([0, 1]);
    const p0 = Math.exp(1) / (Math.exp(1) + Math.exp(0.5));
    expect(t.probs[0]).toBeCloseTo(p0, 6);
    // student over the same ids at tau 2: softmax(0, 0.15)
    const q0 = 1 / (1 + Math.exp(0.15));
    const hand = tau * tau * (p0 * Math.log(p0 / q0) + (1 - p0) * Math.log((1 - p0) / (1 - q0)));
    const d = denseTargets([t], 5);
    const loss = tf.tidy(() => topKDistillLoss(tf.tensor2d([student]), tf.tensor2d(d.probs, [1, 5]), tf.tensor2d(d.support, [1, 5]), tf.tensor1d(d.negEntropy), tf.tensor1d([1]), tau).dataSync()[0]!);
    expect(loss).toBeCloseTo(hand, 5);
    expect(hand).toBeGreaterThan(0.01);
  });

  it('is 0 when the student equals the teacher (any K, any temperature, and a shifted copy), positive otherwise', () => {
    for (const [k, tau] of [[2, 1], [3, 0.5], [0, 2]] as const) {
      const d = denseTargets([topKTarget(teacher, k, tau)], 5);
      const at = (logits: number[]) => tf.tidy(() => topKDistillLoss(tf.tensor2d([logits]), tf.tensor2d(d.probs, [1, 5]), tf.tensor2d(d.support, [1, 5]), tf.tensor1d(d.negEntropy), tf.tensor1d([1]), tau).dataSync()[0]!);
      expect(Math.abs(at(teacher))).toBeLessThan(1e-6);
      expect(Math.abs(at(teacher.map((x) => x + 3)))).toBeLessThan(1e-5);
      expect(at(student)).toBeGreaterThan(1e-3);
    }
  });

  it('its gradient matches finite differences (the hand-written gradient is right)', () => {
    const tau = 1.5;
    const d = denseTargets([topKTarget(teacher, 3, tau), null], 5);
    const rows = [student, [1, -1, 0.5, 0, 2]];
    const f = (x: tf.Tensor2D) => topKDistillLoss(x, tf.tensor2d(d.probs, [2, 5]), tf.tensor2d(d.support, [2, 5]), tf.tensor1d(d.negEntropy), tf.tensor1d([0.7, 0]), tau);
    const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => f(x as tf.Tensor2D))(tf.tensor2d(rows)).arraySync() as number[][]);
    const eps = 1e-2;
    for (let r = 0; r < 2; r++) {
      for (let v = 0; v < 5; v++) {
        const plus = rows.map((row, i) => row.map((x, j) => (i === r && j === v ? x + eps : x)));
        const minus = rows.map((row, i) => row.map((x, j) => (i === r && j === v ? x - eps : x)));
        const num = tf.tidy(() => (f(tf.tensor2d(plus)).dataSync()[0]! - f(tf.tensor2d(minus)).dataSync()[0]!) / (2 * eps));
        expect(grad[r]![v]!).toBeCloseTo(num, 3);
      }
    }
    // a row without a target (weight 0) gets no gradient
    expect(grad[1]!.every((g) => g === 0)).toBe(true);
  });
});

describe('the EMA balance', () => {
  it('follows m <- d m + (1 - d) L (the first value starts it) and a = m_kd / (m_sft + m_kd)', () => {
    expect(emaStep(null, 2, 0.9)).toBe(2);
    expect(emaStep(2, 1, 0.9)).toBeCloseTo(1.9, 12);
    expect(emaStep(2, 1, 0)).toBe(1);
    expect(balanceWeight(null, null, 'ema')).toBe(0.5);
    expect(balanceWeight(1, 3, 'ema')).toBe(0.75); // the smaller loss gets the larger weight: a * 1 = (1 - a) * 3
    expect(balanceWeight(1, 3, 'fixed')).toBe(0.5);
  });

  it('the engine\'s EMAs after a cycle are those of its steps\' losses', async () => {
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: hinted, config: config({ batchSize: 8, drEmaDecay: 0.5 }) });
    await e.runCycle();
    const r = await e.runCycle();
    const { methodState } = await e.exportState();
    // one step (3 demos in one batch): both averages are that step's losses, and the reported loss is their 1/2 mix
    expect(methodState!.emaSft).toBeGreaterThan(0);
    expect(methodState!.emaKd).toBeGreaterThan(0);
    expect(r.stats.trainLoss).toBeCloseTo(0.5 * methodState!.emaSft! + 0.5 * methodState!.emaKd!, 4);
    const r2 = await e.runCycle();
    // the next step is weighted by the averages: a = m_kd / (m_sft + m_kd)
    const a = methodState!.emaKd! / (methodState!.emaSft! + methodState!.emaKd!);
    const after = (await e.exportState()).methodState!;
    const sft2 = (after.emaSft! - 0.5 * methodState!.emaSft!) / 0.5;
    const kd2 = (after.emaKd! - 0.5 * methodState!.emaKd!) / 0.5;
    expect(r2.stats.trainLoss).toBeCloseTo(a * sft2 + (1 - a) * kd2, 4);
    e.dispose();
    e.model.dispose();
  });
});

describe('domain-RAFT in the engine', () => {
  it('trains on a rewrite only when it agrees with the reference (filter on); unfiltered, on every rewrite', async () => {
    for (const drFilter of [true, false]) {
      const e = new RaftEngine({ model: tinyModel(2), tokenizer: charTokenizer, task: hinted, config: config({ drFilter, drDistill: false }) });
      await e.runCycle();
      let agreeing = 0;
      let rewrites = 0;
      for (let c = 0; c < 4; c++) {
        const r = await e.runCycle();
        for (const s of r.samples) {
          rewrites++;
          const agrees = s.breakdown!.agrees === true;
          if (agrees) agreeing++;
          // the rewriter saw the hint; the record says what was trained on
          expect(s.prompt).toContain('.');
          expect(s.kept).toBe(drFilter ? agrees : true);
          expect(s.breakdown!.trainedOn).toBe(s.kept ? 'rewrite' : 'reference');
          expect(agrees).toBe(s.completion.includes(firstWord(String(s.breakdown!.reference))));
        }
        expect(r.stats.keptCount).toBe(r.samples.filter((s) => s.kept).length);
      }
      expect(rewrites).toBe(12);
      // the tiny model at temperature 1.5 writes some agreeing and some other rewrites
      if (drFilter) expect(agreeing).toBeGreaterThan(0);
      e.dispose();
      e.model.dispose();
    }
  });

  it('rewriting off: every SFT target is the reference (no rewrites generated)', async () => {
    const e = new RaftEngine({ model: tinyModel(2), tokenizer: charTokenizer, task: hinted, config: config({ drRewrite: false, drDistill: false }) });
    await e.runCycle();
    const r = await e.runCycle();
    expect(r.samples).toEqual([]);
    expect(r.stats.budget!.samplesGenerated).toBe(0);
    expect(r.stats.trainLoss).toBeGreaterThan(0);
    e.dispose();
    e.model.dispose();
  });

  it('the teacher (the frozen base model) sees the hint; the student (the trained model) never does', async () => {
    const model = tinyModel(3) as LanguageModel;
    const seen = { teacher: [] as string[], student: [] as string[] };
    const spy = (m: LanguageModel, into: string[], onlyTraining: boolean) => {
      const forward = m.forward.bind(m);
      m.forward = (ids, opts) => {
        if (!onlyTraining || opts?.differentiable) into.push(...(ids.arraySync() as number[][]).map((row) => charTokenizer.decode(row)));
        return forward(ids, opts);
      };
    };
    const copy = model.frozenCopy.bind(model);
    model.frozenCopy = () => {
      const ref = copy();
      spy(ref, seen.teacher, false);
      return ref;
    };
    spy(model, seen.student, true);
    const e = new RaftEngine({ model, tokenizer: charTokenizer, task: hinted, config: config({ drRewrite: false }) });
    await e.runCycle();
    seen.teacher.length = 0; // cycle 0's evaluation (KL) runs the reference on plain eval samples
    await e.runCycle();
    // the teacher's targets: every demonstration's hinted prompt
    for (const d of hinted.demonstrations!) expect(seen.teacher.some((row) => row.startsWith(`${firstWord(d.completion)}.${d.prompt}`))).toBe(true);
    // the student trained on its own samples of the plain prompts and the references: no hint in any training row
    expect(seen.student.length).toBeGreaterThan(0);
    const hints = hinted.demonstrations!.map((d) => `${firstWord(d.completion)}.${d.prompt}`);
    expect(seen.student.some((row) => hints.some((h) => row.startsWith(h)))).toBe(false);
    expect(seen.student.every((row) => hinted.demonstrations!.some((d) => row.startsWith(d.prompt)))).toBe(true);
    e.dispose();
    model.dispose();
  });

  it('a task without a reference hint is refused with a clear message', async () => {
    const e = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: { ...hinted, referenceHint: undefined }, config: config() });
    await e.runCycle();
    await expect(e.runCycle()).rejects.toThrow(/hint/);
    e.dispose();
    e.model.dispose();
  });

  for (const lora of [0, 4]) {
    it(`lora ${lora}: tensor counts stay flat, and a resumed run gives the stats and samples of an uninterrupted one`, async () => {
      const c = config({ lora });
      const make = () => new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task: hinted, config: c });
      const whole = make();
      const all = [await whole.runCycle(), await whole.runCycle()];
      const count = tf.memory().numTensors;
      all.push(await whole.runCycle(), await whole.runCycle());
      expect(tf.memory().numTensors).toBe(count);
      expect(all.slice(1).every((r) => Number.isFinite(r.stats.trainLoss))).toBe(true);
      // a rewrite and a student sample per demonstration
      expect(all.slice(1).map((r) => r.stats.budget!.samplesGenerated)).toEqual([6, 6, 6]);

      const first = make();
      await first.runCycle();
      await first.runCycle();
      const { state } = decodeCheckpoint(encodeCheckpoint(await first.exportState(), { config: c, baseModel: 'tiny' }));
      expect(Object.keys(state.methodState!).sort()).toEqual(['emaKd', 'emaSft']);
      first.dispose();
      first.model.dispose();
      const resumed = make();
      resumed.restoreState(state);
      for (let k = 2; k <= 3; k++) {
        const r = await resumed.runCycle();
        expect(untimed(r.stats)).toEqual(untimed(all[k]!.stats));
        expect(r.samples).toEqual(all[k]!.samples);
      }
      for (const e of [whole, resumed]) {
        e.dispose();
        e.model.dispose();
      }
    });
  }
});
