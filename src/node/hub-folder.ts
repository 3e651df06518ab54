/**
 * A model folder in the Hugging Face Hub's layout on disk (what `huggingface-cli download` or a saved run writes):
 * `config.json`, `model.safetensors` or `model.safetensors.index.json` with its shards, and `tokenizer.json`. Every
 * file is checked (core/hub/safetensors.ts); a missing or broken one is named in the error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { languageModelFromHub } from '../core/hub/causal-lm';
import { architectureOfConfig } from '../core/models/registry';
import type { LanguageModel } from '../core/lm/language-model';
import { HubModelError } from '../core/hub/errors';
import { parseJsonFile, readCheckpoint } from '../core/hub/checkpoint';
import { hubTokenizer, type HubTokenizer } from '../core/tokenizer/hub-tokenizer';

/** A JSON file of a model folder; a missing or broken one is named. */
export function readJson(dir: string, file: string): unknown {
  const path = join(dir, file);
  if (!existsSync(path)) throw new HubModelError(`${dir} has no ${file} (not a model folder in the Hub's layout?)`);
  return parseJsonFile(new Uint8Array(readFileSync(path)), path);
}

/** Every tensor of the folder's checkpoint, single-file or sharded (core/hub/checkpoint.ts), and the files read. */
export function readFolderCheckpoint(dir: string): ReturnType<typeof readCheckpoint> {
  return readCheckpoint(async (file) => (existsSync(join(dir, file)) ? new Uint8Array(readFileSync(join(dir, file))) : null), dir);
}

/**
 * The model, tokenizer and config.json of a folder. `tokenizer_config.json` is optional (GPT-2 folders often have
 * none); without it the end-of-sequence token is config.json's `eos_token_id`.
 */
export async function loadHubFolder(dir: string): Promise<{ model: LanguageModel; tokenizer: HubTokenizer; config: unknown; files: Array<{ name: string; bytes: Uint8Array }> }> {
  const config = readJson(dir, 'config.json');
  architectureOfConfig(config); // an unsupported architecture is named before anything else is read
  const tokenizer = hubTokenizer(readJson(dir, 'tokenizer.json'), existsSync(join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {}, config);
  const { tensors, files } = await readFolderCheckpoint(dir);
  const model = languageModelFromHub(config, tensors);
  return { model, tokenizer, config, files: [{ name: 'config.json', bytes: new Uint8Array(readFileSync(join(dir, 'config.json'))) }, ...files] };
}
