/**
 * Pre-trains the `shapes` task's denoiser on freshly drawn procedural images and writes public/models/shapes/
 * (the EMA of the weights, saved every 100 steps so an interrupted run still leaves a model).
 * Seeded: same seed and backend => same weights.
 *   Run: npm run pretrain -- --task shapes [--steps N]   (or: node bin/run-ts.mjs scripts/pretrain-diffusion.ts)
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { drawShape, NULL_LABEL, SHAPE_LABELS, shapeImages } from '../src/core/diffusion/dataset';
import { sampleImages } from '../src/core/diffusion/ddim';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { SHAPES_HELD_OUT_SEED, SHAPES_PRETRAIN, SHAPES_SAMPLER, SHAPES_SCHEDULE, SHAPES_UNET } from '../src/core/diffusion/shapes-recipe';
import { denoiseStep, drawBatch, meanDenoiseLoss } from '../src/core/diffusion/train';
import { UNet } from '../src/core/diffusion/unet';
import { Adam } from '../src/core/lm/adam';
import { pretrainLr } from '../src/core/lm/pretrain';
import { ownVariable } from '../src/core/lm/variables';
import { Rng } from '../src/core/rng';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { saveEmbeddedUNet, writePng } from '../src/node/diffusion-files';

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'shapes' }, steps: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
    grid: { type: 'string' },
  },
});
const task = values.task!;
const R = SHAPES_PRETRAIN;
const steps = values.steps ? Number(values.steps) : R.steps;
const backend = await initNodeBackend(values.backend as NodeBackend);
const schedule = cosineSchedule(SHAPES_SCHEDULE.steps);
const model = new UNet(SHAPES_UNET, undefined, R.seed);
const vars = model.variables();
const ema = vars.map((v) => tf.tidy(() => ownVariable(tf.clone(v), `ema/${v.name}`, false)));
const names = [...model.weights().keys()];
console.log(`pretrain ${task}: ${model.numParams()} params, ${steps} steps of ${R.batchSize}, backend ${backend}`);

// fixed held-out batches: real images never drawn in training, fixed t and noise
const heldRng = Rng.derive(SHAPES_HELD_OUT_SEED, 'shapes/held-out-noise');
const held = shapeImages(SHAPES_HELD_OUT_SEED, 128);
const heldBatches = [0, 64].map((o) => drawBatch(held.slice(o, o + 64).map((h) => h.pixels), held.slice(o, o + 64).map((h) => h.label), schedule, heldRng));

async function emaWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (let i = 0; i < names.length; i++) out.set(names[i]!, { shape: ema[i]!.shape.slice(), values: (await ema[i]!.data()) as Float32Array });
  return out;
}

const t0 = performance.now();
const opt = new Adam();
const rng = Rng.derive(R.seed, 'shapes/pretrain');
let running = 0;
let heldLoss = NaN;
async function save(step: number): Promise<number> {
  const w = await emaWeights();
  const emaModel = new UNet(SHAPES_UNET, new Map([...w].map(([k, v]) => [k, v.values])));
  heldLoss = await meanDenoiseLoss(emaModel, heldBatches, schedule);
  emaModel.dispose();
  return saveEmbeddedUNet(task, SHAPES_UNET, w, {
    task, seed: R.seed, steps: step, batchSize: R.batchSize, lr: R.lr, backend, emaDecay: R.emaDecay,
    trainLoss: Number(running.toFixed(4)), heldOutLoss: Number(heldLoss.toFixed(4)),
    seconds: Math.round((performance.now() - t0) / 1000),
  });
}
for (let step = 0; step < steps; step++) {
  const labels: number[] = [];
  const images: Float32Array[] = [];
  for (let i = 0; i < R.batchSize; i++) {
    const label = rng.int(SHAPE_LABELS.length);
    images.push(drawShape(label, rng));
    labels.push(rng.chance(R.labelDropout) ? NULL_LABEL : label);
  }
  const batch = drawBatch(images, labels, schedule, rng);
  const lr = pretrainLr(step, { steps, lr: R.lr, warmup: R.warmup });
  const loss = await denoiseStep(model, vars, opt, batch, schedule, lr, R.gradClip);
  const d = Math.min(R.emaDecay, (1 + step) / (10 + step));
  tf.tidy(() => ema.forEach((e, i) => e.assign(tf.add(tf.mul(e, d), tf.mul(vars[i]!, 1 - d)))));
  running = step === 0 ? loss : 0.98 * running + 0.02 * loss;
  if ((step + 1) % 20 === 0) console.log(`step ${step + 1}/${steps}  loss ${running.toFixed(4)}  lr ${lr.toExponential(2)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if ((step + 1) % 100 === 0 || step + 1 === steps) {
    const bytes = await save(step + 1);
    console.log(`saved public/models/${task}/ at step ${step + 1} (${(bytes / 1e6).toFixed(2)} MB), held-out loss ${heldLoss.toFixed(4)}`);
  }
}
opt.dispose();
if (values.grid) {
  const w = await emaWeights();
  const emaModel = new UNet(SHAPES_UNET, new Map([...w].map(([k, v]) => [k, v.values])));
  const items = SHAPE_LABELS.flatMap((_, label) => [0, 1, 2, 3, 4, 5].map((j) => ({ label, seed: 1000 + label * 10 + j })));
  const imgs = await sampleImages(emaModel, schedule, items, SHAPES_SAMPLER);
  const g = imageGrid(imgs, { columns: 6 });
  writePng(values.grid, g.rgb, g.width, g.height);
  console.log(`wrote ${values.grid}`);
  emaModel.dispose();
}
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s, final loss ${running.toFixed(4)}, held-out loss ${heldLoss.toFixed(4)}`);
model.dispose();
for (const e of ema) e.dispose();
