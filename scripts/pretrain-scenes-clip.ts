/**
 * Pre-trains the scenes CLIP (src/core/scenes/clip/), the learned reward `clip-score` of task scenes, and writes it
 * to public/models/scenes-clip/ (model.json + weights.bin):
 *   node bin/run-ts.mjs scripts/pretrain-scenes-clip.ts [--steps 4000] [--batch 128] [--lr 0.002] [--seed 1] [--out DIR]
 *   node bin/run-ts.mjs scripts/pretrain-scenes-clip.ts --eval-only [--out DIR]   (the saved model: calibrate, measure)
 *   [--layout spread|slots|lattice]: the world's layout (src/core/scenes/layout.ts) for training, calibration and the
 *   measures alike (default spread, the world the shipped CLIP was trained on); with --eval-only, how a CLIP trained
 *   on one layout reads the images of another
 * Training pairs come from trainingPair (never a held-out combination); Adam with 100 warm-up steps and a cosine
 * decay to a tenth, global-norm clipping at 1. Prints the loss every 100 steps; at the end it sets the reward's map
 * (rewardLo, rewardHi: clip/reward.ts) from 1024 fresh training pairs (seeds 2e9 + i, never trained on), then measures retrieval (seen singles, seen
 * groups, held-out, relations), one-word hard negatives per attribute and the correlation of clip-score with
 * fidelity, at 32 px and at 48 px (downscaled), and both rewards on spoiled images (blur, noise, blank, mismatch). Seeded: the same flags and backend give the same model.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../src/core/lm/adam';
import { isSceneLayout, SCENE_LAYOUTS, SCENE_MAX_WORDS, SCENE_VOCAB, trainingPair } from '../src/core/scenes';
import { evaluateSceneClip, spoiledScores, type ClipEvalReport } from '../src/core/scenes/clip/eval';
import { initSceneClip, SceneClip, type SceneClipConfig } from '../src/core/scenes/clip/model';
import { dot, embedImageArrays, embedPromptArrays } from '../src/core/scenes/clip/score';
import { clipBatch, clipTrainStep } from '../src/core/scenes/clip/train';
import { packSceneClip, unpackSceneClip, type SceneClipManifest } from '../src/core/scenes/clip/weights-io';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { modelDir } from '../src/node/model-files';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const steps = flag('--steps', 4000);
const batch = flag('--batch', 128);
const lr = flag('--lr', 0.002);
const seed = flag('--seed', 1);
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? args[outIdx + 1]! : modelDir('scenes-clip');
const layoutIdx = args.indexOf('--layout');
const layout = layoutIdx >= 0 ? args[layoutIdx + 1] : 'spread';
if (!isSceneLayout(layout)) throw new Error(`--layout must be one of ${SCENE_LAYOUTS.join(', ')}`);
const backend = await initNodeBackend((process.env.RAFTLAB_BACKEND as NodeBackend) ?? 'wasm');

const evalOnly = args.includes('--eval-only');
let config: SceneClipConfig = {
  imageSize: 32, channels: [32, 64, 64], hidden: 192, dim: 64,
  vocabSize: SCENE_VOCAB.length, maxWords: SCENE_MAX_WORDS, wordDim: 32, rewardLo: -1, rewardHi: 1,
};
let trainedMeta: SceneClipManifest['meta'] = {};
let model: SceneClip;
if (evalOnly) {
  const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as SceneClipManifest;
  config = manifest.config;
  trainedMeta = manifest.meta;
  model = new SceneClip(config, unpackSceneClip(manifest, readFileSync(join(out, 'weights.bin'))));
  console.log(`scenes CLIP from ${out}: ${model.numParams()} parameters (trained ${JSON.stringify(trainedMeta)})`);
} else {
  model = new SceneClip(config, initSceneClip(config, seed), true);
  console.log(`scenes CLIP: ${model.numParams()} parameters, ${steps} steps of ${batch} pairs, lr ${lr}, seed ${seed}, backend ${backend}`);
}
const opt = new Adam();
const t0 = performance.now();
let window: number[] = [];
const losses: number[] = [];
for (let step = 0; step < (evalOnly ? 0 : steps); step++) {
  const rate = step < 100 ? (lr * (step + 1)) / 100 : lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (step - 100)) / Math.max(1, steps - 100))));
  window.push(await clipTrainStep(model, opt, clipBatch(seed, step, batch, config.imageSize, config.maxWords, layout), rate, 1));
  if ((step + 1) % 100 === 0 || step === steps - 1) {
    const m = window.reduce((a, b) => a + b, 0) / window.length;
    losses.push(m);
    const scale = model.scale();
    console.log(`step ${step + 1}: loss ${m.toFixed(4)}, scale ${(await scale.data())[0]!.toFixed(1)}, lr ${rate.toExponential(2)}, ${((performance.now() - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors`);
    scale.dispose();
    window = [];
  }
}
const trainSeconds = (performance.now() - t0) / 1000;

// the reward's map: cosines of 1024 fresh pairs with their own caption and with the next pair's
const calib = Array.from({ length: 1024 }, (_, i) => trainingPair(2e9 + i, 32, undefined, layout)); // training draws seeds 1e9 + ... (clipBatch)
const ie = await embedImageArrays(model, calib.map((p) => p.pixels));
const te = await embedPromptArrays(model, calib.map((p) => p.prompt));
const quantile = (x: number[], q: number) => x.slice().sort((a, b) => a - b)[Math.floor(q * (x.length - 1))]!;
const matched = ie.map((e, i) => dot(e, te[i]!));
const mismatched = ie.map((e, i) => dot(e, te[(i + 1) % te.length]!));
config.rewardLo = Math.round(quantile(mismatched, 0.5) * 1e4) / 1e4;
config.rewardHi = Math.round(quantile(matched, 0.95) * 1e4) / 1e4;
console.log(`cosines of fresh training pairs: own caption median ${quantile(matched, 0.5).toFixed(3)} (5% ${quantile(matched, 0.05).toFixed(3)}, 95% ${config.rewardHi}); another pair's caption median ${config.rewardLo} (95% ${quantile(mismatched, 0.95).toFixed(3)})`);
console.log(`reward = clamp((cos - ${config.rewardLo}) / (${config.rewardHi} - ${config.rewardLo}), 0, 1)`);

const f3 = (x: number) => x.toFixed(3);
const reports: ClipEvalReport[] = [];
for (const size of [32, 48]) {
  const r = await evaluateSceneClip(model, { size, layouts: 4, seed: 7, layout });
  reports.push(r);
  console.log(`\n${size} px (${r.layouts} layouts per eval prompt${size !== 32 ? `, downscaled to ${config.imageSize}` : ''}):`);
  console.log(`  retrieval top-1 among the set's 12 prompts: seen singles ${f3(r.retrieval.seenSingles)}, seen groups ${f3(r.retrieval.seenMulti)}, held-out ${f3(r.retrieval.heldOut)}, relations ${f3(r.retrieval.relations)}`);
  console.log(`  own prompt above its one-word edits:        seen singles ${f3(r.hardNegatives.seenSingles)}, seen groups ${f3(r.hardNegatives.seenMulti)}, held-out ${f3(r.hardNegatives.heldOut)}, relations ${f3(r.hardNegatives.relations)}`);
  console.log(`  by edit: ${Object.entries(r.byEdit).map(([k, v]) => `${k} ${f3(v!.accuracy)} (${v!.pairs})`).join(', ')}`);
  for (const set of ['heldOut', 'relations'] as const) {
    console.log(`    ${set}: ${Object.entries(r.byEditPerSet[set]).map(([k, v]) => `${k} ${f3(v!.accuracy)} (${v!.pairs})`).join(', ')}`);
  }
  console.log(`  clip-score: own prompt ${f3(r.meanOwn)}, edits ${f3(r.meanEdit)}; Pearson r with fidelity ${f3(r.fidelityCorrelation)} over ${r.pairs} pairs`);
}

console.log('\nclip-score and fidelity of spoiled eval images (32 px, 2 layouts of each of the 48 eval prompts):');
for (const v of await spoiledScores(model, { layouts: 2, seed: 7, layout })) console.log(`  ${v.what.padEnd(24)} clip-score ${f3(v.clipScore)}  fidelity ${f3(v.fidelity)}`);

const weights = await model.values();
const meta = {
  ...(evalOnly ? trainedMeta : {
    task: 'scenes', seed, steps, batch, lr, backend, params: model.numParams(),
    trainSeconds: Math.round(trainSeconds), finalLoss: Math.round(losses[losses.length - 1]! * 1e4) / 1e4,
    ...(layout !== 'spread' ? { layout } : {}),
  }),
  retrievalSeen32: reports[0]!.retrieval.seenSingles, retrievalHeldOut32: reports[0]!.retrieval.heldOut, retrievalRelations32: reports[0]!.retrieval.relations,
};
const { manifest, data } = packSceneClip(config, weights, meta);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.json'), JSON.stringify(manifest, null, 1) + '\n');
writeFileSync(join(out, 'weights.bin'), data);
console.log(`\nwrote ${out} (${data.byteLength} bytes of weights)${evalOnly ? '' : ` after ${trainSeconds.toFixed(0)} s of training`}`);
model.dispose();
opt.dispose();
