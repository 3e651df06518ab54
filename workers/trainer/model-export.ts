/**
 * The trained language model as a zip for the page's download: `adapter` = its LoRA adapters in PEFT's format (with
 * the embedded model's base in base/, since that is on no Hub), `merged` = the whole model with the adapters merged,
 * in the Hub's layout; the tokenizer files with either, and the run's config in the metadata. A hub-images run's
 * diffusers UNet likewise (`diffusersZip`): its PEFT adapter, or the pipeline with the adapters merged.
 */
import { zipSync } from 'fflate';
import type { RunConfig } from '../../src/core/config/schema';
import { adapterExportFiles, modelExportFiles } from '../../src/core/hub/export';
import type { LanguageModel } from '../../src/core/lm/language-model';
import type { ExportInfo } from '../../src/browser/run-model';
import { diffusersExportFiles } from '../../src/core/diffusers/export';
import type { DiffusersPipeline } from '../../src/core/diffusers/pipeline';

/** `nextCycle`: the engine's next cycle (the zip is named for the last one trained). */
export async function modelZip(model: LanguageModel, info: ExportInfo, config: RunConfig, nextCycle: number, kind: 'adapter' | 'merged'): Promise<{ name: string; zip: Uint8Array }> {
  const link = { raftlab_config: JSON.stringify(config) };
  const files: Record<string, Uint8Array> = {};
  const put = (prefix: string, list: ReadonlyArray<{ name: string; bytes: Uint8Array }>) => {
    for (const f of list) files[`${prefix}${f.name}`] = f.bytes;
  };
  if (kind === 'adapter') {
    if (!model.lora) throw new Error('this run fine-tunes all weights (LoRA rank 0): download the merged model');
    put('', await adapterExportFiles(model, info.base ?? 'base', info.revision, link));
    if (info.base === null) {
      put('base/', await modelExportFiles(model, null, info.eosId, {}, 'drop'));
      put('base/', info.tokenizerFiles);
    }
  } else {
    put('', await modelExportFiles(model, info.hubConfig, info.eosId, link));
  }
  put('', info.tokenizerFiles);
  const name = `raftlab-${config.task}-${kind === 'adapter' ? 'lora-adapter' : 'model'}-cycle-${nextCycle - 1}.zip`;
  return { name, zip: zipSync(files, { level: 0 }) };
}

/** A hub-images run's UNet as a zip: its LoRA adapters (PEFT) or the pipeline with them merged (Hub layout). */
export async function diffusersZip(p: DiffusersPipeline, base: string, revision: string | null, config: RunConfig, nextCycle: number, kind: 'adapter' | 'merged'): Promise<{ name: string; zip: Uint8Array }> {
  const files: Record<string, Uint8Array> = {};
  for (const f of await diffusersExportFiles(p, base, revision, kind, { raftlab_config: JSON.stringify(config) })) files[f.name] = f.bytes;
  const name = `raftlab-${config.task}-${kind === 'adapter' ? 'lora-adapter' : 'pipeline'}-cycle-${nextCycle - 1}.zip`;
  return { name, zip: zipSync(files, { level: 0 }) };
}
