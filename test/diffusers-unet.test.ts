// diffusers' UNet2DModel reimplemented (src/core/diffusers/) against the real library's outputs
// (test/fixtures/diffusers-tiny: an unconditional and a class-conditional tiny UNet): one forward pass per fixture, F32
// and the fp16 variant, the time features, and the refusals of what the lab does not compute.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../src/core/hub/safetensors';
import { unet2dConfigFromJson, unet2dParamCount, unet2dWeights } from '../src/core/diffusers/unet2d/config';
import { UNet2DModel } from '../src/core/diffusers/unet2d/model';

const DIR = join(import.meta.dirname, 'fixtures', 'diffusers-tiny');
interface T { shape: number[]; data: number[] }
interface Golden {
  weights: { num_parameters: number };
  unet_forward: { sample: T; timesteps: number[]; class_labels: number[] | null; output: T; output_fp16_weights?: T; intermediates: { time_proj: T } };
}
const golden = (name: string) => JSON.parse(readFileSync(join(DIR, name, 'golden.json'), 'utf8')) as Golden;
const json = (p: string) => JSON.parse(readFileSync(join(DIR, p), 'utf8')) as Record<string, unknown>;

function load(name: string, file = 'diffusion_pytorch_model.safetensors'): UNet2DModel {
  const config = unet2dConfigFromJson(json(`${name}/unet/config.json`));
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, name, 'unet', file))));
  return new UNet2DModel(config, unet2dWeights(config, tensors));
}

