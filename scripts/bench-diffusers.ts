/**
 * Benchmark: a diffusers UNet2DModel with the exact shapes of google/ddpm-cifar10-32 (35.7M parameters, 32x32, its
 * config.json below; random weights: speed does not depend on them) on this machine's TF.js backend (Node: wasm or
 * cpu): images per second of DDIM sampling at batch 16 (50 steps by default; with --measure-steps N it times N steps
 * and gives the 50-step rate from them, saying so) and the time of one LoRA training step at batch 16 (rank 8 on
 * to_q, to_k, to_v, to_out.0), with the peak of TF.js's tensor memory and the process's resident memory.
 * WebGPU figures come from the same code in the lab's trainer worker (Chromium), where a GPU is available.
 *
 *   npx tsx scripts/bench-diffusers.ts [--backend wasm|cpu] [--batch 16] [--micro-batch 4] [--steps 50] [--measure-steps 3]
 *
 * Prints figures; asserts nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { Adam } from '../src/core/lm/adam';
import { Rng } from '../src/core/rng';
import { denoise } from '../src/core/diffusers/pipeline';
import { Scheduler, schedulerConfigFromJson } from '../src/core/diffusers/scheduler';
import { drawUNetBatch, unetTrainStep } from '../src/core/diffusers/train';
import { unet2dConfigFromJson, unet2dParamShapes } from '../src/core/diffusers/unet2d/config';
import { DEFAULT_UNET_LORA_TARGETS } from '../src/core/diffusers/unet2d/lora';
import { UNet2DModel } from '../src/core/diffusers/unet2d/model';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';

/** google/ddpm-cifar10-32's unet/config.json (the fields that shape the model) and scheduler_config.json. */
const CIFAR10_UNET = {
  _class_name: 'UNet2DModel', act_fn: 'silu', attention_head_dim: null, block_out_channels: [128, 256, 256, 256], center_input_sample: false,
  down_block_types: ['DownBlock2D', 'AttnDownBlock2D', 'DownBlock2D', 'DownBlock2D'], downsample_padding: 0, flip_sin_to_cos: false, freq_shift: 1,
  in_channels: 3, layers_per_block: 2, mid_block_scale_factor: 1, norm_eps: 1e-6, norm_num_groups: 32, out_channels: 3, sample_size: 32,
  time_embedding_type: 'positional', up_block_types: ['UpBlock2D', 'AttnUpBlock2D', 'UpBlock2D', 'UpBlock2D'],
};
const CIFAR10_SCHEDULER = { _class_name: 'DDPMScheduler', beta_end: 0.02, beta_schedule: 'linear', beta_start: 0.0001, num_train_timesteps: 1000, clip_sample: true, variance_type: 'fixed_small' };

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, batch: { type: 'string', default: '16' }, 'micro-batch': { type: 'string', default: '4' }, steps: { type: 'string', default: '50' }, 'measure-steps': { type: 'string' } } });
const backend = await initNodeBackend(values.backend as NodeBackend);
const B = Number(values.batch);
const steps = Number(values.steps);
const measured = values['measure-steps'] ? Math.min(Number(values['measure-steps']), steps) : steps;

const config = unet2dConfigFromJson(CIFAR10_UNET);
const rng = new Rng(1);
const weights = new Map<string, Float32Array>();
for (const [name, shape] of unet2dParamShapes(config)) {
  const n = shape.reduce((a, b) => a * b, 1);
  const fan = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  weights.set(name, shape.length === 1 ? new Float32Array(n).fill(name.endsWith('.weight') ? 1 : 0) : Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(fan)));
}
const unet = new UNet2DModel(config, weights);
const scheduler = new Scheduler(schedulerConfigFromJson(CIFAR10_SCHEDULER));
console.log(`backend ${backend}; google/ddpm-cifar10-32 shapes: ${unet.numParams().toLocaleString('en-US')} parameters, batch ${B}, 32x32`);

let peakBytes = tf.memory().numBytes;
const track = () => (peakBytes = Math.max(peakBytes, tf.memory().numBytes));
const shape: [number, number, number, number] = [B, 3, 32, 32];
const noise = Float32Array.from({ length: B * 3 * 32 * 32 }, () => rng.normal());
// warm-up (kernels, allocations)
await denoise({ unet, scheduler, files: null as never }, noise, shape, { steps: 1 });
let t0 = performance.now();
const sample = await denoise({ unet, scheduler, files: null as never }, noise, shape, { steps: measured, onStep: track });
const sampleMs = performance.now() - t0;
const perStep = sampleMs / measured;
const rate = B / ((perStep * steps) / 1000);
console.log(`DDIM sampling: ${measured} steps in ${(sampleMs / 1000).toFixed(1)} s (${(perStep / 1000).toFixed(2)} s a step at batch ${B})`);
console.log(`  ${steps}-step DDIM at batch ${B}: ${rate.toPrecision(3)} images/s${measured < steps ? ` (from the ${measured} measured steps)` : ''}; sample mean ${(sample.reduce((a, b) => a + b, 0) / sample.length).toFixed(3)}`);

const lora = unet.attachLora({ rank: 8, alpha: 8, targets: DEFAULT_UNET_LORA_TARGETS }, 1);
const opt = new Adam();
const images = Float32Array.from({ length: noise.length }, () => rng.float() * 2 - 1);
const micro = Number(values['micro-batch']);
await unetTrainStep(unet, scheduler, lora.variables(), opt, drawUNetBatch(images, shape, scheduler, rng), 1e-4, 1, micro); // warm-up
track();
const trainSteps = 2;
t0 = performance.now();
for (let i = 0; i < trainSteps; i++) {
  await unetTrainStep(unet, scheduler, lora.variables(), opt, drawUNetBatch(images, shape, scheduler, rng), 1e-4, 1, micro);
  track();
}
const trainMs = (performance.now() - t0) / trainSteps;
const adapterParams = lora.variables().reduce((n, v) => n + v.size, 0);
console.log(`LoRA training step (rank 8 on ${DEFAULT_UNET_LORA_TARGETS.join(', ')}; ${adapterParams.toLocaleString('en-US')} adapter parameters): ${(trainMs / 1000).toFixed(2)} s at batch ${B} (micro-batches of ${micro}) (${(B / (trainMs / 1000)).toPrecision(3)} images/s)`);
console.log(`peak TF.js tensor memory ${(peakBytes / 2 ** 20).toFixed(0)} MiB; process resident ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
opt.dispose();
unet.dispose();
