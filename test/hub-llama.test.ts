import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlamaModel } from '../src/core/models/llama/model';
import { HubModelError } from '../src/core/hub/errors';
import { llamaConfigFromHub, llamaWeightsFromHub } from '../src/core/models/llama/hub';
import { readSafetensors } from '../src/core/hub/safetensors';
import { goldenCases, goldenDiff } from './hub-golden';

const DIR = join(import.meta.dirname, 'fixtures', 'hf-tiny', 'llama');
const json = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Record<string, unknown>;

describe('Llama from a Hugging Face checkpoint (RMSNorm, rotary, grouped-query attention, SwiGLU)', () => {
  it('matches the golden log-probs of an independent implementation to 1e-4 (tensor counts flat)', async () => {
    const before = tf.memory().numTensors;
    const config = llamaConfigFromHub(json('config.json'));
    expect(config).toMatchObject({ nHead: 4, nKvHead: 2, nEmbd: 64, nInner: 96, tiedHead: true });
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
    const model = new LlamaModel(config, llamaWeightsFromHub(tensors, config));
    const golden = { cases: goldenCases('llama') };
    const worst = await goldenDiff(model, config.vocabSize, golden.cases);
    model.dispose();
    console.info(`Llama fixture: largest difference from golden.json ${worst.toExponential(2)} over ${golden.cases.length} sequences`);
    expect(worst).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses what it does not compute and checkpoints that do not match their config', () => {
    const base = json('config.json');
    expect(() => llamaConfigFromHub({ ...base, attention_bias: true })).toThrow(/biases/);
    expect(() => llamaConfigFromHub({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling/);
    const config = llamaConfigFromHub(base);
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
    const wrong = new Map(tensors);
    wrong.set('model.layers.0.self_attn.k_proj.weight', { shape: [64, 64], values: new Float32Array(64 * 64) }); // no GQA
    expect(() => llamaWeightsFromHub(wrong, config)).toThrow(/k_proj\.weight has shape \[64, 64\], config\.json implies \[32, 64\]/);
    const untied = llamaConfigFromHub({ ...base, tie_word_embeddings: false });
    expect(() => llamaWeightsFromHub(tensors, untied)).toThrow(HubModelError);
  });
});
