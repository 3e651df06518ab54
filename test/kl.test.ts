import { describe, expect, it } from 'vitest';
import { positionKl } from '../src/core/lm/kl';
import { RaftEngine } from '../src/core/raft/engine';
import { Rng } from '../src/core/rng';
import { charTokenizer, tinyConfig, tinyModel, toyTask } from './helpers';

const softmax = (xs: number[], t = 1) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp((x - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('KL of the sampling distributions', () => {
  it('equals the hand computation of KL(q || r) on the tempered distributions, and 0 for equal logits', () => {
    const pol = [1.0, 0.2, -0.5, 2.0];
    const ref = [0.5, 0.1, 0.3, 1.0];
    for (const t of [1, 0.7]) {
      const q = softmax(pol, t);
      const r = softmax(ref, t);
      const want = q.reduce((acc, qi, i) => acc + qi * Math.log(qi / r[i]!), 0);
      expect(positionKl(pol, ref, { temperature: t, topK: 0, topP: 1 })).toBeCloseTo(want, 12);
    }
    expect(positionKl(pol, pol, { temperature: 0.7, topK: 2, topP: 0.9 })).toBe(0);
  });

  it('with top-k the reference is renormalised over the policy support', () => {
    const pol = [1.0, 0.2, -0.5, 2.0];
    const ref = [0.5, 0.1, 3.0, 1.0];
    // top-2 of the policy: ids 3 and 0
    const q = softmax([pol[3]!, pol[0]!]);
    const r = softmax([ref[3]!, ref[0]!]);
    const want = q[0]! * Math.log(q[0]! / r[0]!) + q[1]! * Math.log(q[1]! / r[1]!);
    expect(positionKl(pol, ref, { temperature: 1, topK: 2, topP: 1 })).toBeCloseTo(want, 12);
  });

  it('is never negative', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const a = Array.from({ length: 12 }, () => rng.normal() * 3);
      const b = Array.from({ length: 12 }, () => rng.normal() * 3);
      const opts = { temperature: 0.3 + rng.float() * 1.5, topK: rng.int(6), topP: 0.5 + rng.float() * 0.5 };
      expect(positionKl(a, b, opts)).toBeGreaterThanOrEqual(0);
    }
  });

  it('a run with temperature 0.7 and top-k 5 reports KL >= 0 every cycle and exactly 0 at cycle 0 (full and LoRA)', async () => {
    for (const lora of [0, 4]) {
      const e = new RaftEngine({ model: tinyModel(2), tokenizer: charTokenizer, task: toyTask, config: tinyConfig({ temperature: 0.7, topK: 5, lora, lr: 0.05, loraLr: 0.05 }) });
      const kl: number[] = [];
      for (let c = 0; c < 4; c++) kl.push((await e.runCycle()).stats.klToRef!);
      expect(kl[0]).toBe(0);
      for (const k of kl) expect(k).toBeGreaterThanOrEqual(0);
      expect(kl[3]).toBeGreaterThan(0);
      e.dispose();
      e.model.dispose();
    }
  });
});
