// The word contrasts of the scenes DiT (dit/word-contrast.ts): a model that ignores the prompt reads 0, a model that
// draws the named shape at the centre reads 1, the world's own images read in between; no tensors are kept.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { SCENES_DIT, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { promptTokens } from '../src/core/diffusion/dit/tokens';
import { placeContrast, shapeContrast, shapeContrastOf, wordContrastAt, worldPlaceContrast, worldShapeContrast, type ContrastModel } from '../src/core/diffusion/dit/word-contrast';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { renderScene, type SceneObject } from '../src/core/scenes';

const S = 32;
const SMALL = { ...SCENES_DIT, width: 16, depth: 1, heads: 2, timeDim: 8 };

/**
 * A stand-in model whose clean-image estimate at t = 999 (-v) is a picture chosen by the prompt: `draw` maps a
 * prompt to the object it draws. Prompts it does not know are an error.
 */
function drawingModel(draw: Record<string, SceneObject>): ContrastModel {
  const rows = new Map(Object.entries(draw).map(([p, o]) => [promptTokens(scenesWordIds(p), SCENES_DIT.maxTokens).join(','), renderScene({ objects: [o] }, S)]));
  return {
    config: SCENES_DIT,
    forward: (x: tf.Tensor4D, t: readonly number[], ids: Int32Array) => tf.tidy(() => {
      const L = SCENES_DIT.maxTokens;
      const pics = t.map((_, i) => {
        const pic = rows.get([...ids.subarray(i * L, (i + 1) * L)].join(','));
        if (!pic) throw new Error('a prompt the stand-in does not draw');
        return pic.map((v) => 1 - 2 * v); // v = -x0, x0 = 2 pic - 1
      });
      return tf.tensor4d(Float32Array.from(pics.flatMap((p) => [...p])), x.shape);
    }),
  } as ContrastModel;
}

const centred = (shape: 'square' | 'circle', cx = 0.5): SceneObject => ({ shape, colour: 'red', size: 'large', cx, cy: 0.5 });

describe('word contrasts', () => {
  it('a fresh model, which predicts 0 whatever the prompt, reads exactly 0 and keeps no tensors', () => {
    const model = new SceneDiT(SMALL, undefined, 3);
    const before = tf.memory().numTensors;
    expect(placeContrast(model, S)).toBe(0);
    expect(shapeContrast(model, S)).toBe(0);
    expect(wordContrastAt(model, S, 700, cosineSchedule(), 'shape')).toBe(0);
    expect(wordContrastAt(model, S, 700, cosineSchedule(), 'colour')).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a model that draws the named shape at the centre reads 1, one that swaps the shapes -1', () => {
    const right = drawingModel({ 'a large red square in the middle': centred('square'), 'a large red circle in the middle': centred('circle') });
    const swapped = drawingModel({ 'a large red square in the middle': centred('circle'), 'a large red circle in the middle': centred('square') });
    expect(shapeContrast(right, S)).toBeCloseTo(1, 5);
    expect(shapeContrast(swapped, S)).toBeCloseTo(-1, 5);
  });

  it('any source of mean images: the centred templates read 1, and less the more the places they are drawn at spread', () => {
    // the mean over a 3 x 3 grid of centres `step` pixels apart, in model units
    const spread = (step: number) => (shape: 'square' | 'circle') => {
      const acc = new Float32Array(S * S * 3);
      for (const dx of [-step, 0, step]) {
        for (const dy of [-step, 0, step]) {
          const im = renderScene({ objects: [{ ...centred(shape), cx: 0.5 + dx / S, cy: 0.5 + dy / S }] }, S);
          for (let j = 0; j < acc.length; j++) acc[j]! += (2 * im[j]! - 1) / 9;
        }
      }
      return acc;
    };
    expect(shapeContrastOf(spread(0), S)).toBeCloseTo(1, 5);
    const near = shapeContrastOf(spread(1), S), far = shapeContrastOf(spread(3), S);
    expect(near).toBeLessThan(0.95);
    expect(far).toBeLessThan(near);
  });

  it('a model that puts the circle where the prompt says reads a positive place contrast, the other way round a negative one', () => {
    const left = 'a large red circle on the left', right = 'a large red circle on the right';
    const follows = placeContrast(drawingModel({ [left]: centred('circle', 0.2), [right]: centred('circle', 0.8) }), S);
    expect(follows).toBeGreaterThan(0.2);
    expect(placeContrast(drawingModel({ [left]: centred('circle', 0.8), [right]: centred('circle', 0.2) }), S)).toBeCloseTo(-follows, 5);
  });

  it("the world's own images read a clear place and shape contrast, the shape one below the centred templates' 1", () => {
    const place = worldPlaceContrast(S), shape = worldShapeContrast(S);
    expect(place).toBeGreaterThan(0.1);
    expect(shape).toBeGreaterThan(0.1);
    expect(shape).toBeLessThan(1);
  });
});
