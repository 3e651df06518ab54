/**
 * A Hub checkpoint's architecture by its `config.json`: GPT-2 (the lab's GPT) or Llama (the lab's LlamaModel), built
 * from its tensors as a LanguageModel that trains, generates and scores like the embedded models. Any other
 * `model_type` is refused with the list of what is supported.
 */
import { Gpt } from '../lm/gpt';
import type { LanguageModel } from '../lm/language-model';
import { LlamaModel } from '../lm/llama';
import { gptConfigFromHub, gptWeightsFromHub } from './gpt2';
import { llamaConfigFromHub, llamaWeightsFromHub } from './llama';
import { hubModelType } from './model-type';

export { HUB_MODEL_TYPES, hubModelType } from './model-type';

export function languageModelFromHub(config: unknown, tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>): LanguageModel {
  if (hubModelType(config) === 'gpt2') {
    const c = gptConfigFromHub(config);
    return new Gpt(c, gptWeightsFromHub(tensors, c));
  }
  const c = llamaConfigFromHub(config);
  return new LlamaModel(c, llamaWeightsFromHub(tensors, c));
}
