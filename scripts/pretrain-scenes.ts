/**
 * Pre-trains the `scenes` task's text-conditioned DiT (src/core/diffusion/dit/) on the world's training pairs,
 * drawn fresh for every batch (src/core/scenes trainingPair: held-out combinations never appear; the batches are
 * dit/scenes-pretrain.ts's), data-parallel over `--workers` threads (default 2, one per core of this project's
 * machine: each computes the gradients of its part of the batch, this thread averages them and takes the Adam
 * step), and writes
 * public/models/scenes/: the EMA of the weights, saved every `--save-every` steps so an interrupted run still
 * leaves a model. With `--grid FILE` it also writes a PNG of samples of the fixed eval prompts every `--grid-every`
 * steps and at the end (rows: 3 seen singles, 2 seen groups, 2 relations, 1 held-out; columns: seeds). `--minutes M` stops (and saves) after M minutes
 * of wall clock, whatever `--steps` says. Seeded: same seed, steps, batch, workers and backend => same weights.
 *   Run: node bin/run-ts.mjs scripts/pretrain-scenes.ts [--steps N] [--minutes M] [--workers 2] [--grid FILE] [--out DIR]
 *        [--init DIR [--init-matching]] [--conv C] [--alibi M] [--seed N] [--high-noise-share S] [--high-noise-from T] [--singles-only]
 *        [--layout spread|slots|lattice] [--batch B] [--edge-weight W]
 *        [--width W --depth D --heads H --key-pool 1|2 --patch P --mlp R] [--mix-ffn] [--self-cond]
 *        (--init: a further stage: start from DIR, another data seed, another share of the batch at t in [T, 1000);
 *        --layout slots|lattice: the world with its objects on fixed spots (src/core/scenes/layout.ts; lattice: nine of
 *        them), training and held-out pairs alike; the shipped model was trained on 'lattice', the ones before it on 'spread';
 *        --batch B: batches of B instead of the recipe's 64, the same learning rate and schedule;
 *        --edge-weight W: the loss weighs the pixels within 2 px of an object's outline 1 + W times the others
 *        (src/core/diffusion/dit/edge-weights.ts; the held-out loss stays the plain mean))
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT, SCENES_HELD_OUT_SEED, SCENES_PRETRAIN, SCENES_SAMPLER, SCENES_SCHEDULE, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { ditSampleImages } from '../src/core/diffusion/dit/sample';
import { ditGradientArrays, partRows, scenesPretrainBatch, scenesPretrainOptions } from '../src/core/diffusion/dit/scenes-pretrain';
import { promptTokens } from '../src/core/diffusion/dit/tokens';
import { drawDiTBatch, meanDiTLoss, type DiTBatch } from '../src/core/diffusion/dit/train';
import { placeContrast, shapeContrast } from '../src/core/diffusion/dit/word-contrast';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { Adam } from '../src/core/lm/adam';
import { pretrainLr } from '../src/core/lm/pretrain';
import { ownVariable } from '../src/core/lm/variables';
import { Rng } from '../src/core/rng';
import { isSceneLayout, SCENE_EVAL_SETS, SCENE_LAYOUTS, trainingPair } from '../src/core/scenes';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { readDiTFolder, saveEmbeddedDiT, writePng } from '../src/node/diffusion-files';
import { ditConfigFromFlags, DIT_DESIGN_OPTIONS } from '../src/node/dit-flags';
import { modelDir } from '../src/node/model-files';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' }, minutes: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
    grid: { type: 'string' }, 'grid-every': { type: 'string', default: '300' }, out: { type: 'string' },
    'save-every': { type: 'string', default: '100' }, workers: { type: 'string', default: '2' }, init: { type: 'string' },
    seed: { type: 'string' }, 'high-noise-share': { type: 'string' }, 'high-noise-from': { type: 'string' },
    'held-out': { type: 'string', default: '128' }, 'init-matching': { type: 'boolean' }, 'singles-only': { type: 'boolean' },
    layout: { type: 'string', default: 'spread' }, batch: { type: 'string' }, 'edge-weight': { type: 'string' }, ...DIT_DESIGN_OPTIONS,
  },
});
const R = SCENES_PRETRAIN;
const layout = values.layout;
if (!isSceneLayout(layout)) throw new Error(`--layout must be one of ${SCENE_LAYOUTS.join(', ')}`);
// --conv C, --alibi M, --width, --depth, --heads, --key-pool, --mix-ffn ...: another design or size of the same model, to
// compare designs (src/node/dit-flags.ts; a flag not given leaves the recipe's field, so --init accepts the recipe's models)
const C = ditConfigFromFlags(SCENES_DIT, values);
const steps = values.steps ? Number(values.steps) : R.steps;
const deadline = values.minutes ? performance.now() + Number(values.minutes) * 60_000 : Infinity;
const saveEvery = Number(values['save-every']);
const outDir = values.out ?? modelDir('scenes');
const backend = await initNodeBackend(values.backend as NodeBackend);
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
// --init DIR: start from a saved model of the same shape (e.g. an earlier stage of this recipe) instead of fresh weights
const init = values.init ? readDiTFolder(values.init) : null;
// --init-matching: the init folder may have another config; its weights whose names and sizes match are copied, the rest fresh
const matching = values['init-matching'] === true;
if (init && !matching && JSON.stringify(init.manifest.config) !== JSON.stringify(C)) throw new Error(`--init ${values.init}: its config differs from the recipe's`);
const model = new SceneDiT(C, matching ? undefined : init?.weights, R.seed);
if (init && matching) {
  const fresh: string[] = [];
  for (const [name, v] of model.weights()) {
    const w = init.weights.get(name);
    if (w && w.length === v.size) tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
    else fresh.push(name);
  }
  console.log(`--init-matching ${values.init}: fresh ${fresh.join(', ') || 'none'}`);
}
const vars = model.variables();
const ema = vars.map((v) => tf.tidy(() => ownVariable(tf.clone(v), `ema/${v.name}`, false)));
const names = [...model.weights().keys()];
const tokens = (prompt: string) => promptTokens(scenesWordIds(prompt), C.maxTokens);
const parts = Number(values.workers);

// --seed, --high-noise-share and --high-noise-from: another data stream (e.g. a further stage from --init), another
// share of the batch drawn at t in [from, T)
const batchOptions = {
  ...scenesPretrainOptions(C),
  ...(values.seed ? { seed: Number(values.seed) } : {}), ...(values['high-noise-share'] ? { highNoiseShare: Number(values['high-noise-share']) } : {}),
  ...(values['high-noise-from'] ? { highNoiseFrom: Number(values['high-noise-from']) } : {}),
  // --singles-only: every training caption one object (a probe; the held-out loss stays on the whole grammar)
  ...(values['singles-only'] ? { singlesOnly: true } : {}),
  ...(layout !== 'spread' ? { layout } : {}),
  // --batch B: another batch size than the recipe's (more, smaller steps in the same minutes), same learning rate
  ...(values.batch ? { batchSize: Number(values.batch) } : {}),
  // --edge-weight W: the pixels near outlines weigh 1 + W in the training loss (where a circle and a square differ)
  ...(values['edge-weight'] ? { edgeWeight: Number(values['edge-weight']) } : {}),
};
if (!(Number.isFinite(batchOptions.edgeWeight ?? 0) && (batchOptions.edgeWeight ?? 0) >= 0)) throw new Error('--edge-weight must be a number >= 0');
const batchSize = batchOptions.batchSize;
if (!(Number.isInteger(batchSize) && batchSize >= parts)) throw new Error(`--batch must be a whole number >= --workers (${parts})`);
console.log(`pretrain scenes: ${model.numParams()} params, ${steps} steps of ${batchSize} on ${parts} thread(s), backend ${backend}, writing ${outDir}`);
// gradient workers for parts 1 .. parts - 1 of every batch (this thread computes part 0)
const tsx = import.meta.resolve('tsx/esm/api');
const workerFile = new URL('./pretrain-scenes-worker.ts', import.meta.url).href;
const helpers = Array.from({ length: parts - 1 }, (_, k) => new Worker(
  `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(workerFile)}); })`,
  { eval: true, workerData: { config: C, part: k + 1, parts, backend, batchOptions } },
));
type Reply = { step: number; loss: number; grads: Float32Array[] };
const replies = helpers.map((h) => {
  const waiting: Array<(r: Reply) => void> = [];
  h.on('message', (m: Reply | 'ready') => { if (m !== 'ready') waiting.shift()!(m); });
  h.on('error', (e) => { console.error('gradient worker failed:', e); process.exit(1); });
  return (step: number, weights: Float32Array[]) => new Promise<Reply>((resolve) => {
    waiting.push(resolve);
    h.postMessage({ step, weights }, weights.map((w) => w.buffer as ArrayBuffer));
  });
});
const partShare = (k: number) => {
  const { from, to } = partRows(k, parts, batchSize);
  return (to - from) / batchSize;
};

// fixed held-out batches: pairs of seeds never drawn in training, fixed t and noise
const heldRng = Rng.derive(SCENES_HELD_OUT_SEED, 'scenes/held-out-noise');
const heldBatches: DiTBatch[] = [];
for (let o = 0; o < Number(values['held-out']); o += 64) {
  const pairs = Array.from({ length: 64 }, (_, i) => trainingPair(SCENES_HELD_OUT_SEED + o + i, C.imageSize, undefined, layout));
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
let running = 0;
let heldLoss = NaN;
let placeGap = NaN;
let shapeGap = NaN;
async function save(step: number, grid: boolean): Promise<number> {
  const w = await emaWeights();
  const emaModel = new SceneDiT(C, new Map([...w].map(([k, v]) => [k, v.values])));
  heldLoss = await meanDiTLoss(emaModel, heldBatches, schedule);
  placeGap = placeContrast(emaModel, C.imageSize);
  shapeGap = shapeContrast(emaModel, C.imageSize);
  if (values.grid && grid) await writeGrid(emaModel, values.grid);
  emaModel.dispose();
  return saveEmbeddedDiT('scenes', C, w, {
    task: 'scenes', seed: batchOptions.seed, steps: step, batchSize, lr: R.lr, backend, emaDecay: R.emaDecay,
    promptDropout: R.promptDropout, highNoiseShare: batchOptions.highNoiseShare ?? 0, highNoiseFrom: batchOptions.highNoiseFrom ?? 0,
    ...(batchOptions.singlesOnly ? { singlesOnly: true } : {}), ...(batchOptions.layout ? { layout: batchOptions.layout } : {}),
    ...(batchOptions.edgeWeight ? { edgeWeight: batchOptions.edgeWeight } : {}),
    ...(init ? { initFrom: values.init!, initSteps: Number(init.manifest.meta.steps), initSeconds: Number(init.manifest.meta.seconds) } : {}), trainLoss: Number(running.toFixed(4)), heldOutLoss: Number(heldLoss.toFixed(4)), placeContrast: Number(placeGap.toFixed(4)), shapeContrast: Number(shapeGap.toFixed(4)), seconds: seconds(),
  }, outDir);
}
let step = 0;
for (; step < steps && performance.now() < deadline; step++) {
  const current = await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
  const pending = replies.map((ask) => ask(step, current.map((w) => w.slice())));
  const own = await ditGradientArrays(model, vars, scenesPretrainBatch(step, 0, parts, batchOptions, schedule), schedule);
  const all = [own, ...(await Promise.all(pending))];
  let loss = 0;
  const sums = own.grads.map((g) => new Float32Array(g.length));
  all.forEach((r, k) => {
    const w = partShare(k);
    loss += w * r.loss;
    r.grads.forEach((g, i) => { const s = sums[i]!; for (let j = 0; j < g.length; j++) s[j]! += w * g[j]!; });
  });
  const lr = pretrainLr(step, { steps, lr: R.lr, warmup: R.warmup });
  tf.tidy(() => {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v, i) => { grads[v.name] = tf.tensor(sums[i]!, v.shape); });
    opt.apply(vars, grads, lr, R.gradClip);
  });
  const d = Math.min(R.emaDecay, (1 + step) / (10 + step));
  tf.tidy(() => ema.forEach((e, i) => e.assign(tf.add(tf.mul(e, d), tf.mul(vars[i]!, 1 - d)))));
  running = step === 0 ? loss : 0.98 * running + 0.02 * loss;
  if ((step + 1) % 20 === 0) console.log(`step ${step + 1}/${steps}  loss ${running.toFixed(4)}  lr ${lr.toExponential(2)}  ${seconds()} s`);
  if ((step + 1) % saveEvery === 0 && step + 1 < steps) {
    const bytes = await save(step + 1, (step + 1) % Number(values['grid-every']) === 0);
    console.log(`saved ${outDir} at step ${step + 1} (${(bytes / 1e6).toFixed(2)} MB), held-out loss ${heldLoss.toFixed(4)}, place contrast ${placeGap.toFixed(3)}, shape contrast ${shapeGap.toFixed(3)}  ${seconds()} s`);
  }
}
const bytes = await save(step, true);
console.log(`saved ${outDir} at step ${step} (${(bytes / 1e6).toFixed(2)} MB), held-out loss ${heldLoss.toFixed(4)}, place contrast ${placeGap.toFixed(3)}, shape contrast ${shapeGap.toFixed(3)}${step < steps ? ' (stopped by --minutes)' : ''}`);
console.log(`done in ${seconds()} s, final loss ${running.toFixed(4)}, held-out loss ${heldLoss.toFixed(4)}, place contrast ${placeGap.toFixed(3)}, shape contrast ${shapeGap.toFixed(3)}`);
opt.dispose();
model.dispose();
for (const e of ema) e.dispose();
for (const h of helpers) h.postMessage('stop');
