/** The architectures the lab loads from the Hub, by `config.json`'s model_type (free of TF.js). */
import { HubModelError } from './gpt2';

export const HUB_MODEL_TYPES = ['gpt2', 'llama'] as const;

/** The architecture a `config.json` names, or a HubModelError that names it and lists the supported ones. */
export function hubModelType(config: unknown): (typeof HUB_MODEL_TYPES)[number] {
  const type = (config as { model_type?: unknown } | null)?.model_type;
  if (type === 'gpt2' || type === 'llama') return type;
  throw new HubModelError(`model_type ${JSON.stringify(String(type).slice(0, 40))} is not supported; supported: ${HUB_MODEL_TYPES.join(', ')}`);
}

