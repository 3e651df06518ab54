// LoRA on a diffusers UNet2DModel (attention projections and resnet convs, in diffusers' module names): an exact
// no-op at start, a denoising step that trains only the adapters and lowers the loss (every backend: the convs' weight
// gradient is im2col), the PEFT export and import with the same outputs, the merged export, tensor counts flat.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/core/lm/adam';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import { Rng } from '../src/core/rng';
import { Scheduler, schedulerConfigFromJson } from '../src/core/diffusers/scheduler';
import { drawUNetBatch, unetEvalLoss, unetTrainStep } from '../src/core/diffusers/train';
import { unet2dConfigFromJson, unet2dWeights } from '../src/core/diffusers/unet2d/config';
import { parseUnetLoraTargets, unetLoraFromPeft, unetLoraModules, unetLoraToPeft } from '../src/core/diffusers/unet2d/lora';
import { UNet2DModel } from '../src/core/diffusers/unet2d/model';

const DIR = join(import.meta.dirname, 'fixtures', 'diffusers-tiny');
const json = (p: string) => JSON.parse(readFileSync(join(DIR, p), 'utf8')) as Record<string, unknown>;
const SHAPE: [number, number, number, number] = [2, 3, 16, 16];

function load(name: string): { unet: UNet2DModel; scheduler: Scheduler } {
  const config = unet2dConfigFromJson(json(`${name}/unet/config.json`));
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, name, 'unet', 'diffusion_pytorch_model.safetensors'))));
  return { unet: new UNet2DModel(config, unet2dWeights(config, tensors)), scheduler: new Scheduler(schedulerConfigFromJson(json(`${name}/scheduler/scheduler_config.json`))) };
}

async function out(unet: UNet2DModel, x: Float32Array, t: number[], labels?: number[]): Promise<Float32Array> {
  const xs = tf.tensor4d(x, SHAPE);
  const y = tf.tidy(() => unet.forward(xs, t, labels));
  const d = (await y.data()) as Float32Array;
  tf.dispose([xs, y]);
  return d;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const rng = new Rng(5);
const X = Float32Array.from({ length: 2 * 3 * 16 * 16 }, () => rng.float() * 2 - 1);

describe.each([['tiny-ddpm', undefined], ['tiny-ddpm-class', [3, 7]]] as const)('LoRA on %s', (name, labels) => {
  it('is an exact no-op at start; trained on the denoising loss it lowers it, changing only the adapters; tensor counts flat', async () => {
    const { unet, scheduler } = load(name);
    const before = await out(unet, X, [10, 500], labels ? [...labels] : undefined);
    const lora = unet.attachLora({ rank: 4, alpha: 4, targets: parseUnetLoraTargets('to_q,to_k,to_v,to_out.0,conv1,conv2') }, 1);
    expect(maxAbs(await out(unet, X, [10, 500], labels ? [...labels] : undefined), before)).toBe(0);
    const base = await unet.exportWeights('drop');
    const opt = new Adam();
    const trainRng = new Rng(2);
    const batch = drawUNetBatch(X, SHAPE, scheduler, new Rng(9), labels ? [...labels] : undefined);
    const first = await unetEvalLoss(unet, scheduler, batch);
    await unetTrainStep(unet, scheduler, lora.variables(), opt, drawUNetBatch(X, SHAPE, scheduler, trainRng, labels ? [...labels] : undefined), 1e-2, 1);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 8; i++) await unetTrainStep(unet, scheduler, lora.variables(), opt, { ...batch }, 1e-2, 1);
    expect(tf.memory().numTensors).toBe(count);
    expect(await unetEvalLoss(unet, scheduler, batch)).toBeLessThan(first);
    const after = await unet.exportWeights('drop');
    for (const [k, v] of base) expect(after.get(k)!.values, k).toEqual(v.values);
    opt.dispose();
    unet.dispose();
  });

  it('exports as a PEFT adapter and imports with the same outputs; the merged export scores like the live adapters', async () => {
    const { unet } = load(name);
    const lora = unet.attachLora({ rank: 2, alpha: 4, targets: parseUnetLoraTargets('to_q,to_v,conv1') }, 3);
    // move B off zero so the adapters do something
    for (const v of lora.variables()) tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 7), 0.05))));
    const t = [10, 500];
    const want = await out(unet, X, t, labels ? [...labels] : undefined);
    const peft = await unetLoraToPeft(lora, `tiny/${name}`, null);
    expect(peft.config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['to_q', 'to_v', 'conv1'] });
    const names = [...peft.tensors.keys()];
    expect(names).toContain('base_model.model.mid_block.attentions.0.to_q.lora_A.weight');
    expect(peft.tensors.get('base_model.model.down_blocks.0.resnets.0.conv1.lora_A.weight')!.shape.length).toBe(4);
    // through the file format
    const back = readSafetensors(writeSafetensors(peft.tensors)).tensors;
    const { unet: fresh } = load(name);
    const { config, adapters } = unetLoraFromPeft({ config: peft.config, tensors: back }, unetLoraModules(fresh.plan, parseUnetLoraTargets('to_q,to_k,to_v,to_out.0,conv1,conv2')));
    const into = fresh.attachLora(config, 0);
    for (const [n, a] of adapters) into.setAdapter(n, a.a, a.b, a.nIn, a.nOut, a.scale);
    expect(maxAbs(await out(fresh, X, t, labels ? [...labels] : undefined), want)).toBeLessThan(1e-5);
    // merged: a plain UNet with W + scale A B
    const merged = await unet.exportWeights('merge');
    const cfg = unet2dConfigFromJson(json(`${name}/unet/config.json`));
    const plain = new UNet2DModel(cfg, unet2dWeights(cfg, merged));
    expect(maxAbs(await out(plain, X, t, labels ? [...labels] : undefined), want)).toBeLessThan(1e-4);
    for (const m of [unet, fresh, plain]) m.dispose();
  });
});

