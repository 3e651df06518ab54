/**
 * What keeps the scenes DiT from learning the shape word? A toy of the world with little else to learn: fresh
 * weights (the shipped model's shape, SCENES_DIT), one large object a prompt, "a large C S in the middle", C from the
 * first --colours colours, S any of the three shapes. The object's centre is the image centre, or jittered by up to
 * +-jitter (image units) in x and y (the world's "in the middle" jitters by 0.05, its other places by far more).
 * Every --every steps it logs the batch loss and word-contrast.ts's measures: the shape contrast from pure noise
 * (1 = the centred templates, 0 = the word changes nothing), and the shape and colour contrasts of the one-step
 * estimate of a noised object at t = 700 (near the middle, four colours: with fewer colours, words the toy never saw).
 * The shape contrast from noise can reach no further than the same measure on the toy's own images, printed first as
 * the ceiling: 1 with a fixed centre, less the more the centre jitters (the mean image blurs the shapes).
 *   Run: node bin/run-ts.mjs scripts/scenes-shape-toy.ts [--jitter 0] [--colours 1] [--steps 400] [--every 100]
 * One worker thread (RAFTLAB_WASM_THREADS=1) runs about 1.8 s a step, so two runs side by side fit two cores.
 */
import { parseArgs } from 'node:util';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT, SCENES_PRETRAIN, SCENES_SCHEDULE, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { nullTokens, promptTokens } from '../src/core/diffusion/dit/tokens';
import { ditStep, drawDiTBatch } from '../src/core/diffusion/dit/train';
import { meanOfImages, shapeContrast, shapeContrastOf, wordContrastAt } from '../src/core/diffusion/dit/word-contrast';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { Adam } from '../src/core/lm/adam';
import { Rng } from '../src/core/rng';
import { COLOURS, renderScene, SHAPES, type SceneObject } from '../src/core/scenes';
import { initNodeBackend } from '../src/node/backend';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '400' }, every: { type: 'string', default: '100' }, jitter: { type: 'string', default: '0' },
    colours: { type: 'string', default: '1' }, batch: { type: 'string', default: '32' }, lr: { type: 'string', default: '8e-4' },
    seed: { type: 'string', default: String(SCENES_PRETRAIN.seed) },
  },
});
const steps = Number(values.steps), every = Number(values.every), jitter = Number(values.jitter), batchSize = Number(values.batch);
const lr = Number(values.lr), seed = Number(values.seed), colourCount = Number(values.colours);
if (!(jitter >= 0 && jitter <= 0.3)) throw new Error('--jitter must be from 0 to 0.3 (image units)');
if (!(Number.isInteger(colourCount) && colourCount >= 1 && colourCount <= COLOURS.length)) throw new Error(`--colours must be 1 to ${COLOURS.length}`);
if (![steps, every, batchSize].every((n) => Number.isInteger(n) && n > 0) || !(lr > 0)) throw new Error('--steps, --every, --batch and --lr must be positive');

await initNodeBackend('wasm');
const S = SCENES_DIT.imageSize;
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const colours = COLOURS.slice(0, colourCount);
const model = new SceneDiT(SCENES_DIT, undefined, seed);
const vars = model.variables();
const opt = new Adam();
const rng = new Rng(`scenes-shape-toy/${seed}`);
const WARMUP = 50;

const offset = (r: Rng) => (r.float() * 2 - 1) * jitter;

function drawObject(): SceneObject {
  return { shape: rng.pick(SHAPES), colour: rng.pick(colours), size: 'large', cx: 0.5 + offset(rng), cy: 0.5 + offset(rng) };
}

/** Toy images a shape for the ceiling. */
const CEILING_DRAWS = 1000;

/** The shape contrast of the toy's own images (red, as the measure's prompts): what the model's estimate can reach. */
function ceiling(): number {
  const r = new Rng(`scenes-shape-toy/ceiling/${jitter}`);
  return shapeContrastOf((shape) => meanOfImages(CEILING_DRAWS, S, () =>
    renderScene({ objects: [{ shape, colour: 'red', size: 'large', cx: 0.5 + offset(r), cy: 0.5 + offset(r) }] }, S)), S);
}

console.log(`toy: ${colourCount} colour(s), 3 shapes, centre jitter +-${jitter}, batch ${batchSize}, lr ${lr}, seed ${seed}`);
console.log(`the toy's own images: shape contrast from noise ${ceiling().toFixed(3)} (the model's ceiling)`);
const t0 = performance.now();
let lossSum = 0;
for (let step = 1; step <= steps; step++) {
  const objects = Array.from({ length: batchSize }, drawObject);
  const ids = objects.map((o) => (rng.chance(SCENES_PRETRAIN.promptDropout) ? nullTokens(SCENES_DIT.maxTokens) : promptTokens(scenesWordIds(`a large ${o.colour} ${o.shape} in the middle`), SCENES_DIT.maxTokens)));
  const batch = drawDiTBatch(objects.map((o) => renderScene({ objects: [o] }, S)), ids, S, schedule, rng);
  lossSum += await ditStep(model, vars, opt, batch, schedule, lr * Math.min(1, step / WARMUP), SCENES_PRETRAIN.gradClip);
  if (step % every === 0 || step === steps) {
    const n = step % every === 0 ? every : step % every;
    const at = (word: 'shape' | 'colour') => wordContrastAt(model, S, 700, schedule, word).toFixed(3);
    const secs = Math.round((performance.now() - t0) / 1000);
    console.log(`step ${step} (${secs} s): loss ${(lossSum / n).toFixed(4)}, shape contrast from noise ${shapeContrast(model, S).toFixed(3)}, at t 700: shape ${at('shape')} colour ${at('colour')}`);
    lossSum = 0;
  }
}
model.dispose();
