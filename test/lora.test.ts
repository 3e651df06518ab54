import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/core/lm/adam';
import { disposeBatch, makeBatch, trainStep } from '../src/core/lm/train';
import { tinyModel } from './helpers';
import { crossEntropy, mm, mmFrozen, oneHotF } from '../src/core/lm/variables';
import { gelu, geluPlain } from '../src/core/models/gpt2/model';

const ids = () => tf.tensor2d([[0, 3, 4, 5, 6, 7]], [1, 6], 'int32');

async function logits(model: ReturnType<typeof tinyModel>): Promise<Float32Array> {
  const x = ids();
  const t = tf.tidy(() => model.forward(x));
  const d = (await t.data()) as Float32Array;
  tf.dispose([t, x]);
  return d;
}

describe('ops with written-out gradients', () => {
  const close = async (a: tf.Tensor, b: tf.Tensor, tol: number) => {
    const [x, y] = [await a.data(), await b.data()];
    x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThan(tol));
  };

  it('GELU and cross-entropy match the plain TF.js forms in value and gradient', async () => {
    const x = tf.randomNormal([6, 5], 0, 2, 'float32', 3) as tf.Tensor2D;
    await close(gelu(x), geluPlain(x), 1e-6);
    const gx = [gelu, geluPlain].map((f) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D), tf.range(0, 30).reshape([6, 5]))))(x));
    await close(gx[0]!, gx[1]!, 1e-5);
    const targets = tf.tensor1d([0, 4, 2, 2, 1, 3], 'int32');
    const plain = (z: tf.Tensor2D) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(z, -1), oneHotF(targets, 5)), -1));
    await close(crossEntropy(x, targets), plain(x), 1e-5);
    const w = tf.tensor1d([1, 2, 3, 0, 1, 5]);
    const gz = [(z: tf.Tensor2D) => crossEntropy(z, targets), plain].map((f) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D), w)))(x));
    await close(gz[0]!, gz[1]!, 1e-5);
    tf.dispose([x, targets, w, ...gx, ...gz]);
  });
});

describe('LoRA', () => {
  it('a frozen-weight matMul has the gradient of the plain one for its input, and none for the weight', async () => {
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([4, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const [gPlain, gFrozen] = [mm, (a: tf.Tensor2D) => mmFrozen(a, w)].map((f) => tf.grad((a: tf.Tensor) => tf.sum(tf.square(f(a as tf.Tensor2D, w))))(x));
    expect(await gFrozen!.data()).toEqual(await gPlain!.data());
    tf.dispose([x, w, gPlain!, gFrozen!]);
  });

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
