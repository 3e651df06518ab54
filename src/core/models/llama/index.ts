/**
 * The Llama architecture (`model_type: llama`: SmolLM2, TinyLlama-shaped models): config.ts is its settings and
 * weight shapes, hub.ts reads `config.json` and maps the weights in and out of the Hub's layout, lora.ts names its
 * LoRA targets and PEFT modules, model.ts is the TF.js forward pass. `llamaFamily` builds the row of a family that
 * is Llama with a switch or two (qwen2/, qwen3/).
 */
import { HubModelError } from '../../hub/errors';
import type { Architecture } from '../architecture';
import { llamaParamShapes, type LlamaConfig } from './config';
import { llamaFamilyConfigFromHub, llamaTensorsToHub, llamaWeightsFromHub, type LlamaVariant } from './hub';
import { llamaLora } from './lora';
import { LlamaModel } from './model';

/** The registry row of a Llama-family architecture. */
export function llamaFamily(label: string, variant: LlamaVariant): Architecture<LlamaConfig> {
  return {
    modelType: variant.modelType,
    configFromHub: (raw) => llamaFamilyConfigFromHub(raw, variant),
    weightsFromHub: llamaWeightsFromHub,
    toHub(config, weights, hubConfig) {
      if (!hubConfig) throw new HubModelError(`a ${label} model needs the config.json it came with`);
      return { config: hubConfig, tensors: llamaTensorsToHub(config, weights) };
    },
    dims(c) {
      const C = c.nEmbd;
      const D = c.headDim;
      return {
        vocabSize: c.vocabSize, hidden: C, layers: c.nLayer, positions: c.blockSize, inner: c.nInner,
        params: llamaParamShapes(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0),
        loraLayers: [['q', C, c.nHead * D], ['k', C, c.nKvHead * D], ['v', C, c.nKvHead * D], ['o', c.nHead * D, C], ['gate', C, c.nInner], ['up', C, c.nInner], ['down', c.nInner, C]],
      };
    },
    lora: llamaLora,
    create: (config, weights) => new LlamaModel(config, weights, variant.modelType),
  };
}

export const llama = llamaFamily('Llama', { modelType: 'llama', qkvBias: false, qkNorm: false });
