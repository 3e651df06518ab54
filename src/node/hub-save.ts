/**
 * Saving what a run trained for the Python ecosystem.
 * - `saveModelFolder`: the whole model in the Hub's layout (`config.json`, `generation_config.json`,
 *   `model.safetensors`, tokenizer files), which `transformers` (GPT2LMHeadModel / LlamaForCausalLM,
 *   AutoTokenizer) and `raftlab score --model DIR` open. LoRA adapters are merged into the weights first.
 * - `saveAdapterFolder`: the LoRA adapters in PEFT's format (core/hub/peft.ts), for `PeftModel.from_pretrained`.
 * - `loadAdapterFolder`: such a folder read back and applied to a model.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpt } from '../core/lm/gpt';
import type { LanguageModel } from '../core/lm/language-model';
import type { LlamaModel } from '../core/lm/llama';
import { gptToHub, HubModelError } from '../core/hub/gpt2';
import { llamaTensorsToHub } from '../core/hub/llama';
import { applyPeft, loraToPeft } from '../core/hub/peft';
import { readSafetensors, writeSafetensors } from '../core/hub/safetensors';
import { readJson } from './hub-folder';

/** Where a model's tokenizer and (Hub models) config come from: the embedded model's tokenizer.json, or the Hub folder. */
export interface ModelOrigin {
  /** The Hub folder the model was loaded from (its config.json and tokenizer files are kept); null = embedded. */
  folder: string | null;
  /** tokenizer.json of an embedded model. */
  tokenizerJson?: string;
  eosId: number;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

function copyTokenizer(dir: string, origin: ModelOrigin): void {
  if (origin.folder) {
    for (const f of TOKENIZER_FILES) if (existsSync(join(origin.folder, f))) copyFileSync(join(origin.folder, f), join(dir, f));
  } else {
    copyFileSync(origin.tokenizerJson!, join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'generation_config.json'), `${JSON.stringify({ bos_token_id: origin.eosId, eos_token_id: origin.eosId }, null, 2)}\n`);
  }
}

export async function saveModelFolder(dir: string, model: LanguageModel, origin: ModelOrigin, metadata: Record<string, string> = {}): Promise<void> {
  if (model.lora) model.lora.mergeInto(model.params);
  const weights = new Map([...(await model.exportWeights(false))].map(([name, w]) => [name, w.values]));
  let config: unknown;
  let tensors: Map<string, { shape: number[]; values: Float32Array }>;
  if (model.architecture === 'gpt2') {
    const out = gptToHub((model as Gpt).config, weights, origin.eosId);
    tensors = out.tensors;
    config = origin.folder ? readJson(origin.folder, 'config.json') : out.config;
  } else {
    if (!origin.folder) throw new HubModelError('a Llama model needs the folder it came from (its config.json)');
    tensors = llamaTensorsToHub((model as LlamaModel).config, weights);
    config = readJson(origin.folder, 'config.json');
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { metadata }));
  copyTokenizer(dir, origin);
}

/** The adapters as `adapter_config.json` + `adapter_model.safetensors` (and the tokenizer files) of base `base`. */
export async function saveAdapterFolder(dir: string, model: LanguageModel, base: string, revision: string | null, origin: ModelOrigin, metadata: Record<string, string> = {}): Promise<void> {
  const { config, tensors } = await loraToPeft(model, base, revision);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'adapter_model.safetensors'), writeSafetensors(tensors, { metadata: { format: 'pt', ...metadata } }));
  copyTokenizer(dir, origin);
}

/** Read a PEFT adapter folder and attach it to the model (replacing its adapters). */
export function loadAdapterFolder(dir: string, model: LanguageModel): { config: Record<string, unknown> } {
  const config = readJson(dir, 'adapter_config.json');
  if (!config || typeof config !== 'object') throw new HubModelError(`${dir}/adapter_config.json is not a JSON object`);
  const file = join(dir, 'adapter_model.safetensors');
  if (!existsSync(file)) throw new HubModelError(`${dir} has no adapter_model.safetensors`);
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(file)), file);
  applyPeft(model, { config: config as Record<string, unknown>, tensors });
  return { config: config as Record<string, unknown> };
}
