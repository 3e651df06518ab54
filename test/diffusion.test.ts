// The shapes task's diffusion core: LoRA no-op, convolution gradients, DDIM determinism, rewards, the RAFT engine.
import * as tf from '@tensorflow/tfjs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/core/config/cli';
import { defaultConfig } from '../src/core/config/schema';
import { IMAGE_SIZE, labelIndex, NUM_CLASSES, PIXELS, SHAPE_LABELS, shapeImages } from '../src/core/diffusion/dataset';
import { ddimLoop, ddimUpdate, sampleImages } from '../src/core/diffusion/ddim';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import { encodePng, imageGrid } from '../src/core/diffusion/png';
import { brightness, contrast, countShapes, imageReward, redness, symmetry } from '../src/core/diffusion/rewards';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { denoiseLoss } from '../src/core/diffusion/train';
import { conv3x3, im2col3x3, UNet, type UNetConfig } from '../src/core/diffusion/unet';
import { packUNet, unpackUNet } from '../src/core/diffusion/weights-io';
import { Rng } from '../src/core/rng';

const TINY: UNetConfig = { size: 16, channels: [8, 8], embDim: 16, timeDim: 8, groups: 4, numClasses: NUM_CLASSES };
const schedule = cosineSchedule();

/** A hand-made image: background value bg, an axis-aligned rectangle [x0, x1) x [y0, y1) of colour c. */
function rectImage(c: [number, number, number], x0: number, y0: number, x1: number, y1: number, bg = 0.05): Float32Array {
  const px = new Float32Array(PIXELS).fill(bg);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) px.set(c, (y * IMAGE_SIZE + x) * 3);
  return px;
}

/** A disc of colour c centred in the image, radius r, on a dark background. */
function circleImage(c: [number, number, number], r: number, bg = 0.05): Float32Array {
  const px = new Float32Array(PIXELS).fill(bg);
  const mid = (IMAGE_SIZE - 1) / 2;
  for (let y = 0; y < IMAGE_SIZE; y++) for (let x = 0; x < IMAGE_SIZE; x++) if ((x - mid) ** 2 + (y - mid) ** 2 <= r * r) px.set(c, (y * IMAGE_SIZE + x) * 3);
  return px;
}

async function forwardOf(model: UNet, seed = 3): Promise<Float32Array> {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: 2 * PIXELS }, () => rng.normal());
  const y = tf.tidy(() => model.forward(tf.tensor4d(x, [2, 16, 16, 3]), [10, 700], [0, 4]));
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
}

/** Perturb every weight a little, so zero-initialised layers do not hide differences. */
function jiggle(model: UNet, seed = 5): void {
  const rng = new Rng(seed);
  for (const v of model.variables()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => 0.05 * rng.normal()), v.shape))));
}

describe('shapes data set', () => {
  it('draws labelled 16x16 RGB images in [0, 1], reproducibly', () => {
    const a = shapeImages(7, 20);
    const b = shapeImages(7, 20);
    expect(a.map((i) => i.label)).toEqual(b.map((i) => i.label));
    expect(a[3]!.pixels).toEqual(b[3]!.pixels);
    for (const im of a) {
      expect(im.pixels.length).toBe(PIXELS);
      expect(Math.min(...im.pixels)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...im.pixels)).toBeLessThanOrEqual(1);
    }
    expect(labelIndex('two circles')).toBe(SHAPE_LABELS.findIndex((l) => l.text === 'two circles'));
  });
});

