/**
 * Saving what a run trained for the Python ecosystem.
 * - `saveModelFolder`: the whole model in the Hub's layout (`config.json`, `generation_config.json`,
 *   `model.safetensors`, tokenizer files), which `transformers` (GPT2LMHeadModel / LlamaForCausalLM,
 *   AutoTokenizer) and `raftlab score --model DIR` open, with the LoRA adapters merged (the model itself unchanged).
 * - `saveAdapterFolder`: the LoRA adapters in PEFT's format (core/hub/peft.ts), for `PeftModel.from_pretrained`.
 * - `loadAdapterFolder`: such a folder read back and applied to a model.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LanguageModel } from '../core/lm/language-model';
import { HubModelError } from '../core/hub/errors';
import { adapterExportFiles, modelExportFiles, type ExportFile } from '../core/hub/export';
import { applyPeft } from '../core/hub/peft';
import { readSafetensors } from '../core/hub/safetensors';
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
  }
}

/** Export files into a folder (a name may have one folder level: a diffusers pipeline's unet/, scheduler/). */
export function writeFiles(dir: string, files: readonly ExportFile[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.bytes);
  }
}

/**
 * The whole model with its adapters merged (or dropped: the base), in the Hub's layout (core/hub/export.ts), with the
 * tokenizer files.
 */
export async function saveModelFolder(dir: string, model: LanguageModel, origin: ModelOrigin, metadata: Record<string, string> = {}, adapters: 'merge' | 'drop' = 'merge'): Promise<void> {
  writeFiles(dir, await modelExportFiles(model, origin.folder ? readJson(origin.folder, 'config.json') : null, origin.eosId, metadata, adapters));
  copyTokenizer(dir, origin);
}

/** The adapters as `adapter_config.json` + `adapter_model.safetensors` (and the tokenizer files) of base `base`. */
export async function saveAdapterFolder(dir: string, model: LanguageModel, base: string, revision: string | null, origin: ModelOrigin, metadata: Record<string, string> = {}): Promise<void> {
  writeFiles(dir, await adapterExportFiles(model, base, revision, metadata));
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
