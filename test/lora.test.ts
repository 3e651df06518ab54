import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/core/lm/adam';
import { disposeBatch, makeBatch, trainStep } from '../src/core/lm/train';
import { tinyModel } from './helpers';

const ids = () => tf.tensor2d([[0, 3, 4, 5, 6, 7]], [1, 6], 'int32');

async function logits(model: ReturnType<typeof tinyModel>): Promise<Float32Array> {
  const x = ids();
  const t = tf.tidy(() => model.forward(x));
  const d = (await t.data()) as Float32Array;
  tf.dispose([t, x]);
  return d;
}

describe('LoRA', () => {
  it('a freshly attached adapter leaves the outputs exactly unchanged', async () => {
    const model = tinyModel(5);
    const before = await logits(model);
    model.attachLora({ rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'up', 'down'] }, 1);
    const after = await logits(model);
    expect(after).toEqual(before);
    model.dispose();
  });

  it('training touches only the adapters; switched off they give the base model; merged they give the same outputs', async () => {
    const model = tinyModel(6);
    const base = await logits(model);
    const baseWeights = await model.exportWeights(false);
    const lora = model.attachLora({ rank: 2, alpha: 4, targets: ['q', 'v'] }, 1);
    expect(model.trainableVariables()).toHaveLength(2 * 2 * model.config.nLayer);
    const opt = new Adam();
    const batch = makeBatch([{ tokens: [0, 1, 2, 3, 4, 5, 6], lossFrom: 2 }], model.config.blockSize, 0);
    for (let i = 0; i < 3; i++) await trainStep(model, opt, batch, 1e-2, 1);
    const tuned = await logits(model);
    expect(tuned).not.toEqual(base);
    const afterWeights = await model.exportWeights(false);
    for (const [name, w] of baseWeights) expect(afterWeights.get(name)!.values).toEqual(w.values);
    lora.enabled = false;
    expect(await logits(model)).toEqual(base);
    lora.enabled = true;
    lora.mergeInto(model.params);
    const merged = await logits(model);
    for (let i = 0; i < merged.length; i++) expect(Math.abs(merged[i]! - tuned[i]!)).toBeLessThan(1e-4);
    disposeBatch(batch);
    opt.dispose();
    model.dispose();
  });
});