describe('U-Net and LoRA', () => {
  it('the 3x3 convolution has the same value and gradients as im2col + matMul', async () => {
    const rng = new Rng(2);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 4 * 3 }, () => rng.normal()), [2, 4, 4, 3]);
    const w = tf.tensor2d(Float32Array.from({ length: 27 * 5 }, () => rng.normal()), [27, 5]);
    const ref = (a: tf.Tensor4D, b: tf.Tensor2D) => tf.sum(tf.square(tf.reshape(tf.matMul(im2col3x3(a), b), [2, 4, 4, 5])));
    const ours = (a: tf.Tensor4D, b: tf.Tensor2D) => tf.sum(tf.square(conv3x3(a, b)));
    const g1 = tf.grads((a: tf.Tensor, b: tf.Tensor) => ref(a as tf.Tensor4D, b as tf.Tensor2D))([x, w]);
    const g2 = tf.grads((a: tf.Tensor, b: tf.Tensor) => ours(a as tf.Tensor4D, b as tf.Tensor2D))([x, w]);
    for (let i = 0; i < 2; i++) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(g1[i]!, g2[i]!))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(g1[i]!)).dataSync()[0]!);
      expect(d / scale).toBeLessThan(1e-4);
    }
    tf.dispose([x, w, ...g1, ...g2]);
  });

  it('LoRA is an exact no-op at init; switched off it is the base model; merged it gives the adapted outputs', async () => {
    const model = new UNet(TINY, undefined, 1);
    jiggle(model);
    const base = await forwardOf(model);
    const lora = model.attachLora({ rank: 2, alpha: 4 }, 9);
    expect(lora.variables().length).toBe(2 * model.matrixShapes().size);
    expect(await forwardOf(model)).toEqual(base); // B = 0: bit-identical
    const rng = new Rng(4);
    for (const v of lora.variables()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => 0.05 * rng.normal()), v.shape))));
    const adapted = await forwardOf(model);
    expect(Math.max(...adapted.map((a, i) => Math.abs(a - base[i]!)))).toBeGreaterThan(1e-3);
    lora.enabled = false;
    expect(await forwardOf(model)).toEqual(base);
    lora.enabled = true;
    lora.mergeInto(model.weights());
    const merged = await forwardOf(model);
    expect(Math.max(...merged.map((a, i) => Math.abs(a - adapted[i]!)))).toBeLessThan(1e-4);
    model.dispose();
  });

  it('weights survive a pack/unpack round trip', async () => {
    const model = new UNet(TINY, undefined, 1);
    jiggle(model);
    const { manifest, data } = packUNet(TINY, await model.exportWeights(), { seed: 1 });
    const copy = new UNet(manifest.config, unpackUNet(JSON.parse(JSON.stringify(manifest)), data));
    expect(await forwardOf(copy)).toEqual(await forwardOf(model));
    model.dispose();
    copy.dispose();
  });
});

describe('denoising loss', () => {
  it('reads the image side from the batch (16 and 32 px), and refuses values that are not square RGB images', () => {
    const model = new UNet({ ...TINY, size: 32 }, undefined, 1);
    const rng = new Rng(3);
    for (const side of [16, 32]) {
      const images = [0, 1].map(() => Float32Array.from({ length: side * side * 3 }, () => rng.float()));
      const batch = { images: new Float32Array([...images[0]!, ...images[1]!]), labels: [0, 1], t: [100, 700], noise: Float32Array.from({ length: 2 * side * side * 3 }, () => rng.normal()) };
      const loss = tf.tidy(() => denoiseLoss(model, batch, schedule, false).arraySync() as number);
      expect(loss).toBeGreaterThan(0);
    }
    const bad = { images: new Float32Array(2 * 15 * 16 * 3), labels: [0, 1], t: [1, 2], noise: new Float32Array(2 * 15 * 16 * 3) };
    expect(() => tf.tidy(() => denoiseLoss(model, bad, schedule, false))).toThrow(/not 2 square RGB images/);
    model.dispose();
  });
});

