/**
 * A Hub checkpoint's architecture by its `config.json`: GPT-2 (the lab's GPT) or Llama (the lab's LlamaModel), built
 * from its tensors as a LanguageModel that trains, generates and scores like the embedded models. Any other
 * `model_type` is refused with the list of what is supported.
 */
import { Gpt } from '../lm/gpt';
import type { LanguageModel } from '../lm/language-model';
import { LlamaModel } from '../lm/llama';
import { gptConfigFromHub, gptWeightsFromHub, HubModelError } from './gpt2';
import { llamaConfigFromHub, llamaWeightsFromHub } from './llama';

export const HUB_MODEL_TYPES = ['gpt2', 'llama'] as const;

/** The architecture a `config.json` names, or a HubModelError that names it and lists the supported ones. */
export function hubModelType(config: unknown): (typeof HUB_MODEL_TYPES)[number] {
  const type = (config as { model_type?: unknown } | null)?.model_type;
  if (type === 'gpt2' || type === 'llama') return type;
  throw new HubModelError(`model_type ${JSON.stringify(String(type).slice(0, 40))} is not supported; supported: ${HUB_MODEL_TYPES.join(', ')}`);
}

export function languageModelFromHub(config: unknown, tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>): LanguageModel {
  if (hubModelType(config) === 'gpt2') {
    const c = gptConfigFromHub(config);
    return new Gpt(c, gptWeightsFromHub(tensors, c));
  }
  const c = llamaConfigFromHub(config);
  return new LlamaModel(c, llamaWeightsFromHub(tensors, c));
}
