/**
 * What a RAFT run on a diffusers UNet leaves as files, for the CLI's folder (node/diffusers-save.ts) and the page's
 * zip alike: its LoRA adapters as a PEFT adapter (adapter_config.json + adapter_model.safetensors, diffusers' module
 * names: `PeftModel.from_pretrained(unet, folder)` opens it), or the whole pipeline in the Hub's layout with the
 * adapters merged into the UNet (model_index.json, unet/config.json, unet/diffusion_pytorch_model.safetensors,
 * scheduler/scheduler_config.json: `DDIMPipeline.from_pretrained(folder)` and `raftlab denoise` open it). The live
 * model is left as it is.
 */
import type { ExportFile } from '../hub/export';
import { writeSafetensors } from '../hub/safetensors';
import type { DiffusersPipeline } from './pipeline';
import { unetLoraToPeft } from './unet2d/lora';

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

export async function diffusersExportFiles(p: DiffusersPipeline, base: string, revision: string | null, kind: 'adapter' | 'merged', metadata: Record<string, string> = {}): Promise<ExportFile[]> {
  const lora = p.unet.lora;
  if (kind === 'adapter') {
    if (!lora) throw new Error('the UNet has no LoRA adapters to export');
    const { config, tensors } = await unetLoraToPeft(lora, base, revision);
    return [
      { name: 'adapter_config.json', bytes: json(config) },
      { name: 'adapter_model.safetensors', bytes: writeSafetensors(tensors, { metadata: { format: 'pt', ...metadata } }) },
    ];
  }
  const read = (path: string) => {
    const b = p.files.files.get(path);
    return b ? (JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>) : null;
  };
  const unetConfig = read(p.files.layout === 'pipeline' ? 'unet/config.json' : 'config.json') ?? {};
  const scheduler = read('scheduler/scheduler_config.json') ?? { _class_name: p.scheduler.config.className };
  const index = read('model_index.json') ?? { _class_name: 'DDPMPipeline', unet: ['diffusers', 'UNet2DModel'], scheduler: ['diffusers', String(scheduler._class_name)] };
  return [
    { name: 'model_index.json', bytes: json(index) },
    { name: 'unet/config.json', bytes: json(unetConfig) },
    { name: 'unet/diffusion_pytorch_model.safetensors', bytes: writeSafetensors(await p.unet.exportWeights('merge'), { metadata: { format: 'pt', ...metadata } }) },
    { name: 'scheduler/scheduler_config.json', bytes: json(scheduler) },
  ];
}
