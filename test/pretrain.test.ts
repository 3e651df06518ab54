import { describe, expect, it } from 'vitest';
import { pretrain, pretrainLr } from '../src/core/lm/pretrain';
import { totalNll } from '../src/core/lm/train';
import { charTokenizer, tinyModel, toyTask } from './helpers';

const docs = [...toyTask.heldOutText, ...toyTask.trainPrompts].map((t) => ({ tokens: [0, ...charTokenizer.encode(t), 0], lossFrom: 1 }));
const opts = { steps: 12, batchSize: 3, lr: 1e-2, warmup: 3, seed: 5, padId: 0 };

describe('pre-training', () => {
  it('is reproducible: the same seed gives bit-identical weights', async () => {
    const run = async () => {
      const m = tinyModel(1);
      await pretrain(m, docs, opts);
      const w = await m.exportWeights();
      m.dispose();
      return w;
    };
    const a = await run();
    const b = await run();
    for (const [name, t] of a) expect(b.get(name)!.values).toEqual(t.values);
  });

  it('lowers the loss, and the schedule warms up then decays to a tenth', async () => {
    const m = tinyModel(2);
    const before = await totalNll(m, docs, 0);
    let calls = 0;
    await pretrain(m, docs, { ...opts, steps: 40, logEvery: 10, onLog: () => void calls++ });
    const after = await totalNll(m, docs, 0);
    expect(calls).toBe(4);
    expect(after.nll / after.tokens).toBeLessThan((0.8 * before.nll) / before.tokens);
    m.dispose();
    expect(pretrainLr(0, opts)).toBeCloseTo(opts.lr / 3);
    expect(pretrainLr(2, opts)).toBeCloseTo(opts.lr);
    expect(pretrainLr(opts.steps, opts)).toBeCloseTo(opts.lr * 0.1);
  });
});
