import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/core/lm/generate';
import { sampleToken } from '../src/core/lm/sample';
import { Rng } from '../src/core/rng';
import { charTokenizer, tinyModel } from './helpers';

const opts = { maxNewTokens: 10, temperature: 1, topK: 0, topP: 1, eosId: 0 };
const prompts = ['the cat', 'a', 'my hat is'].map((p) => [0, ...charTokenizer.encode(p)]);

describe('sampling', () => {
  it('same seed gives the same samples; another seed gives others', async () => {
    const model = tinyModel(3);
    const a = await generate(model, prompts, opts, new Rng(42));
    const b = await generate(model, prompts, opts, new Rng(42));
    const c = await generate(model, prompts, opts, new Rng(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every((g) => g.tokens.length <= 10)).toBe(true);
    model.dispose();
  });

  it('a row generated in a padded batch equals the row generated alone', async () => {
    const model = tinyModel(4);
    const greedy = { ...opts, topK: 1 };
    const batch = await generate(model, prompts, greedy, new Rng(1));
    for (let i = 0; i < prompts.length; i++) {
      const alone = await generate(model, [prompts[i]!], greedy, new Rng(1));
      expect(alone[0]).toEqual(batch[i]);
    }
    model.dispose();
  });

  it('a prompt that leaves less room than maxNewTokens is kept whole; the new tokens get the rest of the window', async () => {
    const model = tinyModel(5);
    const long = [0, ...Array.from({ length: 28 }, (_, i) => 1 + (i % 5))]; // 29 of 32 positions
    const [g] = await generate(model, [long], { ...opts, topK: 1, maxNewTokens: 10, eosId: -1 }, new Rng(1));
    expect(g!.tokens.length).toBe(3);
    // the first new token is the greedy choice given the WHOLE prompt
    const logits = tf.tidy(() => model.forward(tf.tensor2d([long], [1, long.length], 'int32')).slice([long.length - 1, 0], [1, -1]).argMax(1));
    expect(g!.tokens[0]).toBe((await logits.data())[0]);
    logits.dispose();
    model.dispose();
  });

  it('top-k 1 and a tiny top-p both pick the most likely token; temperature sharpens', () => {
    const logits = [0.1, 2.0, 1.9, -1];
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      expect(sampleToken(logits, { temperature: 1, topK: 1, topP: 1 }, rng)).toBe(1);
      expect(sampleToken(logits, { temperature: 1, topK: 0, topP: 0.05 }, rng)).toBe(1);
    }
    // top-k 2 never samples outside the two best
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 2, topP: 1 }, rng));
    expect([...seen].sort()).toEqual([1, 2]);
    // a cold temperature picks the best far more often: p = 0.88 at 0.05 vs 0.42 at 1
    const count = (temperature: number) => {
      let n = 0;
      for (let i = 0; i < 1000; i++) n += sampleToken(logits, { temperature, topK: 0, topP: 1 }, rng) === 1 ? 1 : 0;
      return n;
    };
    expect(count(0.05)).toBeGreaterThan(820);
    expect(count(1)).toBeLessThan(500);
  });

  it('stops a row at end-of-sequence and does not include it (a model that says EOS after 3 tokens)', async () => {
    // a stand-in model whose logits make token 5 certain for the first 3 new tokens of row 0, then EOS (id 0);
    // row 1 never sees EOS and runs to its budget
    const V = charTokenizer.vocabSize;
    const blockSize = 32;
    let step = 0;
    const logitsFor = (B: number) => {
      const rows = Array.from({ length: B }, (_, b) => {
        const row = new Array<number>(V).fill(-50);
        row[b === 0 && step >= 3 ? 0 : 5] = 50;
        return row;
      });
      step++;
      return tf.tensor2d(rows, [B, V]);
    };
    const fake = {
      config: { ...tinyModel(1).config, blockSize },
      prefill: (ids: tf.Tensor2D, _p: tf.Tensor2D, _m: tf.Tensor2D, tMax: number) => ({ cache: { k: [], v: [], tMax }, logits: logitsFor(ids.shape[0]) }),
      step: (ids: tf.Tensor2D) => logitsFor(ids.shape[0]),
    } as unknown as Parameters<typeof generate>[0];
    const before = tf.memory().numTensors;
    const [a, b] = await generate(fake, [[0, 1, 2], [0, 3]], { ...opts, maxNewTokens: 8 }, new Rng(1));
    expect(a).toEqual({ tokens: [5, 5, 5], ended: true });
    expect(b).toEqual({ tokens: [5, 5, 5, 5, 5, 5, 5, 5], ended: false });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a row's token budget does not depend on its batch neighbours", async () => {
    const model = tinyModel(7);
    const long = [0, ...Array.from({ length: 28 }, (_, i) => 1 + (i % 5))]; // leaves 3 of 32 positions
    const short = [0, 3, 4];
    const greedy = { ...opts, topK: 1, maxNewTokens: 10, eosId: 0 }; // this model never picks EOS greedily here
    const together = await generate(model, [short, long, short], greedy, new Rng(1));
    expect(together.map((g) => g.tokens.length)).toEqual([10, 3, 10]);
    expect(together[0]).toEqual((await generate(model, [short], greedy, new Rng(1)))[0]);
    expect(together[1]).toEqual((await generate(model, [long], greedy, new Rng(1)))[0]);
    model.dispose();
  });
});
