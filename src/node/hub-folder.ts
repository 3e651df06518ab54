/**
 * A model folder in the Hugging Face Hub's layout on disk (what `huggingface-cli download` or a saved run writes):
 * `config.json`, `model.safetensors` or `model.safetensors.index.json` with its shards, and `tokenizer.json`. Every
 * file is checked (core/hub/safetensors.ts); a missing or broken one is named in the error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hubModelType, languageModelFromHub } from '../core/hub/causal-lm';
import type { LanguageModel } from '../core/lm/language-model';
import { HubModelError } from '../core/hub/gpt2';
import { readSafetensors, readShardIndex } from '../core/hub/safetensors';
import { hubTokenizer, type HubTokenizer } from '../core/tokenizer/hub-tokenizer';

/** A JSON file of a model folder; a missing or broken one is named. */
export function readJson(dir: string, file: string): unknown {
  const path = join(dir, file);
  if (!existsSync(path)) throw new HubModelError(`${dir} has no ${file} (not a model folder in the Hub's layout?)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HubModelError(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** Every tensor of the folder's checkpoint, single-file or sharded. */
export function readFolderTensors(dir: string): Map<string, { shape: number[]; values: Float32Array }> {
  if (existsSync(join(dir, 'model.safetensors'))) {
    return readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), join(dir, 'model.safetensors')).tensors;
  }
  if (!existsSync(join(dir, 'model.safetensors.index.json'))) throw new HubModelError(`${dir} has neither model.safetensors nor model.safetensors.index.json`);
  const { weightMap, shards } = readShardIndex(readJson(dir, 'model.safetensors.index.json'));
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const shard of shards) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new HubModelError(`${dir}: the index names ${shard}, which is missing`);
    for (const [name, t] of readSafetensors(new Uint8Array(readFileSync(path)), path).tensors) {
      if (weightMap.get(name) === shard) out.set(name, t);
    }
  }
  for (const name of weightMap.keys()) if (!out.has(name)) throw new HubModelError(`${dir}: tensor ${name} is not in its shard ${weightMap.get(name)}`);
  return out;
}

/**
 * The model, tokenizer and config.json of a folder. `tokenizer_config.json` is optional (GPT-2 folders often have
 * none); without it the end-of-sequence token is config.json's `eos_token_id`.
 */
export async function loadHubFolder(dir: string): Promise<{ model: LanguageModel; tokenizer: HubTokenizer; config: unknown }> {
  const config = readJson(dir, 'config.json');
  hubModelType(config); // an unsupported architecture is named before anything else is read
  const tokenizer = hubTokenizer(readJson(dir, 'tokenizer.json'), existsSync(join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {}, config);
  const model = languageModelFromHub(config, readFolderTensors(dir));
  return { model, tokenizer, config };
}