describe('UNet LoRA ranks in PEFT', () => {
  it('an adapter capped below the set\'s rank (a small conv) exports in rank_pattern and imports with the same outputs; rslora and alpha_pattern scale each module', async () => {
    const { unet } = load('tiny-ddpm-class');
    const lora = unet.attachLora({ rank: 12, alpha: 6, targets: parseUnetLoraTargets('to_q,conv1') }, 2);
    for (const v of lora.variables()) tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 3), 0.05))));
    const want = await out(unet, X, [10, 500], [3, 7]);
    const peft = await unetLoraToPeft(lora, 'tiny', null);
    // conv1 of the first block: 9 x 8 inputs, 8 outputs: rank min(12, 72, 8) = 8
    expect((peft.config.rank_pattern as Record<string, number>)['down_blocks.0.resnets.0.conv1']).toBe(8);
    const modules = unetLoraModules(unet.plan, parseUnetLoraTargets('to_q,conv1'));
    const { config, adapters } = unetLoraFromPeft(peft, modules);
    const { unet: fresh } = load('tiny-ddpm-class');
    const into = fresh.attachLora(config, 0);
    for (const [n, a] of adapters) into.setAdapter(n, a.a, a.b, a.nIn, a.nOut, a.scale);
    expect(maxAbs(await out(fresh, X, [10, 500], [3, 7]), want)).toBeLessThan(1e-5);
    const scaleOf = (c: Record<string, unknown>, name: string) => unetLoraFromPeft({ config: c, tensors: peft.tensors }, modules).adapters.get(name)!.scale;
    expect(scaleOf({ ...peft.config, use_rslora: true }, 'mid_block.attentions.0.to_q')).toBeCloseTo(6 / Math.sqrt(12), 10);
    expect(scaleOf({ ...peft.config, alpha_pattern: { 'mid_block.attentions.0.to_q': 24 } }, 'mid_block.attentions.0.to_q')).toBeCloseTo(2, 10);
    expect(() => unetLoraFromPeft({ config: { ...peft.config, modules_to_save: ['conv_out'] }, tensors: peft.tensors }, modules)).toThrow(/modules_to_save/);
    for (const m of [unet, fresh]) m.dispose();
  });
});

describe('UNet LoRA refusals', () => {
  it('names unknown targets and adapters that do not fit the UNet', async () => {
    expect(() => parseUnetLoraTargets('to_q,q_proj')).toThrow(/LoRA target "q_proj" is not a layer of a UNet2DModel; it has to_q, to_k, to_v, to_out\.0, conv1, conv2/);
    const { unet } = load('tiny-ddpm');
    const modules = unetLoraModules(unet.plan, parseUnetLoraTargets('to_q,conv1'));
    const lora = unet.attachLora({ rank: 2, alpha: 2, targets: ['to_q'] }, 1);
    const peft = await unetLoraToPeft(lora, 'x', null);
    const wrong = new Map(peft.tensors);
    wrong.set('base_model.model.down_blocks.9.attentions.0.to_q.lora_A.weight', { shape: [2, 32], values: new Float32Array(64) });
    expect(() => unetLoraFromPeft({ config: peft.config, tensors: wrong }, modules)).toThrow(/module down_blocks\.9\.attentions\.0\.to_q, which this UNet does not have/);
    expect(() => unetLoraFromPeft({ config: { ...peft.config, use_dora: true }, tensors: peft.tensors }, modules)).toThrow(/DoRA/);
    unet.dispose();
  });
});
