/**
 * What a trained language model leaves the lab as, file by file (the CLI writes them into a folder, the page zips
 * them): the LoRA adapters in PEFT's format (peft.ts), or the whole model in the Hub's layout with the adapters
 * merged (by the architecture's folder, models/<type>/: GPT-2 writes a config.json of its own for the embedded GPT,
 * the others keep the source's). Merging here does
 * not touch the live model: the merged weights are computed on copies, so a run can go on after a download.
 */
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from '../lm/language-model';
import { architectureOf } from '../models/registry';
import { HubModelError } from './errors';
import { loraToPeft } from './peft';
import { writeSafetensors } from './safetensors';
import { LoraSet } from '../lm/lora';

export interface ExportFile {
  name: string;
  bytes: Uint8Array;
}

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * The model's weights by the lab's names with its LoRA adapters folded in, or (`adapters: 'drop'`) without them:
 * the base. The model is left as it was.
 */
export async function mergedWeights(model: LanguageModel, adapters: 'merge' | 'drop' = 'merge'): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, w] of await model.exportWeights(false)) out.set(name, w.values.slice());
  const lora = model.lora;
  if (!lora || adapters === 'drop') return out;
  for (const name of lora.ranks().keys()) {
    const ad = lora.get(name)!;
    const delta = tf.tidy(() => tf.mul(tf.matMul(ad.a, ad.b), ad.scale));
    const d = (await delta.data()) as Float32Array;
    delta.dispose();
    const targets = LoraSet.weightsOf(name);
    const rows = ad.a.shape[0]!;
    const cols = d.length / rows;
    const part = cols / targets.length;
    targets.forEach((t, j) => {
      const w = out.get(t);
      if (!w) throw new HubModelError(`merging LoRA: no weight ${t}`);
      for (let r = 0; r < rows; r++) for (let c = 0; c < part; c++) w[r * part + c]! += d[r * cols + j * part + c]!;
    });
  }
  return out;
}

/**
 * config.json and model.safetensors of the model with its adapters merged (or dropped: the base model). `hubConfig`
 * is the source model's config.json (Hub models); the embedded GPT gets a GPT-2 config of its own.
 */
export async function modelExportFiles(
  model: LanguageModel,
  hubConfig: unknown | null,
  eosId: number,
  metadata: Record<string, string> = {},
  adapters: 'merge' | 'drop' = 'merge',
): Promise<ExportFile[]> {
  const weights = await mergedWeights(model, adapters);
  const { config, tensors } = architectureOf(model.architecture).toHub(model.config, weights, hubConfig, eosId);
  const files: ExportFile[] = [{ name: 'config.json', bytes: json(config) }, { name: 'model.safetensors', bytes: writeSafetensors(tensors, { metadata }) }];
  if (!hubConfig) files.push({ name: 'generation_config.json', bytes: json({ bos_token_id: eosId, eos_token_id: eosId }) });
  return files;
}

/** adapter_config.json and adapter_model.safetensors of the model's LoRA adapters, for base model `base`. */
export async function adapterExportFiles(model: LanguageModel, base: string, revision: string | null, metadata: Record<string, string> = {}): Promise<ExportFile[]> {
  const { config, tensors } = await loraToPeft(model, base, revision);
  return [
    { name: 'adapter_config.json', bytes: json(config) },
    { name: 'adapter_model.safetensors', bytes: writeSafetensors(tensors, { metadata: { format: 'pt', ...metadata } }) },
  ];
}
