/**
 * What keeps the scenes DiT from learning the shape word? A toy of the world with little else to learn: fresh
 * weights (the shipped model's shape, SCENES_DIT), one large object a prompt, "a large C S in the middle", C from the
 * first --colours colours, S any of the three shapes. The object's centre is the image centre, or jittered by up to
 * +-jitter (image units) in x and y (the world's "in the middle" jitters by 0.05, its other places by far more).
 * Every --every steps it logs the batch loss and word-contrast.ts's measures: the shape contrast from pure noise
 * (1 = the centred templates, 0 = the word changes nothing), and the shape and colour contrasts of the one-step
 * estimate of a noised object at t = 700 (near the middle, four colours: with fewer colours, words the toy never saw);
 * then the detector on sampled images (sampledShapes), which is what the word is for.
 * The shape contrast from noise can reach no further than the same measure on the toy's own images, printed first as
 * the ceiling: 1 with a fixed centre, less the more the centre jitters (the mean image blurs the shapes).
 * --places left,middle,... (default middle): the prompt names one of these place words, drawn a prompt, and the object's
 * centre is that place's fixed spot (layout.ts SLOT_SPOTS: the middle of the world's allowed range for a large object) plus the
 * jitter. This asks whether the world could keep its place words with a fixed spot each: does a model learn the
 * shapes at several fixed spots as it does at one? The samples then go round the places too, and are counted by place.
 * --grid instead puts the object on one of nine fixed slots (a 3 x 3 grid at 0.17, 0.5 and 0.83: a row of three large
 * objects fits, GAP apart), and the prompt names one of the place words that slot satisfies (a corner: two words, drawn;
 * the centre: "in the middle"), so a place word leaves the model up to three slots to choose from, as it would in a
 * world of fixed slots with two or three objects a scene. Its samples go round the five place words.
 * --count 2|3 draws that many objects of the prompt's colour and shape ("two large red squares at the top"): a row
 * through the place's spot (a column on the left and right), centres 0.33 apart (GAP between two large objects),
 * each jittered; not with --grid or the U-Net.
 * --images DIR writes each log's samples as DIR/step-N.png (a row a shape, the asked places and colours across).
 * --model unet trains the shapes U-Net's design (unet.ts) at 32 px instead, a class a prompt (every colour-shape pair,
 * and the null prompt): its convolutions draw a shape the same way wherever it is, which the DiT has to learn place by
 * place. The prompts of the toy are a fixed phrase round a colour and a shape, so a class says all a prompt does.
 *   Run: node bin/run-ts.mjs scripts/scenes-shape-toy.ts [--model dit|unet] [--jitter 0] [--colours 1] [--steps 400]
 *        [--every 100] [--places middle | --grid] [--count 1] [--samples 8] [--images DIR]
 * One worker thread (RAFTLAB_WASM_THREADS=1) runs about 1.8 s a DiT step, so two runs side by side fit two cores.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT, SCENES_PRETRAIN, SCENES_SAMPLER, SCENES_SCHEDULE, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { nullTokens, promptTokens } from '../src/core/diffusion/dit/tokens';
import { ditStep, drawDiTBatch, type DiTBatch } from '../src/core/diffusion/dit/train';
import { meanOfImages, shapeContrast, shapeContrastOf, wordContrastAt } from '../src/core/diffusion/dit/word-contrast';
import { ddimLoop } from '../src/core/diffusion/ddim';
import { guidanceIds } from '../src/core/diffusion/dit/sample';
import { imageGrid } from '../src/core/diffusion/png';
import { cosineSchedule, type NoiseSchedule } from '../src/core/diffusion/schedule';
import { SHAPES_UNET } from '../src/core/diffusion/shapes-recipe';
import { denoiseStep } from '../src/core/diffusion/train';
import { UNet } from '../src/core/diffusion/unet';
import { Adam } from '../src/core/lm/adam';
import { Rng } from '../src/core/rng';
import { COLOURS, detectObjects, fidelity, MIN_FIT, parsePrompt, PLACES, PLURALS, renderScene, SHAPES, SLOT_ROW, SLOT_SPOTS, type Place, type SceneObject, type Shape } from '../src/core/scenes';
import { initNodeBackend } from '../src/node/backend';
import { writePng } from '../src/node/diffusion-files';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '400' }, every: { type: 'string', default: '100' }, jitter: { type: 'string', default: '0' },
    colours: { type: 'string', default: '1' }, batch: { type: 'string', default: '32' }, lr: { type: 'string', default: '8e-4' },
    seed: { type: 'string', default: String(SCENES_PRETRAIN.seed) }, model: { type: 'string', default: 'dit' },
    places: { type: 'string', default: 'middle' }, grid: { type: 'boolean', default: false }, count: { type: 'string', default: '1' }, samples: { type: 'string', default: '8' }, images: { type: 'string' },
  },
});
if (values.model !== 'dit' && values.model !== 'unet') throw new Error('--model must be dit or unet');
const steps = Number(values.steps), every = Number(values.every), jitter = Number(values.jitter), batchSize = Number(values.batch);
const lr = Number(values.lr), seed = Number(values.seed), colourCount = Number(values.colours);
if (!(jitter >= 0 && jitter <= 0.3)) throw new Error('--jitter must be from 0 to 0.3 (image units)');
if (!(Number.isInteger(colourCount) && colourCount >= 1 && colourCount <= COLOURS.length)) throw new Error(`--colours must be 1 to ${COLOURS.length}`);
/** --places' short names; each place's fixed spot is the world's slots-layout spot (layout.ts SLOT_SPOTS). */
const PLACE_NAMES: Readonly<Record<string, Place>> = {
  left: 'on the left', right: 'on the right', top: 'at the top', bottom: 'at the bottom', middle: 'in the middle',
};
const spots = values.places.split(',').map((name) => {
  const place = PLACE_NAMES[name.trim()];
  if (!place) throw new Error(`--places: unknown place "${name}" (use ${Object.keys(PLACE_NAMES).join(', ')})`);
  return { place, cx: SLOT_SPOTS[place].cx, cy: SLOT_SPOTS[place].cy };
});
/** --grid's slots (x and y each at 0.17, 0.5, 0.83) with the place words each satisfies. */
const GRID = [0.17, 0.5, 0.83];
const SLOTS = GRID.flatMap((cy, row) => GRID.map((cx, col) => ({
  cx, cy,
  places: [
    ...(col === 0 ? ['on the left' as const] : col === 2 ? ['on the right' as const] : []),
    ...(row === 0 ? ['at the top' as const] : row === 2 ? ['at the bottom' as const] : []),
    ...(col === 1 && row === 1 ? ['in the middle' as const] : []),
  ] as Place[],
})));
if (values.grid && values.places !== 'middle') throw new Error('--grid and --places are one or the other');
/** The place words the samples ask for, in turn. */
const placesAsked: Place[] = values.grid ? [...PLACES] : spots.map((s) => s.place);
/** A training object's centre and the place word its prompt names (one place: no draw, so a run of the centre alone keeps its earlier stream). */
function drawSpot(r: Rng): { place: Place; cx: number; cy: number } {
  if (!values.grid) return spots.length > 1 ? r.pick(spots) : spots[0]!;
  const slot = r.pick(SLOTS);
  return { cx: slot.cx, cy: slot.cy, place: slot.places.length > 1 ? r.pick(slot.places) : slot.places[0]! };
}
const samplesPerShape = Number(values.samples);
const count = Number(values.count);
if (![1, 2, 3].includes(count)) throw new Error('--count must be 1, 2 or 3');
if (count > 1 && (values.grid || values.model === 'unet')) throw new Error('--count 2 or 3 is for the DiT at fixed places (not with --grid or --model unet)');
/** The offsets of --count objects' centres along their row, from the spot: the world's slots layout's. */
const ROW = SLOT_ROW[count as 1 | 2 | 3];
if (![steps, every, batchSize, samplesPerShape].every((n) => Number.isInteger(n) && n > 0) || !(lr > 0)) throw new Error('--steps, --every, --batch, --samples and --lr must be positive');

