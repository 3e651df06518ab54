/**
 * A diffusers UNet from the Hub in the trainer worker (task hub-images): its files through the page's Cache API with
 * download progress and pinned to the commit the Hub resolved (hub-cache.ts), the memory estimate from its
 * unet/config.json checked against the device before the weights are fetched (a run the device cannot hold is
 * refused with the estimate), then the pipeline built (core/diffusers/pipeline.ts) and fingerprinted.
 */
import { checkFit, type DeviceLimits, type MemoryEstimate } from '../core/hub/memory-fit';
import type { RunConfig } from '../core/config/schema';
import { MICRO_BATCH, SAMPLE_BATCH } from '../core/diffusers/denoiser';
import { estimateUNetMemory } from '../core/diffusers/memory';
import { DiffusersModelError, loadPipeline, type DiffusersPipeline } from '../core/diffusers/pipeline';
import { unet2dConfigFromJson } from '../core/diffusers/unet2d/config';
import { parsePeftAdapter, parseUnetLoraTargets, type PeftAdapterFiles } from '../core/diffusers/unet2d/lora';
import type { LoadedPipeline } from '../core/run/prepare';
import { hubFiles, type FileProgress } from './hub-cache';

export interface DiffusersLoadHooks {
  onProgress: (p: FileProgress) => void;
  onEstimate?: (e: MemoryEstimate) => void;
}

export async function loadDiffusersFromUrl(config: RunConfig, endpoint: string | undefined, limits: DeviceLimits, hooks: DiffusersLoadHooks): Promise<LoadedPipeline & { revision: string | null }> {
  const files = await hubFiles(config.model, endpoint, hooks.onProgress);
  const read = (file: string) => files.get(file, true);
  const index = await read('model_index.json');
  const configBytes = await read(index ? 'unet/config.json' : 'config.json');
  if (configBytes) {
    let unetConfig;
    try {
      unetConfig = unet2dConfigFromJson(JSON.parse(new TextDecoder().decode(configBytes)));
    } catch (e) {
      throw new DiffusersModelError((e as Error).message);
    }
    const estimate = estimateUNetMemory(unetConfig, { rank: config.lora > 0 ? config.lora : config.imageLoraRank, targets: parseUnetLoraTargets(config.imageLoraTargets), sampleBatch: SAMPLE_BATCH, microBatch: MICRO_BATCH });
    hooks.onEstimate?.(estimate);
    const problem = checkFit(estimate, limits);
    if (problem) throw new DiffusersModelError(`${config.model}: ${problem}`);
  }
  const pipeline: DiffusersPipeline = await loadPipeline(read);
  await files.remember(config.model).catch(() => undefined); // the Models panel's list; the run does not need it
  const source = files.source;
  const linkModel = source.kind === 'hub' && files.revision ? `${source.id}@${files.revision}` : config.model;
  return { pipeline, label: linkModel, fingerprint: pipeline.files.fingerprint, linkModel, revision: files.revision };
}

/** A PEFT adapter (a Hub id or folder URL) through the Cache API: what a hub-images run starts from (imageInitAdapter). */
export async function loadPeftAdapterFromUrl(adapter: string, endpoint: string | undefined, onProgress: (p: FileProgress) => void): Promise<PeftAdapterFiles> {
  const files = await hubFiles(adapter, endpoint, onProgress);
  return parsePeftAdapter(adapter, await files.get('adapter_config.json', true), await files.get('adapter_model.safetensors', true));
}

