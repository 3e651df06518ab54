/**
 * The model architectures the lab loads, by `config.json`'s model_type: one row per folder of src/core/models/.
 * An unknown model_type is refused with the list of supported ones. Adding an architecture is its folder (an
 * `Architecture`, architecture.ts) plus one row here.
 */
import { HubModelError } from '../hub/errors';
import { layersOfTargets, type LoraLayer } from '../lm/lora-config';
import type { Architecture } from './architecture';
import { gpt2 } from './gpt2/index';
import { llama } from './llama/index';
import { qwen2 } from './qwen2/index';
import { qwen3 } from './qwen3/index';

const ARCHITECTURES: readonly Architecture<any>[] = [gpt2, llama, qwen2, qwen3]; // eslint-disable-line @typescript-eslint/no-explicit-any

export const HUB_MODEL_TYPES: readonly string[] = ARCHITECTURES.map((a) => a.modelType);

/** The architecture of a model_type, or a HubModelError that names it and lists the supported ones. */
export function architectureOf(modelType: unknown): Architecture<unknown> {
  const arch = ARCHITECTURES.find((a) => a.modelType === modelType);
  if (!arch) throw new HubModelError(`model_type ${JSON.stringify(String(modelType).slice(0, 40))} is not supported; supported: ${HUB_MODEL_TYPES.join(', ')}`);
  return arch;
}

/** The architecture a `config.json` names (see architectureOf). */
export function architectureOfConfig(config: unknown): Architecture<unknown> {
  return architectureOf((config as { model_type?: unknown } | null)?.model_type);
}

/** The layers a LoRA target list puts adapters on in a model of this model_type (lm/lora-config.ts). */
export function resolveLoraTargets(modelType: string, list: string): LoraLayer[] {
  return layersOfTargets(architectureOf(modelType).lora.targets, modelType, list);
}
