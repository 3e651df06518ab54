/**
 * The GPT-2 architecture (`model_type: gpt2`; also the lab's embedded GPT): config.ts reads `config.json`, hub.ts
 * maps the weights in and out of the Hub's layout, lora.ts names its LoRA targets and PEFT modules, model.ts is the
 * TF.js forward pass.
 */
import type { Architecture } from '../architecture';
import { gptConfigFromHub, paramSpecs, type GptConfig } from './config';
import { gptToHub, gptWeightsFromHub } from './hub';
import { gpt2Lora } from './lora';
import { Gpt } from './model';

export const gpt2: Architecture<GptConfig> = {
  modelType: 'gpt2',
  configFromHub: gptConfigFromHub,
  weightsFromHub: gptWeightsFromHub,
  toHub(config, weights, hubConfig, eosId) {
    const out = gptToHub(config, weights, eosId);
    return { config: hubConfig ?? out.config, tensors: out.tensors };
  },
  dims(c) {
    const C = c.nEmbd;
    return {
      vocabSize: c.vocabSize, hidden: C, layers: c.nLayer, positions: c.blockSize, inner: 4 * C,
      params: paramSpecs(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0),
      loraLayers: [['q', C, C], ['k', C, C], ['v', C, C], ['o', C, C], ['up', C, 4 * C], ['down', 4 * C, C], ['qkv', C, 3 * C]],
    };
  },
  lora: gpt2Lora,
  create: (config, weights) => new Gpt(config, weights),
};
