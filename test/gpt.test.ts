import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Gpt, disposeCache, type GptConfig } from '../src/core/models/gpt2/model';

const cfg: GptConfig = { vocabSize: 40, blockSize: 24, nLayer: 2, nHead: 2, nEmbd: 16 };

async function fullLogits(model: Gpt, seq: number[]): Promise<Float32Array> {
  const t = tf.tidy(() => model.forward(tf.tensor2d([seq], [1, seq.length], 'int32')));
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

describe('GPT', () => {
  it('KV-cache logits equal full recomputation (1e-4), with left padding', async () => {
    const model = new Gpt(cfg, undefined, 7);
    // two rows of different prompt lengths; row 0 is left-padded by 2
    const prompts = [[3, 4, 5], [6, 7, 8, 9, 10]];
    const cont = [[11, 12, 13, 14], [15, 16, 17, 18]];
    const P = 5;
    const tMax = P + cont[0]!.length;
    const pad = prompts.map((p) => P - p.length);
    const ids: number[] = [];
    const pos: number[] = [];
    const mask = new Float32Array(2 * tMax);
    prompts.forEach((p, b) => {
      for (let j = 0; j < P; j++) {
        const real = j >= pad[b]!;
        ids.push(real ? p[j - pad[b]!]! : 0);
        pos.push(real ? j - pad[b]! : 0);
        mask[b * tMax + j] = real ? 1 : 0;
      }
    });
    const idsT = tf.tensor2d(ids, [2, P], 'int32');
    const posT = tf.tensor2d(pos, [2, P], 'int32');
    const pmask = tf.tensor2d([...mask.slice(0, P), ...mask.slice(tMax, tMax + P)], [2, P]);
    const { cache, logits } = model.prefill(idsT, posT, pmask, tMax);
    const stepLogits: Float32Array[] = [(await logits.data()) as Float32Array];
    logits.dispose();
    for (let s = 0; s < cont[0]!.length - 1; s++) {
      const t = P + s;
      mask[t] = 1;
      mask[tMax + t] = 1;
      const l = model.step(
        tf.tensor2d([cont[0]![s]!, cont[1]![s]!], [2, 1], 'int32'),
        tf.tensor2d([t - pad[0]!, t - pad[1]!], [2, 1], 'int32'),
        tf.tensor2d(mask, [2, tMax]),
        cache,
        t,
      );
      stepLogits.push((await l.data()) as Float32Array);
      l.dispose();
    }
    disposeCache(cache);
    tf.dispose([idsT, posT, pmask]);
    const V = cfg.vocabSize;
    for (let b = 0; b < 2; b++) {
      const seq = [...prompts[b]!, ...cont[b]!];
      const full = await fullLogits(model, seq);
      for (let s = 0; s < stepLogits.length; s++) {
        const at = prompts[b]!.length - 1 + s; // position whose logits predict the next token
        const a = full.subarray(at * V, (at + 1) * V);
        const c = stepLogits[s]!.subarray(b * V, (b + 1) * V);
        let maxDiff = 0;
        for (let i = 0; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - c[i]!));
        expect(maxDiff).toBeLessThan(1e-4);
      }
    }
    model.dispose();
  });

  it('one-hot embedding (training path) equals gather (inference path)', async () => {
    const model = new Gpt(cfg, undefined, 3);
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const a = tf.tidy(() => model.forward(ids, { differentiable: true }));
    const b = tf.tidy(() => model.forward(ids, { differentiable: false }));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
    expect((await diff.data())[0]).toBeLessThan(1e-6);
    tf.dispose([ids, a, b, diff]);
    model.dispose();
  });
});
