/**
 * What a RAFT run on a diffusers UNet leaves as files (`raftlab run --task hub-images --save DIR [--merge]`): the LoRA
 * adapters as a PEFT adapter folder (adapter_config.json + adapter_model.safetensors, module names as in diffusers:
 * `PeftModel.from_pretrained(unet, DIR)` opens it), or with --merge the whole pipeline in the Hub's layout with the
 * adapters merged into the UNet (model_index.json, unet/config.json, unet/diffusion_pytorch_model.safetensors,
 * scheduler/scheduler_config.json: `DDIMPipeline.from_pretrained(DIR)` and `raftlab denoise --model DIR` open it).
 * And the reverse: a saved adapter read back onto a pipeline to continue from it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../core/hub/safetensors';
import type { DiffusersPipeline } from '../core/diffusers/pipeline';
import { unetLoraFromPeft, unetLoraModules, unetLoraToPeft, UNET_LORA_TARGETS, type UNetLora } from '../core/diffusers/unet2d/lora';

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** The files written, relative to `dir`. */
export async function saveDiffusers(dir: string, p: DiffusersPipeline, base: string, revision: string | null, merge: boolean): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const lora = p.unet.lora as UNetLora | null;
  if (!merge) {
    if (!lora) throw new Error('the UNet has no LoRA adapters to save');
    const { config, tensors } = await unetLoraToPeft(lora, base, revision);
    writeFileSync(join(dir, 'adapter_config.json'), json(config));
    writeFileSync(join(dir, 'adapter_model.safetensors'), writeSafetensors(tensors, { metadata: { format: 'pt' } }));
    return ['adapter_config.json', 'adapter_model.safetensors'];
  }
  mkdirSync(join(dir, 'unet'), { recursive: true });
  mkdirSync(join(dir, 'scheduler'), { recursive: true });
  const read = (path: string) => {
    const b = p.files.files.get(path);
    return b ? (JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>) : null;
  };
  const unetConfig = read(p.files.layout === 'pipeline' ? 'unet/config.json' : 'config.json') ?? {};
  const scheduler = read('scheduler/scheduler_config.json') ?? { _class_name: p.scheduler.config.className };
  const index = read('model_index.json') ?? { _class_name: 'DDPMPipeline', unet: ['diffusers', 'UNet2DModel'], scheduler: ['diffusers', String(scheduler._class_name)] };
  writeFileSync(join(dir, 'model_index.json'), json(index));
  writeFileSync(join(dir, 'unet', 'config.json'), json(unetConfig));
  writeFileSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'), writeSafetensors(await p.unet.exportWeights('merge'), { metadata: { format: 'pt' } }));
  writeFileSync(join(dir, 'scheduler', 'scheduler_config.json'), json(scheduler));
  return ['model_index.json', 'unet/config.json', 'unet/diffusion_pytorch_model.safetensors', 'scheduler/scheduler_config.json'];
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
