/**
 * Does the scenes DiT use a word of the prompt? The mean clean-image estimate from pure noise (t = 999, where the
 * sampler starts and only the prompt says anything) for two prompts that differ in one word, measured where the
 * world's images for those prompts differ, beside the same measure on the world's own images (what a model that has
 * learned the word approaches).
 *   - place contrast: "a large red circle on the left" / "... on the right", redness (R - B) of the named third minus
 *     the opposite third, averaged over the two prompts (pretrain-scenes.ts logs it; 0 = the place word is ignored);
 *   - shape contrast: "a large red square in the middle" minus "... circle ...", projected on the difference of the
 *     two shapes drawn at the centre (1 = those two templates exactly; the world's images, whose centres jitter,
 *     less; 0 = the shape word is ignored).
 * And at a noise level t where the image still shows the object (wordContrastAt): a square or a circle (or a red or a
 * blue circle) of the world, noised to t, estimated under a prompt naming one and a prompt naming the other; the
 * difference of the two estimates projected on the difference of the two objects at that place (0 = the word changes
 * nothing; a colour word, which the models use, is the check that the measure can see a word).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng';
import { parsePrompt, renderScene, sampleScene, type SceneObject } from '../../scenes';
import type { Colour, Shape } from '../../scenes/vocab';
import { noised } from '../train';
import type { NoiseSchedule } from '../schedule';
import type { SceneDiT } from './model';
import { scenesWordIds } from './recipe';
import { promptTokens } from './tokens';
import { x0FromV } from './train';

/** What the contrasts need of a model (a SceneDiT; tests pass a model that draws a known picture). */
export type ContrastModel = Pick<SceneDiT, 'forward' | 'config'>;

/** Noise draws a prompt (fixed seed: the same noise for every prompt and every call). */
const DRAWS = 16;
const NOISE_SEED = 7;
/** World images a prompt for the world's side of a contrast. */
const WORLD_DRAWS = 64;

/**
 * A prompt's mean clean-image estimate at t = 999 over DRAWS fixed noise images, in the model's units ([-1, 1]):
 * -v, since x0 = sqrt(aBar) x - sqrt(1 - aBar) v and aBar is about 0 there.
 */
function meanEstimate(model: ContrastModel, prompt: string, size: number): Float32Array {
  return tf.tidy(() => {
    const row = promptTokens(scenesWordIds(prompt), model.config.maxTokens);
    const ids = new Int32Array(DRAWS * row.length);
    for (let i = 0; i < DRAWS; i++) ids.set(row, i * row.length);
    const x = tf.randomNormal([DRAWS, size, size, 3], 0, 1, 'float32', NOISE_SEED) as tf.Tensor4D;
    return tf.neg(tf.mean(model.forward(x, new Array(DRAWS).fill(999), ids), 0)).dataSync() as Float32Array;
  });
}

/** The mean of n images (size x size RGB in [0, 1], drawn in turn by draw) in the model's units ([-1, 1]). */
export function meanOfImages(n: number, size: number, draw: () => Float32Array): Float32Array {
  const acc = new Float32Array(size * size * 3);
  for (let i = 0; i < n; i++) {
    const im = draw();
    for (let j = 0; j < acc.length; j++) acc[j]! += (2 * im[j]! - 1) / n;
  }
  return acc;
}

/** The mean of WORLD_DRAWS of the world's images for a prompt (seeded), in the model's units ([-1, 1]). */
function meanWorld(prompt: string, size: number): Float32Array {
  const rng = new Rng(`word-contrast/${prompt}`);
  const spec = parsePrompt(prompt);
  return meanOfImages(WORLD_DRAWS, size, () => renderScene(sampleScene(spec, rng), size));
}

const placePrompt = (side: 'left' | 'right') => `a large red circle on the ${side}`;

/** Redness of the left third minus the right third of a mean image. */
function leftRightRedness(m: Float32Array, size: number): number {
  const third = Math.floor(size / 3);
  let left = 0, right = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < third; x++) {
      const l = (y * size + x) * 3, r = (y * size + size - 1 - x) * 3;
      left += m[l]! - m[l + 2]!;
      right += m[r]! - m[r + 2]!;
    }
  }
  return (left - right) / (third * size);
}

/** Place contrast of a mean-image source (the model's estimate, or the world's images). */
function placeContrastOf(mean: (prompt: string) => Float32Array, size: number): number {
  return (leftRightRedness(mean(placePrompt('left')), size) - leftRightRedness(mean(placePrompt('right')), size)) / 2;
}

