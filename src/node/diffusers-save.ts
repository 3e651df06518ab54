/**
 * A RAFT run on a diffusers UNet saved into a folder (`raftlab run --task hub-images --save DIR [--merge]`): the files
 * of core/diffusers/export.ts (a PEFT adapter, or the merged pipeline). And the reverse: a saved adapter read back
 * onto a pipeline (`raftlab denoise --adapter DIR`), or fetched from the Hub for a run to start from (`--init-adapter`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFiles } from './hub-save';
import { readSafetensors } from '../core/hub/safetensors';
import { diffusersExportFiles } from '../core/diffusers/export';
import type { DiffusersPipeline } from '../core/diffusers/pipeline';
import { parsePeftAdapter, UNetLoraError, type PeftAdapterFiles, type UNetLora } from '../core/diffusers/unet2d/lora';
import { parseModelSource } from '../core/hub/source';
import { cachedFileReader } from './hub-download';

/** The files written, relative to `dir`. */
export async function saveDiffusers(dir: string, p: DiffusersPipeline, base: string, revision: string | null, merge: boolean): Promise<string[]> {
  const files = await diffusersExportFiles(p, base, revision, merge ? 'merged' : 'adapter');
  writeFiles(dir, files);
  return files.map((f) => f.name);
}

/** A PEFT adapter's two files from a folder, or from a Hub id / folder URL through the cache (hub-download.ts). */
export async function readPeftAdapter(adapter: string, endpoint?: string): Promise<PeftAdapterFiles> {
  let read: (file: string) => Promise<Uint8Array | null>;
  if (existsSync(adapter) && statSync(adapter).isDirectory()) {
    read = async (file) => (existsSync(join(adapter, file)) ? new Uint8Array(readFileSync(join(adapter, file))) : null);
  } else {
    const source = parseModelSource(adapter);
    if (!source) throw new UNetLoraError(`adapter ${JSON.stringify(adapter.slice(0, 80))} is neither a folder nor a Hub id (org/name[@revision]) nor an http(s) URL`);
    read = cachedFileReader(source, endpoint).read;
  }
  return parsePeftAdapter(adapter, await read('adapter_config.json'), await read('adapter_model.safetensors'));
}

/** A PEFT adapter folder attached to the pipeline's UNet (replacing its adapters), every module's own rank and scale. */
export async function loadDiffusersAdapter(dir: string, p: DiffusersPipeline): Promise<UNetLora> {
  return p.unet.attachPeft(await readPeftAdapter(dir), 0);
}
