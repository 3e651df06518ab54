import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/core/lm/adam';
import { accumulatedGrads, batchLoss, disposeBatch, layoutBatch, makeBatch, maskedNll, MICRO_BATCH_LOGITS, microBatchRows, trainStep, type Batch } from '../src/core/lm/train';
import { tinyModel } from './helpers';

describe('completion-only training', () => {
  it('the loss mask covers exactly the completion tokens', () => {
    // prompt = [0, 5, 6], completion = [7, 8, 0]; targets are tokens[1..]; target j+1 is a completion token iff j+1 >= 3
    const l = layoutBatch([{ tokens: [0, 5, 6, 7, 8, 0], lossFrom: 3 }], 32, 0);
    expect(l.T).toBe(16);
    expect([...l.ids.slice(0, 6)]).toEqual([0, 5, 6, 7, 8, 0]);
    expect([...l.targets.slice(0, 5)]).toEqual([5, 6, 7, 8, 0]);
    expect([...l.mask.slice(0, 8)]).toEqual([0, 0, 1, 1, 1, 0, 0, 0]);
    expect(l.tokens).toBe(3);
  });

  it('the loss equals the mean NLL of the completion tokens and ignores the prompt tokens', async () => {
    const model = tinyModel(2);
    const seq = { tokens: [0, 3, 4, 5, 9, 10, 11, 0], lossFrom: 4 };
    const batch = makeBatch([seq], model.config.blockSize, 0);
    const loss = tf.tidy(() => batchLoss(model, batch, false));
    // by hand: log-softmax of the full forward at each position, summed over targets 4..7
    const T = seq.tokens.length;
    const logits = tf.tidy(() => model.forward(tf.tensor2d([seq.tokens], [1, T], 'int32')));
    const logp = tf.tidy(() => tf.logSoftmax(logits, -1));
    const lp = (await logp.array()) as number[][];
    let nll = 0;
    for (let j = seq.lossFrom - 1; j < T - 1; j++) nll -= lp[j]![seq.tokens[j + 1]!]!;
    expect((await loss.data())[0]).toBeCloseTo(nll / (T - seq.lossFrom), 4);
    tf.dispose([loss, logits, logp]);
    disposeBatch(batch);
    model.dispose();
  });

  it('a training step lowers the loss on its batch, and no gradient flows from prompt targets', async () => {
    const model = tinyModel(3);
    const opt = new Adam();
    const batch = makeBatch([{ tokens: [0, 1, 2, 3, 4, 5, 6], lossFrom: 4 }], model.config.blockSize, 0);
    const first = await trainStep(model, opt, batch, 1e-2, 1);
    let last = first;
    for (let i = 0; i < 5; i++) last = await trainStep(model, opt, batch, 1e-2, 1);
    expect(last).toBeLessThan(first);
    // a batch whose completion is empty has zero loss and zero gradient
    const empty = makeBatch([{ tokens: [0, 1, 2, 3], lossFrom: 4 }], model.config.blockSize, 0);
    expect(empty.tokens).toBe(0);
    const grads = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => batchLoss(model, empty), model.trainableVariables());
      return tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g))));
    });
    expect((await grads.data())[0]).toBe(0);
    tf.dispose(grads);
    disposeBatch(batch);
    disposeBatch(empty);
    opt.dispose();
    model.dispose();
  });

  it('gradient clipping bounds the global norm of the update', async () => {
    const model = tinyModel(4);
    const opt = new Adam();
    const batch = makeBatch([{ tokens: [0, 7, 7, 7, 7, 7, 7, 7], lossFrom: 1 }], model.config.blockSize, 0);
    const vars = model.trainableVariables();
    const norm = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => batchLoss(model, batch), vars);
      return opt.apply(vars, grads, 0, 1e-3);
    });
    const raw = (await norm.data())[0]!;
    expect(raw).toBeGreaterThan(1e-2); // the norm is reported before clipping
    // the first moment after one step is (1 - beta1) * clipped gradient, so its global norm is 0.1 * 1e-3
    const { m } = await opt.exportState();
    let sq = 0;
    for (const a of m.values()) for (const x of a) sq += x * x;
    expect(Math.sqrt(sq)).toBeCloseTo(0.1 * 1e-3, 6);
    tf.dispose(norm);
    disposeBatch(batch);
    opt.dispose();
    model.dispose();
  });
});

describe('micro-batches', () => {
  it('a batch split into micro-batches has the loss and gradients of the whole batch; tensor counts flat', async () => {
    const seqs = [0, 1, 2, 3, 4].map((i) => ({ tokens: [0, 1 + i, 2, 3 + i, 4, 5, 6 + i], lossFrom: 2 + (i % 2) }));
    const model = tinyModel(9);
    const batch = makeBatch(seqs, model.config.blockSize, 0);
    const T = batch.ids.shape[1];
    // the embedded-size model never splits; a view of it with a vocabulary that asks for 2 rows at a time does
    expect(microBatchRows(T, model.config.vocabSize)).toBeGreaterThanOrEqual(5);
    const view = Object.create(model, { config: { value: { ...model.config, vocabSize: Math.floor(MICRO_BATCH_LOGITS / (2 * T)) } } }) as typeof model;
    expect(microBatchRows(T, view.config.vocabSize)).toBe(2);
    const before = tf.memory().numTensors;
    const loss = (part: Batch) => tf.div(tf.sum(maskedNll(model, part, true)), batch.tokens) as tf.Scalar;
    const split = accumulatedGrads(view, batch, loss);
    const whole = tf.variableGrads(() => loss(batch), model.trainableVariables());
    expect((await split.value.data())[0]).toBeCloseTo((await whole.value.data())[0]!, 5);
    for (const [name, g] of Object.entries(split.grads)) {
      const b = await whole.grads[name]!.data();
      (await g.data()).forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
    }
    tf.dispose([split.value, whole.value, ...Object.values(split.grads), ...Object.values(whole.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    model.dispose();
  });
});