export function placeContrast(model: ContrastModel, size: number): number {
  return placeContrastOf((p) => meanEstimate(model, p, size), size);
}

export function worldPlaceContrast(size: number): number {
  return placeContrastOf((p) => meanWorld(p, size), size);
}

/** Large objects only: a small shape's corners are smaller than the world's jitter of "in the middle". */
const shapePrompt = (shape: 'square' | 'circle') => `a large red ${shape} in the middle`;

/**
 * (a - b) (model units, from `offset`) projected on the difference of two rendered pictures ra - rb (pixels in
 * [0, 1], so doubled into model units): 1 when a and b are those two pictures.
 */
function projected(a: Float32Array, b: Float32Array, offset: number, ra: Float32Array, rb: Float32Array): number {
  let dot = 0, norm = 0;
  for (let j = 0; j < ra.length; j++) {
    const d = 2 * (ra[j]! - rb[j]!);
    dot += d * (a[offset + j]! - b[offset + j]!);
    norm += d * d;
  }
  return dot / norm;
}

/**
 * Shape contrast of any source of mean images for a large red square and circle (model units, [-1, 1]): (square -
 * circle) projected on the centred templates' difference. A model's estimate, the world's images, or a toy's own
 * images (scripts/scenes-shape-toy.ts: what its model can reach).
 */
export function shapeContrastOf(mean: (shape: 'square' | 'circle') => Float32Array, size: number): number {
  const centred = (shape: 'square' | 'circle') => renderScene({ objects: [{ shape, colour: 'red', size: 'large', cx: 0.5, cy: 0.5 }] }, size);
  return projected(mean('square'), mean('circle'), 0, centred('square'), centred('circle'));
}

export function shapeContrast(model: ContrastModel, size: number): number {
  return shapeContrastOf((s) => meanEstimate(model, shapePrompt(s), size), size);
}

export function worldShapeContrast(size: number): number {
  return shapeContrastOf((s) => meanWorld(shapePrompt(s), size), size);
}

/** Objects (half one variant, half the other) for wordContrastAt. */
const AT_OBJECTS = 16;

/** The two variants wordContrastAt compares: two shapes (the colour drawn), or two colours (the shape a circle). */
const VARIANTS = {
  shape: { a: { shape: 'square' }, b: { shape: 'circle' } },
  colour: { a: { colour: 'red' }, b: { colour: 'blue' } },
} as const;

/**
 * The mean contrast of a shape word (square / circle) or a colour word (red / blue) at noise level t, over
 * AT_OBJECTS large objects near the middle (seeded: the same every call).
 */
export function wordContrastAt(model: ContrastModel, size: number, t: number, schedule: NoiseSchedule, word: keyof typeof VARIANTS): number {
  const rng = new Rng('word-contrast/at');
  const colours = ['red', 'green', 'blue', 'yellow'] as const;
  const { a: va, b: vb } = VARIANTS[word];
  const objects = Array.from({ length: AT_OBJECTS }, (_, i) => ({
    shape: 'circle' as Shape, colour: colours[rng.int(colours.length)]! as Colour, size: 'large' as const,
    cx: 0.4 + 0.2 * rng.float(), cy: 0.4 + 0.2 * rng.float(), ...(i % 2 ? va : vb),
  }));
  const px = size * size * 3;
  const images = new Float32Array(AT_OBJECTS * px);
  objects.forEach((o, i) => images.set(renderScene({ objects: [o] }, size), i * px));
  const noise = Float32Array.from({ length: images.length }, () => rng.normal());
  const ts = new Array(AT_OBJECTS).fill(t);
  const estimate = (v: Partial<SceneObject>) => tf.tidy(() => {
    const ids = new Int32Array(objects.flatMap((o) => {
      const named = { ...o, ...v };
      return [...promptTokens(scenesWordIds(`a large ${named.colour} ${named.shape} in the middle`), model.config.maxTokens)];
    }));
    const { xt } = noised(images, noise, ts, [AT_OBJECTS, size, size, 3], schedule);
    return x0FromV(xt, model.forward(xt, ts, ids), ts, schedule).dataSync() as Float32Array;
  });
  const ea = estimate(va), eb = estimate(vb);
  const each = objects.map((o, i) => projected(ea, eb, i * px, renderScene({ objects: [{ ...o, ...va }] }, size), renderScene({ objects: [{ ...o, ...vb }] }, size)));
  return each.reduce((x, y) => x + y, 0) / AT_OBJECTS;
}
