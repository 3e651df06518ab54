/**
 * The scenes DiT's fidelity on the world's fixed eval sets (src/core/scenes/eval-sets.ts: seen singles, seen groups,
 * held-out combinations, relations): `--seeds` images per prompt from fixed noise seeds, scored by the verified
 * `fidelity` detector; prints the mean and the pass rate (fidelity 1) per set, and with `--grid FILE` writes the
 * images (4 prompts a row, each as `--seeds` columns; the sets in order, a set is 3 rows). `--model DIR` reads another model folder (e.g. a checkpoint).
 * `--run-dir DIR` adds the LoRA adapters of a scenes run's newest checkpoint (`npx raftlab run --task scenes --lora R
 * --run-dir DIR`), so an adapter trained at one size can be measured at another (`--size`); `--prompts 'a; b'` scores
 * those prompts (one set, `prompts`) instead of the eval sets. The same seeds with and without an adapter.
 * `--breakdown` also prints the mean of each part of the detector's score per set (which attributes the images miss).
 *   Run: node bin/run-ts.mjs scripts/eval-scenes.ts [--seeds 4] [--size 32] [--guidance 3] [--ddim-steps 20] [--grid FILE]
 *        [--model DIR] [--run-dir DIR] [--prompts 'p1; p2'] [--breakdown]
 */
import { parseArgs } from 'node:util';
import { breakdownLine, evalItems, evalLine, evalScore } from '../src/core/diffusion/dit/eval-items';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_SAMPLER, SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { ditSampleImages } from '../src/core/diffusion/dit/sample';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { scenePromptList } from '../src/core/scenes/prompt-list';
import { RunDir } from '../src/node/run-dir';
import * as tf from '@tensorflow/tfjs';
import { SCENE_EVAL_SETS } from '../src/core/scenes';
import { initNodeBackend, type NodeBackend } from '../src/node/backend';
import { readDiTFolder, writePng } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, seeds: { type: 'string', default: '4' }, size: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
    guidance: { type: 'string', default: String(SCENES_SAMPLER.guidance) }, 'ddim-steps': { type: 'string', default: String(SCENES_SAMPLER.steps) },
    grid: { type: 'string' }, 'run-dir': { type: 'string' }, prompts: { type: 'string' }, breakdown: { type: 'boolean' },
  },
});
await initNodeBackend(values.backend as NodeBackend);
const dir = values.model ?? modelDir('scenes');
const { manifest, weights } = readDiTFolder(dir);
const model = new SceneDiT(manifest.config, weights);
if (values['run-dir']) {
  const run = RunDir.open(values['run-dir']);
  const { state, notes } = run.latestState(run.meta.baseModel);
  const last = run.checkpointCycles()[0];
  for (const n of notes) console.log(n);
  if (!state) throw new Error(`${values['run-dir']}: no checkpoint to read adapters from`);
  const c = run.meta.config;
  const lora = model.attachLora({ rank: c.lora > 0 ? c.lora : c.imageLoraRank, alpha: c.loraAlpha }, c.seed);
  for (const [name, v] of lora.named()) {
    const w = state.weights.get(name);
    if (!w || w.values.length !== v.size) throw new Error(`${values['run-dir']}: no adapter ${name} of this model`);
    tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
  }
  console.log(`adapters of ${values['run-dir']} after cycle ${last} (trained at ${c.imageSize} px)`);
}
const size = Number(values.size ?? manifest.config.imageSize);
const seeds = Number(values.seeds);
const sampler = { steps: Number(values['ddim-steps']), guidance: Number(values.guidance) };
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
console.log(`${dir}: step ${manifest.meta.steps}, ${size} px, ${seeds} seeds a prompt, DDIM ${sampler.steps}, guidance ${sampler.guidance}`);
const all: Float32Array[] = [];
const sets: Record<string, readonly string[]> = values.prompts ? { prompts: scenePromptList(values.prompts) } : SCENE_EVAL_SETS;
for (const [set, prompts] of Object.entries(sets)) {
  const images = await ditSampleImages(model, schedule, evalItems(prompts, seeds, manifest.config.maxTokens), size, sampler);
  const score = evalScore(images, prompts, seeds);
  console.log(evalLine(set, score));
  // --breakdown: the mean of each part of the detector's score (which attributes the images miss)
  if (values.breakdown) console.log(breakdownLine(score.breakdown));
  all.push(...images);
}
if (values.grid) {
  const g = imageGrid(all, { columns: 4 * seeds, scale: 3 });
  writePng(values.grid, g.rgb, g.width, g.height);
  console.log(`wrote ${values.grid}`);
}
model.dispose();
