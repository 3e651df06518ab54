/**
 * Pre-trains the `scenes` task's text-conditioned DiT (src/core/diffusion/dit/) on the world's training pairs,
 * drawn fresh for every batch (src/core/scenes trainingPair: held-out combinations never appear), and writes
 * public/models/scenes/: the EMA of the weights, saved every `--save-every` steps so an interrupted run still
 * leaves a model. With `--grid FILE` it also writes a PNG of samples of the fixed eval prompts every `--grid-every`
 * steps and at the end (rows: 3 seen singles, 2 seen groups, 2 relations, 1 held-out; columns: seeds). `--minutes M` stops (and saves) after M minutes
 * of wall clock, whatever `--steps` says. Seeded: same seed, steps and backend => same weights.
 *   Run: node bin/run-ts.mjs scripts/pretrain-scenes.ts [--steps N] [--minutes M] [--grid FILE] [--out DIR]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT, SCENES_HELD_OUT_SEED, SCENES_PRETRAIN, SCENES_SAMPLER, SCENES_SCHEDULE, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { ditSampleImages } from '../src/core/diffusion/dit/sample';
import { nullTokens, promptTokens } from '../src/core/diffusion/dit/tokens';
import { ditStep, drawDiTBatch, meanDiTLoss, type DiTBatch } from '../src/core/diffusion/dit/train';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { Adam } from '../src/core/lm/adam';
import { pretrainLr } from '../src/core/lm/pretrain';
import { ownVariable } from '../src/core/lm/variables';
import { Rng } from '../src/core/rng';
import { SCENE_EVAL_SETS, trainingPair } from '../src/core/scenes';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { saveEmbeddedDiT, writePng } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' }, minutes: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
    grid: { type: 'string' }, 'grid-every': { type: 'string', default: '300' }, out: { type: 'string' },
    'save-every': { type: 'string', default: '100' },
    'held-out': { type: 'string', default: '128' },
  },
});
const R = SCENES_PRETRAIN;
const C = SCENES_DIT;
const steps = values.steps ? Number(values.steps) : R.steps;
const deadline = values.minutes ? performance.now() + Number(values.minutes) * 60_000 : Infinity;
const saveEvery = Number(values['save-every']);
const outDir = values.out ?? modelDir('scenes');
const backend = await initNodeBackend(values.backend as NodeBackend);
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const model = new SceneDiT(C, undefined, R.seed);
const vars = model.variables();
const ema = vars.map((v) => tf.tidy(() => ownVariable(tf.clone(v), `ema/${v.name}`, false)));
const names = [...model.weights().keys()];
const tokens = (prompt: string) => promptTokens(scenesWordIds(prompt), C.maxTokens);
console.log(`pretrain scenes: ${model.numParams()} params, ${steps} steps of ${R.batchSize}, backend ${backend}, writing ${outDir}`);

// fixed held-out batches: pairs of seeds never drawn in training, fixed t and noise
const heldRng = Rng.derive(SCENES_HELD_OUT_SEED, 'scenes/held-out-noise');
const heldBatches: DiTBatch[] = [];
for (let o = 0; o < Number(values['held-out']); o += 64) {
  const pairs = Array.from({ length: 64 }, (_, i) => trainingPair(SCENES_HELD_OUT_SEED + o + i, C.imageSize));
  heldBatches.push(drawDiTBatch(pairs.map((p) => p.pixels), pairs.map((p) => tokens(p.prompt)), C.imageSize, schedule, heldRng));
}

async function emaWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (let i = 0; i < names.length; i++) out.set(names[i]!, { shape: ema[i]!.shape.slice(), values: (await ema[i]!.data()) as Float32Array });
  return out;
}

const GRID_PROMPTS = [
  ...SCENE_EVAL_SETS.seenSingles.slice(0, 3), ...SCENE_EVAL_SETS.seenMulti.slice(0, 2),
  ...SCENE_EVAL_SETS.relations.slice(0, 2), SCENE_EVAL_SETS.heldOut[0],
];

async function writeGrid(emaModel: SceneDiT, file: string): Promise<void> {
  const items = GRID_PROMPTS.flatMap((p, r) => [0, 1, 2, 3, 4, 5].map((j) => ({ ids: tokens(p), seed: 5000 + 10 * r + j })));
  const imgs = await ditSampleImages(emaModel, schedule, items, C.imageSize, SCENES_SAMPLER);
  const g = imageGrid(imgs, { columns: 6, scale: 3 });
  writePng(file, g.rgb, g.width, g.height);
}

const t0 = performance.now();
const seconds = () => Math.round((performance.now() - t0) / 1000);
const opt = new Adam();
const rng = Rng.derive(R.seed, 'scenes/pretrain');
let running = 0;
let heldLoss = NaN;
let pairSeed = R.seed * 1_000_000;
async function save(step: number, grid: boolean): Promise<number> {
  const w = await emaWeights();
  const emaModel = new SceneDiT(C, new Map([...w].map(([k, v]) => [k, v.values])));
  heldLoss = await meanDiTLoss(emaModel, heldBatches, schedule);
  if (values.grid && grid) await writeGrid(emaModel, values.grid);
  emaModel.dispose();
  return saveEmbeddedDiT('scenes', C, w, {
    task: 'scenes', seed: R.seed, steps: step, batchSize: R.batchSize, lr: R.lr, backend, emaDecay: R.emaDecay,
    promptDropout: R.promptDropout, trainLoss: Number(running.toFixed(4)), heldOutLoss: Number(heldLoss.toFixed(4)), seconds: seconds(),
  }, outDir);
}
const nul = nullTokens(C.maxTokens);
let step = 0;
for (; step < steps && performance.now() < deadline; step++) {
  const images: Float32Array[] = [];
  const ids: Int32Array[] = [];
  for (let i = 0; i < R.batchSize; i++) {
    const pair = trainingPair(pairSeed++, C.imageSize);
    images.push(pair.pixels);
    ids.push(rng.chance(R.promptDropout) ? nul : tokens(pair.prompt));
  }
  const batch = drawDiTBatch(images, ids, C.imageSize, schedule, rng);
  const lr = pretrainLr(step, { steps, lr: R.lr, warmup: R.warmup });
  const loss = await ditStep(model, vars, opt, batch, schedule, lr, R.gradClip);
  const d = Math.min(R.emaDecay, (1 + step) / (10 + step));
  tf.tidy(() => ema.forEach((e, i) => e.assign(tf.add(tf.mul(e, d), tf.mul(vars[i]!, 1 - d)))));
  running = step === 0 ? loss : 0.98 * running + 0.02 * loss;
  if ((step + 1) % 20 === 0) console.log(`step ${step + 1}/${steps}  loss ${running.toFixed(4)}  lr ${lr.toExponential(2)}  ${seconds()} s`);
  if ((step + 1) % saveEvery === 0 && step + 1 < steps) {
    const bytes = await save(step + 1, (step + 1) % Number(values['grid-every']) === 0);
    console.log(`saved ${outDir} at step ${step + 1} (${(bytes / 1e6).toFixed(2)} MB), held-out loss ${heldLoss.toFixed(4)}  ${seconds()} s`);
  }
}
const bytes = await save(step, true);
console.log(`saved ${outDir} at step ${step} (${(bytes / 1e6).toFixed(2)} MB), held-out loss ${heldLoss.toFixed(4)}${step < steps ? ' (stopped by --minutes)' : ''}`);
console.log(`done in ${seconds()} s, final loss ${running.toFixed(4)}, held-out loss ${heldLoss.toFixed(4)}`);
opt.dispose();
model.dispose();
for (const e of ema) e.dispose();
