/**
 * A RAFT run on a diffusers UNet saved into a folder (`raftlab run --task hub-images --save DIR [--merge]`): the files
 * of core/diffusers/export.ts (a PEFT adapter, or the merged pipeline). And the reverse: a saved adapter read back
 * onto a pipeline (`raftlab denoise --adapter DIR`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readSafetensors } from '../core/hub/safetensors';
import { diffusersExportFiles } from '../core/diffusers/export';
import type { DiffusersPipeline } from '../core/diffusers/pipeline';
import { unetLoraFromPeft, unetLoraModules, UNET_LORA_TARGETS, type UNetLora } from '../core/diffusers/unet2d/lora';

/** The files written, relative to `dir`. */
export async function saveDiffusers(dir: string, p: DiffusersPipeline, base: string, revision: string | null, merge: boolean): Promise<string[]> {
  const files = await diffusersExportFiles(p, base, revision, merge ? 'merged' : 'adapter');
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.bytes);
  }
  return files.map((f) => f.name);
}

/** A PEFT adapter folder attached to the pipeline's UNet (replacing its adapters), every module's own rank and scale. */
export function loadDiffusersAdapter(dir: string, p: DiffusersPipeline): UNetLora {
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))));
  const read = unetLoraFromPeft({ config, tensors }, unetLoraModules(p.unet.plan, UNET_LORA_TARGETS));
  const lora = p.unet.attachLora(read.config, 0);
  for (const [name, a] of read.adapters) lora.setAdapter(name, a.a, a.b, a.nIn, a.nOut, a.scale);
  return lora;
}