async function forward(model: UNet2DModel, g: Golden['unet_forward']): Promise<Float32Array> {
  const x = tf.tensor4d(Float32Array.from(g.sample.data), g.sample.shape as [number, number, number, number]);
  const y = tf.tidy(() => model.forward(x, g.timesteps, g.class_labels ?? undefined));
  const d = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return d;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.each(['tiny-ddpm', 'tiny-ddpm-class'])('UNet2DModel %s against diffusers', (name) => {
  it('has the parameters diffusers counts, and its time features match time_proj', () => {
    const g = golden(name);
    expect(unet2dParamCount(unet2dConfigFromJson(json(`${name}/unet/config.json`)))).toBe(g.weights.num_parameters);
    const model = load(name);
    expect(maxAbs(model.timeFeatures(g.unet_forward.timesteps), g.unet_forward.intermediates.time_proj.data)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('one forward pass (a timestep per row, class labels where conditional) matches to 1e-5; tensor counts flat', async () => {
    const g = golden(name);
    const before = tf.memory().numTensors;
    const model = load(name);
    const worst = maxAbs(await forward(model, g.unet_forward), g.unet_forward.output.data);
    model.dispose();
    console.info(`${name}: UNet output vs diffusers ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('UNet2DModel checkpoints', () => {
  it('the fp16 variant matches diffusers on the same F16 weights (computed in f32) to 1e-5', async () => {
    const g = golden('tiny-ddpm');
    const model = load('tiny-ddpm', 'diffusion_pytorch_model.fp16.safetensors');
    const worst = maxAbs(await forward(model, g.unet_forward), g.unet_forward.output_fp16_weights!.data);
    model.dispose();
    console.info(`tiny-ddpm fp16 variant: UNet output vs diffusers ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('old checkpoints\' attention names (query, key, value, proj_attn) load as diffusers renames them', async () => {
    const g = golden('tiny-ddpm');
    const config = unet2dConfigFromJson(json('tiny-ddpm/unet/config.json'));
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, 'tiny-ddpm', 'unet', 'diffusion_pytorch_model.safetensors'))));
    const legacy = new Map([...tensors].map(([k, v]) => [k.replace('.to_q.', '.query.').replace('.to_k.', '.key.').replace('.to_v.', '.value.').replace('.to_out.0.', '.proj_attn.'), v]));
    expect([...legacy.keys()].some((k) => k.includes('.proj_attn.'))).toBe(true);
    const model = new UNet2DModel(config, unet2dWeights(config, legacy));
    expect(maxAbs(await forward(model, g.unet_forward), g.unet_forward.output.data)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('refuses by name what it does not compute, and checkpoints that do not fit their config', () => {
    const base = json('tiny-ddpm/unet/config.json');
    expect(() => unet2dConfigFromJson({ ...base, _class_name: 'UNet2DConditionModel' })).toThrow(/UNet2DConditionModel .* is not supported yet/);
    expect(() => unet2dConfigFromJson({ ...base, down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'] })).toThrow(/down block type "CrossAttnDownBlock2D" is not supported/);
    expect(() => unet2dConfigFromJson({ ...base, up_block_types: ['AttnSkipUpBlock2D', 'UpBlock2D'] })).toThrow(/up block type "AttnSkipUpBlock2D"/);
    expect(() => unet2dConfigFromJson({ ...base, act_fn: 'tanh' })).toThrow(/act_fn "tanh" is not supported/);
    expect(() => unet2dConfigFromJson({ ...base, time_embedding_type: 'fourier' })).toThrow(/time_embedding_type "fourier"/);
    expect(() => unet2dConfigFromJson({ ...base, resnet_time_scale_shift: 'scale_shift' })).toThrow(/resnet_time_scale_shift "scale_shift"/);
    expect(() => unet2dConfigFromJson({ ...base, downsample_type: 'resnet' })).toThrow(/downsample_type "resnet"/);
    expect(() => unet2dConfigFromJson({ ...base, class_embed_type: 'timestep' })).toThrow(/class_embed_type "timestep"/);
    expect(() => unet2dConfigFromJson({ ...base, norm_num_groups: 5 })).toThrow(/not divisible by norm_num_groups 5/);
    expect(() => unet2dConfigFromJson({ ...base, out_channels: 6 })).toThrow(/out_channels 6 differs from in_channels 3/);
    expect(() => unet2dConfigFromJson({ ...base, in_channels: 4, out_channels: 4 })).toThrow(/in_channels 4 is not supported/);
    const { attention_head_dim: _, ...noHeadDim } = base;
    expect(unet2dConfigFromJson(noHeadDim).attentionHeadDim).toBe(8); // diffusers' default when the key is absent
    expect(unet2dConfigFromJson({ ...base, attention_head_dim: null }).attentionHeadDim).toBeNull();
    const config = unet2dConfigFromJson(base);
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, 'tiny-ddpm', 'unet', 'diffusion_pytorch_model.safetensors'))));
    const missing = new Map(tensors);
    missing.delete('mid_block.attentions.0.to_v.weight');
    expect(() => unet2dWeights(config, missing)).toThrow(/no tensor mid_block\.attentions\.0\.to_v\.weight/);
    const wrong = new Map(tensors).set('conv_in.weight', { shape: [16, 3, 1, 1], values: new Float32Array(48) });
    expect(() => unet2dWeights(config, wrong)).toThrow(/conv_in\.weight has shape \[16, 3, 1, 1\], unet\/config\.json implies \[16, 3, 3, 3\]/);
    const extra = new Map(tensors).set('add_embedding.linear_1.weight', { shape: [2], values: new Float32Array(2) });
    expect(() => unet2dWeights(config, extra)).toThrow(/tensors a UNet2DModel of this config does not: add_embedding/);
  });

  it('accepts other sample sizes (divisible by 2^(blocks - 1)) and refuses the rest; class labels as the model needs', () => {
    const model = load('tiny-ddpm');
    const y = tf.tidy(() => model.forward(tf.zeros([1, 3, 24, 24]) as tf.Tensor4D, [10]));
    expect(y.shape).toEqual([1, 3, 24, 24]);
    y.dispose();
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 3, 15, 15]) as tf.Tensor4D, [10]))).toThrow(/not divisible by 2/);
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 3, 16, 16]) as tf.Tensor4D, [10], [1]))).toThrow(/no class embedding/);
    model.dispose();
    const cond = load('tiny-ddpm-class');
    expect(() => tf.tidy(() => cond.forward(tf.zeros([1, 3, 16, 16]) as tf.Tensor4D, [10]))).toThrow(/class_labels are required/);
    expect(() => tf.tidy(() => cond.forward(tf.zeros([1, 3, 16, 16]) as tf.Tensor4D, [10], [10]))).toThrow(/from 0 to 9/);
    cond.dispose();
  });
});
