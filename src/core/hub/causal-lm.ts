/**
 * A Hub checkpoint as a LanguageModel that trains, generates and scores like the embedded models: its `config.json`
 * names the architecture (models/registry.ts), whose folder reads the config and the tensors and builds the model.
 * An unsupported `model_type` is refused with the list of what is supported.
 */
import type { LanguageModel } from '../lm/language-model';
import type { HubTensors } from '../models/architecture';
import { architectureOfConfig } from '../models/registry';


export function languageModelFromHub(config: unknown, tensors: HubTensors): LanguageModel {
  const arch = architectureOfConfig(config);
  const c = arch.configFromHub(config);
  return arch.create(c, arch.weightsFromHub(tensors, c));
}