await initNodeBackend('wasm');
const S = SCENES_DIT.imageSize;
const schedule = cosineSchedule(SCENES_SCHEDULE.steps);
const colours = COLOURS.slice(0, colourCount);
const rng = new Rng(`scenes-shape-toy/${seed}`);
const WARMUP = 50;

/** The toy's one phrase round a colour, a shape and a place, and its token row (the DiT's tokens; the U-Net's class key). */
const toyPrompt = (colour: string, shape: string, place: Place) =>
  count === 1 ? `a large ${colour} ${shape} ${place}` : `${count === 2 ? 'two' : 'three'} large ${colour} ${PLURALS[shape as Shape]} ${place}`;
const toyTokens = (colour: string, shape: string, place: Place) => promptTokens(scenesWordIds(toyPrompt(colour, shape, place)), SCENES_DIT.maxTokens);

/**
 * The shapes U-Net's design at 32 px, conditioned on a class a prompt of the toy's phrase (every colour-shape-place
 * triple of the world, so that any prompt word-contrast.ts asks about has its class; the last class is the null prompt), behind
 * the DiT's forward(x, t, token rows) so that word-contrast.ts measures it the same way.
 */
class ClassUNet {
  readonly config = SCENES_DIT;
  readonly #unet: UNet;
  readonly #classOf = new Map<string, number>();

