// The largest difference of a model's log-probs from a fixture's golden.json (test/fixtures/hf-tiny/<arch>/).
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HF_TINY = join(import.meta.dirname, 'fixtures', 'hf-tiny');

export interface GoldenCase {
  ids: number[];
  logprobs: number[];
}

export function goldenCases(arch: 'gpt2' | 'llama' | 'qwen2' | 'qwen3'): GoldenCase[] {
  return (JSON.parse(readFileSync(join(HF_TINY, arch, 'golden.json'), 'utf8')) as { cases: GoldenCase[] }).cases;
}

/** max over cases and positions of |log p_model(ids[t] | ids[:t]) - golden|; leaves no tensor behind. */
export async function goldenDiff(model: { forward(ids: tf.Tensor2D): tf.Tensor2D }, vocabSize: number, cases: readonly GoldenCase[]): Promise<number> {
  let worst = 0;
  for (const c of cases) {
    const lp = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([c.ids], [1, c.ids.length], 'int32')), -1));
    const data = (await lp.data()) as Float32Array;
    lp.dispose();
    c.logprobs.forEach((want, t) => (worst = Math.max(worst, Math.abs(data[t * vocabSize + c.ids[t + 1]!]! - want))));
  }
  return worst;
}