describe('DDIM sampler', () => {
  it('is deterministic for a seed (and differs between seeds), with and without guidance', async () => {
    const model = new UNet(TINY, undefined, 1);
    jiggle(model);
    for (const guidance of [1, 2]) {
      const o = { steps: 3, guidance };
      const items = [{ label: 0, seed: 11 }, { label: 3, seed: 12 }];
      const a = await sampleImages(model, schedule, items, o);
      const b = await sampleImages(model, schedule, items, o);
      const c = await sampleImages(model, schedule, [{ label: 0, seed: 13 }], o);
      expect(a[0]).toEqual(b[0]);
      expect(a[1]).toEqual(b[1]);
      expect(a[0]).not.toEqual(c[0]);
      expect(Math.min(...a[0]!)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...a[0]!)).toBeLessThanOrEqual(1);
    }
    model.dispose();
  });

  it('one step: deterministic without noise; with fresh noise, Song et al.\'s generalised step (eta 0 = no noise)', async () => {
    const [aBar, aPrev] = [0.3, 0.6];
    const [x, v, z] = [[0.5, -2], [0.2, 0.4], [1, -1]];
    const step = (noise?: { eta: number }) => tf.tidy(() => ddimUpdate(tf.tensor1d(x), tf.tensor1d(v), aBar, aPrev, false, noise && { z: tf.tensor1d(z), eta: noise.eta }).arraySync() as number[]);
    // by hand: x0 clipped to [-1, 1], eps from it, then the step
    const x0 = x.map((xi, i) => Math.min(1, Math.max(-1, Math.sqrt(aBar) * xi - Math.sqrt(1 - aBar) * v[i]!)));
    const eps = x.map((xi, i) => (xi - Math.sqrt(aBar) * x0[i]!) / Math.sqrt(1 - aBar));
    const plain = x0.map((x0i, i) => Math.sqrt(aPrev) * x0i + Math.sqrt(1 - aPrev) * eps[i]!);
    const sigma = Math.sqrt((1 - aPrev) / (1 - aBar)) * Math.sqrt(1 - aBar / aPrev);
    const noisy = x0.map((x0i, i) => Math.sqrt(aPrev) * x0i + Math.sqrt(1 - aPrev - sigma * sigma) * eps[i]! + sigma * z[i]!);
    expect(x0[1]).toBe(-1); // the clip is exercised
    step().forEach((y, i) => expect(y).toBeCloseTo(plain[i]!, 5));
    step({ eta: 0 }).forEach((y, i) => expect(y).toBeCloseTo(plain[i]!, 5));
    step({ eta: 1 }).forEach((y, i) => expect(y).toBeCloseTo(noisy[i]!, 5));
    expect(Math.abs(noisy[0]! - plain[0]!)).toBeGreaterThan(0.1);
    const last = tf.tidy(() => ddimUpdate(tf.tensor1d(x), tf.tensor1d(v), aBar, 1, true, { z: tf.tensor1d(z), eta: 1 }).arraySync() as number[]);
    last.forEach((y, i) => expect(y).toBeCloseTo(x0[i]!, 5)); // the last step is x0, noise or not
  });

  it('the loop hands each step the one before\'s estimate, and frees its tensors when the model throws', async () => {
    const seen: (number | undefined)[] = [];
    const start = tf.memory().numTensors;
    // v = 0: each estimate is sqrt(aBar) x, clipped; the step records the first value of the estimate it was given
    const px = await ddimLoop(tf.fill([1, 2, 2, 3], 0.5) as tf.Tensor4D, schedule, 3, (x, _t, x0) => {
      seen.push(x0 ? x0.dataSync()[0] : undefined);
      return tf.zerosLike(x);
    }, (x) => tf.mul(x, 2) as tf.Tensor4D);
    expect(seen.length).toBe(3);
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toBeCloseTo(1, 5); // 2 x 0.5: the noise is only rescaled by the steps with v = 0
    expect(px.length).toBe(12);
    expect(tf.memory().numTensors).toBe(start);
    let calls = 0;
    await expect(ddimLoop(tf.fill([1, 2, 2, 3], 0.5) as tf.Tensor4D, schedule, 4, (x) => {
      if (++calls === 3) throw new Error('model broke');
      return tf.zerosLike(x);
    }, (x) => tf.mul(x, 2) as tf.Tensor4D)).rejects.toThrow('model broke');
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('image rewards', () => {
  const red = rectImage([0.95, 0.05, 0.05], 4, 4, 12, 12);
  const blue = rectImage([0.05, 0.1, 0.95], 4, 4, 12, 12);
  const offCentre = rectImage([0.95, 0.05, 0.05], 0, 3, 6, 9);
  const dim = rectImage([0.4, 0.4, 0.4], 4, 4, 12, 12);
  const bright = rectImage([0.95, 0.95, 0.95], 2, 2, 14, 14, 0.5);

  it('redness: a red square beats a blue one; an orange circle sits between', () => {
    const orange = circleImage([0.95, 0.5, 0.05], 5); // red minus the larger of green and blue: 0.45
    expect(redness(red)).toBeGreaterThan(0.8);
    expect(redness(blue)).toBe(0);
    expect(redness(red)).toBeGreaterThan(redness(blue));
    expect(redness(orange)).toBeCloseTo(0.45, 2);
    expect(redness(orange)).toBeGreaterThan(redness(blue) + 0.3);
    expect(redness(orange)).toBeLessThan(redness(red) - 0.3);
  });

  it('symmetry: a centred square beats an off-centre one', () => {
    expect(symmetry(red)).toBe(1);
    expect(symmetry(red)).toBeGreaterThan(symmetry(offCentre) + 0.3);
  });

  it('brightness and contrast order plain images as expected', () => {
    expect(brightness(bright)).toBeGreaterThan(brightness(dim));
    expect(contrast(red)).toBeGreaterThan(contrast(rectImage([0.1, 0.1, 0.1], 4, 4, 12, 12)));
  });

  it('count: two separate shapes match "two squares" and miss "a square"', () => {
    const two = rectImage([0.9, 0.9, 0.1], 1, 1, 5, 5);
    two.set(rectImage([0.9, 0.9, 0.1], 9, 9, 14, 14).subarray((9 * 16 + 9) * 3), (9 * 16 + 9) * 3);
    expect(countShapes(two)).toBe(2);
    expect(imageReward({ count: 1 }, two, labelIndex('two squares')).reward).toBe(1);
    expect(imageReward({ count: 1 }, two, labelIndex('a square')).reward).toBe(0.5);
    expect(imageReward({ count: 1 }, red, labelIndex('a square')).reward).toBe(1);
  });

  it('weighted combinations average the parts and every result has a breakdown', () => {
    const r = imageReward({ redness: 1, symmetry: 1 }, offCentre, 1);
    expect(r.reward).toBeCloseTo((redness(offCentre) + symmetry(offCentre)) / 2, 6);
    expect(Object.keys(r.breakdown!)).toEqual(['redness', 'symmetry', 'brightness', 'contrast', 'count', 'shapes']);
  });
});

describe('PNG grids', () => {
  it('encodes a valid PNG whose pixels inflate back', () => {
    const grid = imageGrid([rectImage([1, 0, 0], 0, 0, 16, 16)], { columns: 1, scale: 1, gap: 0 });
    const png = encodePng(grid.rgb, grid.width, grid.height);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const idatAt = Buffer.from(png).indexOf('IDAT');
    const len = new DataView(png.buffer).getUint32(idatAt - 4);
    const raw = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + len));
    expect(raw.length).toBe(16 * (1 + 16 * 3));
    expect([raw[0], raw[1], raw[2], raw[3]]).toEqual([0, 255, 0, 0]);
  });
});

describe('diffusion RAFT engine', () => {
  it('runs cycles with flat tensor counts, stats in the design names, adapters only, deterministic', async () => {
    const parsed = parseCliArgs(['run', '--task', 'shapes', '--reward', 'redness', '--images', 'x']);
    expect(parsed.errors).toEqual([]);
    expect(parsed.config.imageReward).toBe('redness');
    expect(parsed.options.images).toBe('x');
    const config = {
      ...defaultConfig(), task: 'shapes' as const, seed: 3, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 2,
      evalSamplesPerPrompt: 2, epochsPerCycle: 1, batchSize: 4, lora: 2, loraLr: 1e-2, ddimSteps: 2, noiseDraws: 1,
    };
    const run = async () => {
      const model = new UNet(TINY, undefined, 1);
      jiggle(model);
      const before = await model.exportWeights();
      const engine = new DiffusionRaftEngine({ model, config, heldOutImages: 4 });
      const counts: number[] = [];
      const results = [];
      for (let c = 0; c < 4; c++) {
        results.push(await engine.runCycle());
        counts.push(tf.memory().numTensors);
      }
      const after = await model.exportWeights();
      for (const [name, w] of before) expect(after.get(name)!.values).toEqual(w.values); // base weights untouched
      engine.dispose();
      model.dispose();
      return { counts, results, history: engine.history };
    };
    const start = tf.memory().numTensors;
    const a = await run();
    expect(tf.memory().numTensors).toBe(start);
    expect(a.counts[2]).toBe(a.counts[1]);
    expect(a.counts[3]).toBe(a.counts[1]);
    const [c0, c1] = a.history;
    expect(c0!.rewardMean).toBeNull();
    expect(c0!.keptCount).toBe(0);
    expect(c1!.keptCount).toBe(2); // per-prompt, keep 1 of K = 2 for each of 2 prompts
    expect(c1!.keptFraction).toBe(0.5);
    expect(c1!.trainLoss).toBeGreaterThan(0);
    expect(c1!.perplexity).toBeNull();
    expect(Number.isFinite(c1!.heldOutLoss)).toBe(true);
    expect(a.results[1]!.samples.filter((s) => s.kept).length).toBe(2);
    // the eval images use the same seeds every cycle
    expect(a.results[0]!.evalSamples.map((s) => s.seed)).toEqual(a.results[3]!.evalSamples.map((s) => s.seed));
    const b = await run();
    expect(b.history.map(({ ms, ...s }) => s)).toEqual(a.history.map(({ ms, ...s }) => s));
  });
  it('images always train adapters: at lora 0 of rank imageLoraRank (4 by default), else of rank lora', () => {
    for (const [lora, imageLoraRank, rank] of [[0, 4, 4], [0, 2, 2], [8, 2, 8]] as const) {
      const model = new UNet(TINY, undefined, 1);
      const engine = new DiffusionRaftEngine({ model, config: { ...defaultConfig(), task: 'shapes', lora, imageLoraRank, loraAlpha: 16 }, heldOutImages: 1 });
      expect(model.lora!.scale).toBe(16 / rank);
      engine.dispose();
      model.dispose();
    }
  });
});