  constructor(seed: number) {
    const pairs = COLOURS.flatMap((c) => SHAPES.flatMap((s) => PLACES.map((p) => toyTokens(c, s, p))));
    pairs.forEach((row, i) => this.#classOf.set(row.join(), i));
    this.#classOf.set(nullTokens(SCENES_DIT.maxTokens).join(), pairs.length);
    this.#unet = new UNet({ ...SHAPES_UNET, size: S, numClasses: pairs.length + 1 }, undefined, seed);
  }

  #labels(ids: Int32Array): number[] {
    const L = SCENES_DIT.maxTokens;
    return Array.from({ length: ids.length / L }, (_, i) => {
      const c = this.#classOf.get(Array.from(ids.subarray(i * L, (i + 1) * L)).join());
      if (c === undefined) throw new Error('toy U-Net: a prompt outside the toy\'s phrase');
      return c;
    });
  }

  forward(x: tf.Tensor4D, t: readonly number[], ids: Int32Array): tf.Tensor4D {
    return this.#unet.forward(x, t, this.#labels(ids));
  }

  variables(): tf.Variable[] {
    return this.#unet.variables();
  }

  /** One Adam step on the v-prediction loss (train.ts's denoiseStep, with the batch's prompts as classes). Returns the batch loss. */
  step(vars: tf.Variable[], opt: Adam, batch: DiTBatch, schedule: NoiseSchedule, lr: number, clip: number): Promise<number> {
    return denoiseStep(this.#unet, vars, opt, { images: batch.images, noise: batch.noise, t: batch.t, labels: this.#labels(batch.ids) }, schedule, lr, clip);
  }

  dispose(): void {
    this.#unet.dispose();
  }
}

const model = values.model === 'unet' ? new ClassUNet(seed) : new SceneDiT(SCENES_DIT, undefined, seed);
const vars = model.variables();
const opt = new Adam();

const offset = (r: Rng) => (r.float() * 2 - 1) * jitter;

/** A training image's objects (--count of one colour and shape, in a row through the spot), and its prompt's words. */
function drawScene(): { objects: SceneObject[]; shape: Shape; colour: string; place: Place } {
  const shape = rng.pick(SHAPES), colour = rng.pick(colours);
  const spot = drawSpot(rng);
  const { column } = SLOT_SPOTS[spot.place];
  const objects = ROW.map((d) => ({
    shape, colour, size: 'large' as const,
    cx: spot.cx + (column ? 0 : d) + offset(rng), cy: spot.cy + (column ? d : 0) + offset(rng),
  }));
  return { objects, shape, colour, place: spot.place };
}

/** Toy images a shape for the ceiling. */
const CEILING_DRAWS = 1000;

/** The shape contrast of the toy's own images (red, as the measure's prompts): what the model's estimate can reach. */
function ceiling(): number {
  const r = new Rng(`scenes-shape-toy/ceiling/${jitter}`);
  return shapeContrastOf((shape) => meanOfImages(CEILING_DRAWS, S, () =>
    renderScene({ objects: [{ shape, colour: 'red', size: 'large', cx: 0.5 + offset(r), cy: 0.5 + offset(r) }] }, S)), S);
}


/**
 * What the run is for: DDIM samples (SCENES_SAMPLER, seeded noise) of --samples prompts a shape (the places in turn,
 * and the toy's colours in turn over those): the mean of the detector's shape score on them (fidelity.ts: 1 = the prompt's shape, crisply
 * drawn; its colour score beside it, the word every model learns), and how often the best-fitting object found is of
 * the prompt's shape, by place when there are several. --images: the samples as one PNG a log.
 */
async function sampledShapes(step: number): Promise<string> {
  const P = placesAsked.length;
  const asked = SHAPES.flatMap((shape) => Array.from({ length: samplesPerShape }, (_, i) =>
    ({ shape, place: placesAsked[i % P]!, colour: colours[Math.floor(i / P) % colours.length]! })));
  const b = asked.length, L = SCENES_DIT.maxTokens, { steps: n, guidance } = SCENES_SAMPLER;
  const ids = guidanceIds(Int32Array.from(asked.flatMap((o) => [...toyTokens(o.colour, o.shape, o.place)])), b, L, guidance);
  const r = new Rng('scenes-shape-toy/samples');
  const noise = tf.tensor4d(Float32Array.from({ length: b * S * S * 3 }, () => r.normal()), [b, S, S, 3]);
  const px = await ddimLoop(noise, schedule, n, (x, t) => {
    const both = model.forward(tf.concat([x, x], 0) as tf.Tensor4D, new Array(2 * b).fill(t), ids);
    const [cond, unc] = tf.split(both, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    return tf.add(unc, tf.mul(tf.sub(cond, unc), guidance));
  });
  const images = asked.map((_, i) => px.subarray(i * S * S * 3, (i + 1) * S * S * 3));
  if (values.images) {
    mkdirSync(values.images, { recursive: true });
    const g = imageGrid(images, { columns: samplesPerShape, scale: 4 });
    writePng(join(values.images, `step-${step}.png`), g.rgb, g.width, g.height);
  }
  let score = 0, colour = 0, counted = 0, found = 0, named = 0;
  const byPlace = new Map(placesAsked.map((p) => [p, { found: 0, named: 0 }]));
  asked.forEach((o, i) => {
    const im = images[i]!;
    const { breakdown } = fidelity(im, parsePrompt(toyPrompt(o.colour, o.shape, o.place)));
    score += Number(breakdown!.shape) / b;
    colour += Number(breakdown!.colour) / b;
    counted += Number(breakdown!.count) / b;
    const best = detectObjects(im).filter((d) => d.fit >= MIN_FIT).sort((u, v) => v.fit - u.fit)[0];
    const here = byPlace.get(o.place)!;
    if (best) { found++; here.found++; }
    if (best && best.shape === o.shape) { named++; here.named++; }
  });
  const places = P > 1 ? `; by place: ${[...byPlace].map(([p, c]) => `${p} ${c.named}/${c.found}`).join(', ')}` : '';
  return `detector's shape score ${score.toFixed(3)} (colour ${colour.toFixed(3)}${count > 1 ? `, count ${counted.toFixed(3)}` : ''}); an object found in ${found} of ${b}, of the prompt's shape in ${named} of those (chance: a third)${places}`;
}

console.log(`toy: ${values.model}, ${colourCount} colour(s), 3 shapes, ${count} object(s) an image, place(s) ${values.grid ? 'any of 9 grid slots, named by a place word it satisfies' : placesAsked.join(' | ')}, jitter +-${jitter}, batch ${batchSize}, lr ${lr}, seed ${seed}`);
console.log(`the toy's own images: shape contrast from noise ${ceiling().toFixed(3)} (the model's ceiling; this and the contrasts below ask "in the middle")`);
const t0 = performance.now();
let lossSum = 0;
for (let step = 1; step <= steps; step++) {
  const scenes = Array.from({ length: batchSize }, drawScene);
  const ids = scenes.map((o) => (rng.chance(SCENES_PRETRAIN.promptDropout) ? nullTokens(SCENES_DIT.maxTokens) : toyTokens(o.colour, o.shape, o.place)));
  const batch = drawDiTBatch(scenes.map((o) => renderScene({ objects: o.objects }, S)), ids, S, schedule, rng);
  const stepLr = lr * Math.min(1, step / WARMUP);
  lossSum += model instanceof ClassUNet
    ? await model.step(vars, opt, batch, schedule, stepLr, SCENES_PRETRAIN.gradClip)
    : await ditStep(model, vars, opt, batch, schedule, stepLr, SCENES_PRETRAIN.gradClip);
  if (step % every === 0 || step === steps) {
    const n = step % every === 0 ? every : step % every;
    const at = (word: 'shape' | 'colour') => wordContrastAt(model, S, 700, schedule, word).toFixed(3);
    const secs = Math.round((performance.now() - t0) / 1000);
    console.log(`step ${step} (${secs} s): loss ${(lossSum / n).toFixed(4)}, shape contrast from noise ${shapeContrast(model, S).toFixed(3)}, at t 700: shape ${at('shape')} colour ${at('colour')}`);
    console.log(`  samples (DDIM ${SCENES_SAMPLER.steps} steps, guidance ${SCENES_SAMPLER.guidance}): ${await sampledShapes(step)}`);
    lossSum = 0;
  }
}
model.dispose();
