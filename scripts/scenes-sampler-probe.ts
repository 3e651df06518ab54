/**
 * Does the sampler hold the scenes DiT back? The eval sets' fidelity (the same prompts and noise seeds as
 * scripts/eval-scenes.ts: dit/eval-items.ts) under a generalised DDIM: `--eta` adds fresh noise at every step
 * (ddim.ts ddimUpdate's generalised step; eta 0 is the lab's deterministic DDIM, eta 1 DDPM-like ancestral sampling;
 * the step noise is seeded per image and step), and `--guidance-from T0 --guidance-to T1` applies classifier-free
 * guidance only at timesteps in [T0, T1] (the conditional prediction elsewhere; Kynkäänniemi et al. 2024's guidance
 * interval). With eta 0 and the whole interval it gives eval-scenes' figures exactly. A self-conditioned model is
 * handed each step's estimate as the lab's sampler does (with guidance, the guided one); `--no-estimate` gives it
 * none (zeros) at every step, `--conditional-estimate` hands on the conditional pass's (unguided) estimate instead.
 *   Run: node bin/run-ts.mjs scripts/scenes-sampler-probe.ts [--model DIR] [--sets seenSingles,seenMulti] [--seeds 4]
 *        [--ddim-steps 20] [--guidance 3] [--eta 0] [--guidance-from 0] [--guidance-to 1000] [--no-estimate | --conditional-estimate] [--grid FILE]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selfCondOf } from '../src/core/diffusion/dit/config';
import { evalItems, evalLine, evalScore } from '../src/core/diffusion/dit/eval-items';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_SAMPLER, SCENES_SCHEDULE } from '../src/core/diffusion/dit/recipe';
import { disposeText, encodePrompts, guidanceIds, guidedV } from '../src/core/diffusion/dit/sample';
import { x0FromV } from '../src/core/diffusion/dit/train';
import { ddimUpdate, finalPixels, seedNoise } from '../src/core/diffusion/ddim';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule, ddimTimesteps } from '../src/core/diffusion/schedule';
import { SCENE_EVAL_SETS } from '../src/core/scenes';
import { initNodeBackend } from '../src/node/backend';
import { readDiTFolder, writePng } from '../src/node/diffusion-files';
import { modelDir } from '../src/node/model-files';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, sets: { type: 'string' }, seeds: { type: 'string', default: '4' },
  'ddim-steps': { type: 'string', default: String(SCENES_SAMPLER.steps) }, guidance: { type: 'string', default: String(SCENES_SAMPLER.guidance) },
  eta: { type: 'string', default: '0' }, 'guidance-from': { type: 'string', default: '0' }, 'guidance-to': { type: 'string', default: '1000' },
  grid: { type: 'string' }, 'no-estimate': { type: 'boolean' }, 'conditional-estimate': { type: 'boolean' },
} });
await initNodeBackend('wasm');
const dir = values.model ?? modelDir('scenes');
const { manifest, weights } = readDiTFolder(dir);
const model = new SceneDiT(manifest.config, weights);
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const S = manifest.config.imageSize, px = S * S * 3, L = manifest.config.maxTokens;
const eta = Number(values.eta), g = Number(values.guidance), gFrom = Number(values['guidance-from']), gTo = Number(values['guidance-to']);
const ts = ddimTimesteps(schedule, Number(values['ddim-steps']));

/** One batch of prompts' token rows and their noise seeds -> pixels in [0, 1]. */
async function sampleBatch(ids: Int32Array, seeds: readonly number[]): Promise<Float32Array> {
  const b = seeds.length;
  const guided = encodePrompts(model, guidanceIds(ids, b, L, g), g === 1 ? b : 2 * b);
  const plain = encodePrompts(model, ids, b);
  const noiseOf = (seedOf: (s: number) => number) => {
    const out = new Float32Array(b * px);
    seeds.forEach((s, j) => out.set(seedNoise(seedOf(s), px), j * px));
    return tf.tensor4d(out, [b, S, S, 3]);
  };
  let x = noiseOf((s) => s);
  // a self-conditioned model is handed each step's estimate, as dit/sample.ts does
  let x0: tf.Tensor4D | undefined;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!, aBar = schedule.alphaBar[t]!, aPrev = i + 1 < ts.length ? schedule.alphaBar[ts[i + 1]!]! : 1;
    const last = i + 1 === ts.length;
    const z = eta > 0 && !last ? noiseOf((s) => s * 1000 + i + 1) : null;
    const [next, estimate] = tf.tidy(() => {
      const isGuided = t >= gFrom && t <= gTo && g !== 1;
      const v = isGuided ? guidedV(model, x, t, guided, g, x0) : guidedV(model, x, t, plain, 1, x0);
      const stepped = ddimUpdate(x, v, aBar, aPrev, last, z ? { z, eta } : undefined);
      if (!selfCondOf(model.config) || values['no-estimate']) return [stepped];
      // the conditional pass again (the guided pass's first half) when its unguided estimate is to be handed on
      const handed = isGuided && values['conditional-estimate'] ? guidedV(model, x, t, plain, 1, x0) : v;
      return [stepped, x0FromV(x, handed, new Array(b).fill(t), schedule)];
    }) as [tf.Tensor4D, tf.Tensor4D?];
    tf.dispose([z ?? [], x, x0 ?? []]);
    x = next;
    x0 = estimate;
  }
  x0?.dispose();
  disposeText(guided);
  disposeText(plain);
  return finalPixels(x);
}

const seeds = Number(values.seeds);
const want = values.sets?.split(',');
console.log(`${dir}: step ${manifest.meta.steps}, DDIM ${ts.length} steps, eta ${eta}, guidance ${g} at t in [${gFrom}, ${gTo}], ${seeds} seeds a prompt`);
const all: Float32Array[] = [];
for (const [set, prompts] of Object.entries(SCENE_EVAL_SETS)) {
  if (want && !want.includes(set)) continue;
  const items = evalItems(prompts, seeds, L);
  const images: Float32Array[] = [];
  for (let k = 0; k < items.length; k += 32) {
    const chunk = items.slice(k, k + 32);
    const ids = new Int32Array(chunk.length * L);
    chunk.forEach((c, j) => ids.set(c.ids, j * L));
    const flat = await sampleBatch(ids, chunk.map((c) => c.seed));
    for (let j = 0; j < chunk.length; j++) images.push(flat.slice(j * px, (j + 1) * px));
  }
  console.log(evalLine(set, evalScore(images, prompts, seeds)));
  all.push(...images);
}
if (values.grid) {
  const gr = imageGrid(all, { columns: 4 * seeds, scale: 3 });
  writePng(values.grid, gr.rgb, gr.width, gr.height);
  console.log(`wrote ${values.grid}`);
}
model.dispose();
