// The outline-weighted denoising loss of scenes pre-training (`--edge-weight`): which pixels the weights pick, the
// weighted loss against a hand computation, and the pre-training batches that carry the weights.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { DiTConfig } from '../src/core/diffusion/dit/config';
import { edgeBandWeights } from '../src/core/diffusion/dit/edge-weights';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { scenesPretrainBatch } from '../src/core/diffusion/dit/scenes-pretrain';
import { ditLoss, drawDiTBatch } from '../src/core/diffusion/dit/train';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { noised } from '../src/core/diffusion/train';
import { Rng } from '../src/core/rng';
import { BACKGROUND } from '../src/core/scenes';

const schedule = cosineSchedule();

/** An 8x8 image on the world's background with a red block over rows and columns [from, to). */
function block(from: number, to: number, size = 8): Float32Array {
  const px = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) px.set(BACKGROUND, p * 3);
  for (let i = from; i < to; i++) for (let j = from; j < to; j++) px.set([0.9, 0.1, 0.1], (i * size + j) * 3);
  return px;
}

/** The weights as rows of '#' (weighted) and '.' (not). */
const picture = (w: Float32Array, size = 8) => Array.from({ length: size }, (_, i) => Array.from(w.slice(i * size, (i + 1) * size), (x) => (x > 1 ? '#' : '.')).join(''));

describe('edge band weights', () => {
  it('weigh the outline (both sides of it) and the pixels within the radius of it, nothing else', () => {
    const outline = edgeBandWeights(block(3, 5), 8, BACKGROUND, 4, 0);
    expect(picture(outline)).toEqual(['........', '........', '...##...', '..####..', '..####..', '...##...', '........', '........']);
    const band = edgeBandWeights(block(3, 5), 8, BACKGROUND, 4, 1);
    expect(picture(band)).toEqual(['........', '..####..', '.######.', '.######.', '.######.', '.######.', '..####..', '........']);
    expect(new Set(band)).toEqual(new Set([1, 5]));
    // an object touching the image's edge has its outline there too; a blank image has none
    expect(picture(edgeBandWeights(block(0, 8), 8, BACKGROUND, 1, 0))).toEqual(['########', ...Array(6).fill('#......#'), '########']);
    expect(new Set(edgeBandWeights(block(0, 0), 8, BACKGROUND, 3))).toEqual(new Set([1]));
    // images of a batch are weighed each on its own
    const two = edgeBandWeights(Float32Array.from([...block(0, 0), ...block(3, 5)]), 8, BACKGROUND, 4, 0);
    expect(picture(two.slice(64))).toEqual(picture(outline));
    expect(() => edgeBandWeights(new Float32Array(10), 8, BACKGROUND, 1)).toThrow(/not images of 8x8x3/);
  });
});

describe('the weighted denoising loss', () => {
  const C: DiTConfig = { patch: 4, width: 16, depth: 1, heads: 2, mlpRatio: 2, timeDim: 8, vocabSize: 10, maxTokens: 4, textLayers: 1, imageSize: 8 };

  it('is the plain mean under equal weights and the hand-computed weighted mean otherwise', () => {
    const model = new SceneDiT(C, undefined, 2);
    const rng = new Rng(8);
    for (const v of model.variables()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal()), v.shape))));
    const images = [block(3, 5), block(1, 6)];
    const ids = [Int32Array.from([1, 2, 0, 0]), Int32Array.from([3, 0, 0, 0])];
    const batch = drawDiTBatch(images, ids, 8, schedule, new Rng(9));
    const before = tf.memory().numTensors;
    const loss = (pixelWeights?: Float32Array) => tf.tidy(() => ditLoss(model, { ...batch, pixelWeights }, schedule).dataSync()[0]!);
    const plain = loss();
    expect(loss(new Float32Array(128).fill(1))).toBeCloseTo(plain, 5);
    expect(loss(new Float32Array(128).fill(2.5))).toBeCloseTo(plain, 5);
    const w = edgeBandWeights(batch.images, 8, BACKGROUND, 3);
    const sq = tf.tidy(() => {
      const { xt, v } = noised(batch.images, batch.noise, batch.t, [2, 8, 8, 3], schedule);
      return tf.square(tf.sub(model.forward(xt, batch.t, batch.ids), v)).dataSync() as Float32Array;
    });
    let num = 0;
    let den = 0;
    for (let i = 0; i < sq.length; i++) {
      num += w[Math.floor(i / 3)]! * sq[i]!;
      den += w[Math.floor(i / 3)]!;
    }
    expect(loss(w)).toBeCloseTo(num / den, 5);
    expect(Math.abs(loss(w) - plain)).toBeGreaterThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('pre-training batches carry the weights only when asked, and the same draws either way', () => {
    const o = { seed: 3, batchSize: 4, promptDropout: 0.1, imageSize: 16, maxTokens: 11 };
    const plain = scenesPretrainBatch(2, 0, 1, o, schedule);
    const weighted = scenesPretrainBatch(2, 0, 1, { ...o, edgeWeight: 3 }, schedule);
    expect(plain.pixelWeights).toBeUndefined();
    expect({ ...weighted, pixelWeights: undefined }).toEqual(plain);
    expect(weighted.pixelWeights).toEqual(edgeBandWeights(plain.images, 16, BACKGROUND, 3));
    expect(weighted.pixelWeights!.some((x) => x === 4)).toBe(true);
  });
});
