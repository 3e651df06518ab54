// The scenes DiT (src/core/diffusion/dit/): any image side, LoRA as an exact no-op, guidance 1 = the conditional
// prediction, hand-written gradients = TF.js's, flat tensor counts, model files round trip.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { DiTConfig } from '../src/core/diffusion/dit/config';
import { ScenesDenoiser } from '../src/core/diffusion/dit/denoiser';
import { SceneDiT } from '../src/core/diffusion/dit/model';
import { layerNorm, linear, silu } from '../src/core/diffusion/dit/ops';
import { depthwise3x3, distanceBias, patchify, pooledKeyCentre, unpatchify } from '../src/core/diffusion/dit/patches';
import { ditDdimBatch, guidanceIds, guidedV } from '../src/core/diffusion/dit/sample';
import { nullTokens, promptTokens } from '../src/core/diffusion/dit/tokens';
import { packDiT, unpackDiT } from '../src/core/diffusion/dit/weights-io';
import { cosineSchedule } from '../src/core/diffusion/schedule';
import { noised } from '../src/core/diffusion/train';
import { SCENES_DIT, scenesWordIds } from '../src/core/diffusion/dit/recipe';
import { modelLayout, scenesDenoiser } from '../src/core/diffusion/dit/scenes-denoiser';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import { UNet } from '../src/core/diffusion/unet';
import { prepareImageRun } from '../src/core/run/prepare';
import { defaultConfig } from '../src/core/config/schema';
import { SCENE_EVAL_SETS, type SceneLayout } from '../src/core/scenes';
import { Adam } from '../src/core/lm/adam';
import { Rng } from '../src/core/rng';
import { readDiTFolder, saveEmbeddedDiT } from '../src/node/diffusion-files';

const TINY: DiTConfig = { patch: 4, width: 16, depth: 2, heads: 2, mlpRatio: 2, timeDim: 8, vocabSize: 10, maxTokens: 6, textLayers: 1, imageSize: 32 };
const schedule = cosineSchedule();
const WORDS = ['a', 'red', 'blue', 'circle', 'square', 'two', 'squares', 'on', 'the', 'left'];
const encode = (p: string) => p.split(' ').map((w) => {
  const i = WORDS.indexOf(w);
  if (i < 0 || i >= TINY.vocabSize - 2) throw new Error(`unknown word ${w}`);
  return i;
});

function randn(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Perturb every weight, so the zero-initialised layers (adaLN, output) do not hide differences. */
function jiggle(model: SceneDiT, seed = 5): void {
  const rng = new Rng(seed);
  for (const v of model.variables()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal()), v.shape))));
}

function ids(...prompts: string[]): Int32Array {
  const out = new Int32Array(prompts.length * TINY.maxTokens);
  prompts.forEach((p, i) => out.set(promptTokens(encode(p), TINY.maxTokens), i * TINY.maxTokens));
  return out;
}

/** One image (pixels in [0, 1]) noised to t as training noises it. */
function noisedOf(image: Float32Array, noise: Float32Array, t: number): { xt: tf.Tensor4D } {
  const s = Math.round(Math.sqrt(image.length / 3));
  return { xt: noised(image, noise, [t], [1, s, s, 3], schedule).xt };
}

async function forwardOf(model: SceneDiT, size: number, seed = 3): Promise<Float32Array> {
  const y = tf.tidy(() => model.forward(tf.tensor4d(randn(2 * size * size * 3, seed), [2, size, size, 3]), [10, 700], ids('a red circle', 'two squares')));
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
}

describe('scenes DiT', () => {
  it('patchify and unpatchify are inverse', () => {
    const x = tf.tensor4d(randn(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
    const p = patchify(x, 4);
    expect(p.shape).toEqual([8, 48]);
    // the first patch of the first image is its top-left 4 x 4 corner, row by row
    expect(Array.from(p.slice([0, 0], [1, 12]).dataSync())).toEqual(Array.from(x.slice([0, 0, 0, 0], [1, 1, 4, 3]).dataSync()));
    expect(Array.from(unpatchify(p, 2, 8, 4).dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, p]);
  });

  it('accepts 32 and 48 px images and refuses a side the patches do not tile', async () => {
    const model = new SceneDiT(TINY, undefined, 1);
    jiggle(model);
    const y32 = await forwardOf(model, 32);
    const y48 = await forwardOf(model, 48);
    expect(y32.length).toBe(2 * 32 * 32 * 3);
    expect(y48.length).toBe(2 * 48 * 48 * 3);
    expect(y48.every(Number.isFinite)).toBe(true);
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 36, 36, 3]) as tf.Tensor4D, [1], ids('a red circle')))).toThrow(/divisible by 8/);
    const img = await ditDdimBatch(model, schedule, ids('a red circle'), randn(48 * 48 * 3, 9), 48, { steps: 3, guidance: 2 });
    expect(img.length).toBe(48 * 48 * 3);
    expect(Math.min(...img)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...img)).toBeLessThanOrEqual(1);
    model.dispose();
  });

  it('with full attention (keyPool 1) every image token is a key: sides need only tile the patches, and pooling changes the output', async () => {
    const full = new SceneDiT({ ...TINY, keyPool: 1 }, undefined, 1);
    jiggle(full);
    const pooled = new SceneDiT({ ...TINY, keyPool: 2 }, new Map([...(await full.exportWeights())].map(([k, v]) => [k, v.values])));
    const y36 = tf.tidy(() => full.forward(tf.tensor4d(randn(36 * 36 * 3, 4), [1, 36, 36, 3]), [500], ids('a red circle')));
    expect(y36.shape).toEqual([1, 36, 36, 3]);
    y36.dispose();
    const a = await forwardOf(full, 32);
    const b = await forwardOf(pooled, 32);
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4)).toBe(true);
    // a config without the field (the first shipped model's files) reads as pooled
    const legacy = new SceneDiT(TINY, new Map([...(await full.exportWeights())].map(([k, v]) => [k, v.values])));
    expect(await forwardOf(legacy, 32)).toEqual(b);
    for (const m of [full, pooled, legacy]) m.dispose();
  });

  it('with the conv stem and head: a fresh model predicts 0, any side works, LoRA adapts the convolutions as an exact no-op, every weight gets a gradient', async () => {
    const cfg: DiTConfig = { ...TINY, keyPool: 1, conv: 4 };
    const fresh = new SceneDiT(cfg, undefined, 1);
    expect((await forwardOf(fresh, 32)).every((v) => v === 0)).toBe(true);
    expect(() => new SceneDiT({ ...cfg, conv: 2.5 })).toThrow(/conv must be a whole number/);
    fresh.dispose();
    const model = new SceneDiT(cfg, undefined, 1);
    jiggle(model);
    expect(model.weights().get('stem.w')!.shape).toEqual([27, 4]);
    expect(model.weights().get('patch.w')!.shape).toEqual([4 * 4 * 4, TINY.width]);
    const y32 = await forwardOf(model, 32);
    expect((await forwardOf(model, 48)).length).toBe(2 * 48 * 48 * 3);
    // jiggled, the head's last convolution is no longer zero: the fresh model's 0 came from its zero start, not a dead path
    expect(y32.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    const x = tf.tensor4d(randn(2 * 32 * 32 * 3, 8), [2, 32, 32, 3]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(x, [10, 700], ids('a red circle', 'two squares')))) as tf.Scalar, model.variables());
    const flat = Object.entries(grads).filter(([, g]) => tf.max(tf.abs(g)).dataSync()[0] === 0).map(([name]) => name);
    expect(flat).toEqual([]);
    tf.dispose([x, grads]);
    const lora = model.attachLora({ rank: 2, alpha: 4 }, 7);
    expect(lora.has('stem.w') && lora.has('head1.w') && lora.has('head2.w') && lora.has('head.t.w')).toBe(true);
    expect(await forwardOf(model, 32)).toEqual(y32);
    for (const v of lora.variables()) tf.tidy(() => v.assign(tf.add(v, 0.05)));
    expect(await forwardOf(model, 32)).not.toEqual(y32);
    model.dispose();
  });

  it('the ALiBi distance bias: -slope / 2^h x the patch distance for image keys, 0 for the prompt\'s; it changes a trained model\'s output at 32 and 48 px', async () => {
    // a 2 x 2 grid, 2 heads, full keys and one text key: query 0 at (0, 0), keys (0, 0), (0, 1), (1, 0), (1, 1), text
    const b = distanceBias(2, 1, 2, 1, 1);
    expect(b.length).toBe(2 * 4 * 5);
    expect([...b.slice(0, 5)].map((v) => +v.toFixed(6))).toEqual([0, -1, -1, -Math.SQRT2, 0].map((v) => +v.toFixed(6)));
    expect([...b.slice(4 * 5, 4 * 5 + 5)].map((v) => +v.toFixed(6))).toEqual([0, -0.5, -0.5, -Math.SQRT1_2, 0].map((v) => +v.toFixed(6)));
    // query 3 at (1, 1) of head 0: the distances mirror
    expect([...b.slice(15, 20)].map((v) => +v.toFixed(6))).toEqual([-Math.SQRT2, -1, -1, 0, 0].map((v) => +v.toFixed(6)));
    // pooled keys sit at the centre of the 2 x 2 patches they average: on a 2 x 2 grid one key at (0.5, 0.5)
    expect([...distanceBias(2, 2, 1, 1, 0)].map((v) => +v.toFixed(6))).toEqual(new Array(4).fill(+(-Math.SQRT1_2).toFixed(6)));
    // on a 4 x 4 grid, 4 pooled keys in pool2x2's row-major order at (0.5, 0.5), (0.5, 2.5), (2.5, 0.5), (2.5, 2.5):
    // query 3 at (0, 3) is 2.55 / 0.71 / 3.54 / 2.55 patches from them
    expect([...distanceBias(4, 2, 1, 1, 0).slice(3 * 4, 4 * 4)].map((v) => +v.toFixed(4))).toEqual(
      [Math.hypot(0.5, 2.5), Math.hypot(0.5, 0.5), Math.hypot(2.5, 2.5), Math.hypot(2.5, 0.5)].map((v) => +(-v).toFixed(4)));
    // the same centres, as the attention probe reads them; unpooled keys are the patches themselves
    expect([0, 1, 2, 3].map((k) => pooledKeyCentre(k, 4, 2))).toEqual([[0.5, 0.5], [0.5, 2.5], [2.5, 0.5], [2.5, 2.5]]);
    expect([0, 1, 5, 15].map((k) => pooledKeyCentre(k, 4, 1))).toEqual([[0, 0], [0, 1], [1, 1], [3, 3]]);
    expect(() => new SceneDiT({ ...TINY, alibi: -1 })).toThrow(/alibi must be a slope/);
    expect(() => new SceneDiT({ ...TINY, alibi: Number.NaN })).toThrow(/alibi must be a slope/);
    const plain = new SceneDiT({ ...TINY, keyPool: 1 }, undefined, 1);
    jiggle(plain);
    const w = new Map([...(await plain.exportWeights())].map(([k, v]) => [k, v.values]));
    const biased = new SceneDiT({ ...TINY, keyPool: 1, alibi: 1 }, w);
    const zero = new SceneDiT({ ...TINY, keyPool: 1, alibi: 0 }, w);
    const a = await forwardOf(plain, 32);
    expect(await forwardOf(zero, 32)).toEqual(a);
    expect((await forwardOf(biased, 32)).some((v, i) => Math.abs(v - a[i]!) > 1e-4)).toBe(true);
    expect((await forwardOf(biased, 48)).length).toBe(2 * 48 * 48 * 3);
    // with pooled keys too
    const pooled = new SceneDiT({ ...TINY, keyPool: 2 }, w);
    const pooledBiased = new SceneDiT({ ...TINY, keyPool: 2, alibi: 1 }, w);
    const p = await forwardOf(pooled, 32);
    expect((await forwardOf(pooledBiased, 32)).some((v, i) => Math.abs(v - p[i]!) > 1e-4)).toBe(true);
    for (const m of [plain, biased, zero, pooled, pooledBiased]) m.dispose();
  });

  it('Mix-FFN: the depthwise 3x3 on the patch grid equals TF.js\'s depthwiseConv2d; zero taps are the plain MLP exactly; trained taps change the output at 32 and 48 px and get a gradient', async () => {
    // the op against TF.js's own depthwise convolution ('same' padding) on a 3 x 3 grid of 2 images, 4 channels
    const x = tf.tensor2d(randn(2 * 9 * 4, 11), [2 * 9, 4]);
    const w = tf.tensor2d(randn(9 * 4, 12), [9, 4]);
    const mine = depthwise3x3(x, w, 2, 3);
    const ref = tf.reshape(tf.depthwiseConv2d(tf.reshape(x, [2, 3, 3, 4]) as tf.Tensor4D, tf.reshape(w, [3, 3, 4, 1]) as tf.Tensor4D, 1, 'same'), [18, 4]);
    expect(tf.max(tf.abs(tf.sub(mine, ref))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, w, mine, ref]);
    const plain = new SceneDiT(TINY, undefined, 1);
    jiggle(plain);
    const base = new Map([...(await plain.exportWeights())].map(([k, v]) => [k, v.values]));
    const taps = (v: number) => new Map([...base, ...Array.from({ length: TINY.depth }, (_, i) => [`b${i}.mix`, new Float32Array(9 * TINY.mlpRatio * TINY.width).fill(v)] as const)]);
    const fresh = new SceneDiT({ ...TINY, mixFfn: true }, undefined, 1);
    expect(fresh.weights().get('b0.mix')!.shape).toEqual([9, TINY.mlpRatio * TINY.width]);
    fresh.dispose();
    const zero = new SceneDiT({ ...TINY, mixFfn: true }, taps(0));
    const mixed = new SceneDiT({ ...TINY, mixFfn: true }, taps(0.1));
    const a = await forwardOf(plain, 32);
    expect(await forwardOf(zero, 32)).toEqual(a);
    expect((await forwardOf(mixed, 32)).some((v, i) => Math.abs(v - a[i]!) > 1e-4)).toBe(true);
    const a48 = await forwardOf(plain, 48);
    expect((await forwardOf(mixed, 48)).some((v, i) => Math.abs(v - a48[i]!) > 1e-4)).toBe(true);
    const xi = tf.tensor4d(randn(2 * 32 * 32 * 3, 8), [2, 32, 32, 3]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(zero.forward(xi, [10, 700], ids('a red circle', 'two squares')))) as tf.Scalar, zero.variables());
    const mixGrads = Object.entries(grads).filter(([name]) => name.endsWith('.mix'));
    expect(mixGrads.length).toBe(TINY.depth);
    for (const [, g] of mixGrads) expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([xi, value, grads]);
    for (const m of [plain, zero, mixed]) m.dispose();
  });

  it('self-conditioning: no estimate is a zero estimate; an estimate changes the output; other models refuse one; the patch weights take 6 channels', async () => {
    const model = new SceneDiT({ ...TINY, selfCond: true }, undefined, 1);
    expect(model.weights().get('patch.w')!.shape).toEqual([4 * 4 * 6, TINY.width]);
    jiggle(model);
    const x = tf.tensor4d(randn(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
    const est = tf.tensor4d(randn(2 * 32 * 32 * 3, 6), [2, 32, 32, 3]);
    const p = ids('a red circle', 'two squares');
    const [none, zero, given] = tf.tidy(() => [model.forward(x, [10, 700], p), model.forward(x, [10, 700], p, tf.zerosLike(x)), model.forward(x, [10, 700], p, est)]);
    const a = await none!.data();
    expect(await zero!.data()).toEqual(a);
    expect(Array.from(await given!.data()).some((v, i) => Math.abs(v - a[i]!) > 1e-4)).toBe(true);
    expect(() => tf.tidy(() => model.forward(x, [10, 700], p, tf.zeros([2, 16, 16, 3]) as tf.Tensor4D))).toThrow(/estimate is 2x16x16x3/);
    const plain = new SceneDiT(TINY, undefined, 1);
    expect(() => tf.tidy(() => plain.forward(x, [10, 700], p, est))).toThrow(/without self-conditioning/);
    // with the conv stem, the stem reads the 6 channels
    const conv = new SceneDiT({ ...TINY, selfCond: true, conv: 4 }, undefined, 1);
    expect(conv.weights().get('stem.w')!.shape).toEqual([9 * 6, 4]);
    tf.dispose([x, est, none!, zero!, given!]);
    for (const m of [model, plain, conv]) m.dispose();
  });

  it('self-conditioning in training: marked rows get the model\'s own clipped estimate without a gradient, the rest zeros; steps, sampling and held-out loss leave no tensors', async () => {
    const { drawSelfCondRows, withSelfCond, ditLoss, ditStep, drawDiTBatch, x0FromV } = await import('../src/core/diffusion/dit/train');
    const model = new SceneDiT({ ...TINY, selfCond: true }, undefined, 1);
    jiggle(model);
    const rng = new Rng(4);
    const images = Array.from({ length: 6 }, (_, i) => randn(32 * 32 * 3, 20 + i).map((v) => Math.min(1, Math.max(0, 0.5 + 0.3 * v))));
    const prompts = ['a red circle', 'two squares', 'a blue square', 'a red circle', 'two squares', 'a blue square'];
    const batch = drawSelfCondRows(drawDiTBatch(images, prompts.map((q) => ids(q)), 32, schedule, rng), rng);
    const rows = batch.selfCondRows!;
    expect(rows.length).toBe(6);
    expect(rows.some((r) => r) && rows.some((r) => !r)).toBe(true); // seed 4 marks some of each
    const filled = await withSelfCond(model, batch, schedule);
    const px = 32 * 32 * 3;
    // each marked row is the model's own estimate for that image alone; the others are zeros
    for (let i = 0; i < 6; i++) {
      const row = filled.selfCond!.subarray(i * px, (i + 1) * px);
      if (!rows[i]) {
        expect(row.every((v) => v === 0)).toBe(true);
        continue;
      }
      const one = tf.tidy(() => {
        const { xt } = noisedRow(batch, i);
        return x0FromV(xt, model.forward(xt, [batch.t[i]!], ids(prompts[i]!)), [batch.t[i]!], schedule);
      });
      const want = await one.data();
      one.dispose();
      expect(Math.max(...row.map((v, j) => Math.abs(v - want[j]!)))).toBeLessThan(1e-4);
      expect(row.every((v) => v >= -1 && v <= 1)).toBe(true);
    }
    // a model without self-conditioning ignores the marks; the loss reads the estimate
    const plain = new SceneDiT(TINY, undefined, 1);
    expect(await withSelfCond(plain, batch, schedule)).toBe(batch);
    const [l0, l1] = tf.tidy(() => [ditLoss(model, batch, schedule).dataSync()[0]!, ditLoss(model, filled, schedule).dataSync()[0]!]);
    expect(l1).not.toBe(l0);
    // the gradient flows through the second pass only: the estimate is data, so training steps leave no tensors
    const opt = new Adam();
    const before = tf.memory().numTensors;
    const vars = model.variables();
    await ditStep(model, vars, opt, batch, schedule, 1e-3, 1);
    const afterOne = tf.memory().numTensors;
    await ditStep(model, vars, opt, batch, schedule, 1e-3, 1);
    expect(tf.memory().numTensors).toBe(afterOne);
    expect(afterOne - before).toBe(2 * vars.length); // Adam's moments, nothing else
    // sampling hands each step's estimate to the next and keeps no tensor
    const n0 = tf.memory().numTensors;
    const out = await ditDdimBatch(model, schedule, ids('a red circle', 'two squares'), randn(2 * px, 9), 32, { steps: 3, guidance: 2 });
    expect(out.length).toBe(2 * px);
    expect(tf.memory().numTensors).toBe(n0);
    opt.dispose?.();
    model.dispose();
    plain.dispose();

    function noisedRow(b: typeof batch, i: number) {
      return noisedOf(b.images.subarray(i * px, (i + 1) * px), b.noise.subarray(i * px, (i + 1) * px), b.t[i]!);
    }
  });

  it('shows each block\'s attention weights to a diagnostic callback without changing the output', async () => {
    const model = new SceneDiT({ ...TINY, keyPool: 1 }, undefined, 2);
    jiggle(model);
    const seen: Array<[number, number[], number]> = [];
    const x = tf.tensor4d(randn(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
    const [plain, watched] = tf.tidy(() => {
      const a = model.forward(x, [10, 700], ids('a red circle', 'two squares'));
      const b = model.denoise(x, [10, 700], model.encodeText(ids('a red circle', 'two squares'), 2), { attention: (block, p) => {
        seen.push([block, p.shape, tf.max(tf.abs(tf.sub(tf.sum(p, -1), 1))).dataSync()[0]!]);
      } });
      return [a, b];
    });
    // 64 image keys then the prompt's 6 tokens; every row a distribution
    expect(seen.map(([block, shape]) => [block, shape])).toEqual([[0, [2, 2, 64, 64 + 6]], [1, [2, 2, 64, 64 + 6]]]);
    for (const [, , err] of seen) expect(err).toBeLessThan(1e-5);
    expect(await watched!.data()).toEqual(await plain!.data());
    tf.dispose([x, plain!, watched!]);
    model.dispose();
    // pooled keys: 16 image keys, then the prompt's tokens, whose padding gets no weight ('a red circle': the start
    // token and 3 words of 6 positions, so the last 2 columns are 0; 'two squares' leaves 3)
    const pooled = new SceneDiT({ ...TINY, keyPool: 2 }, undefined, 2);
    jiggle(pooled);
    const padWeight: number[] = [];
    tf.tidy(() => {
      const xp = tf.tensor4d(randn(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
      pooled.denoise(xp, [10, 700], pooled.encodeText(ids('a red circle', 'two squares'), 2), { attention: (block, p) => {
        expect(p.shape).toEqual([2, 2, 64, 16 + 6]);
        const w = p.arraySync();
        padWeight.push(w[0]![0]![0]![16 + 4]! + w[0]![0]![0]![16 + 5]!, w[1]![1]![5]![16 + 3]!);
        expect(w[0]![0]![0]![16]!).toBeGreaterThan(0); // the start token is a key
      } });
    });
    expect(padWeight.length).toBe(2 * TINY.depth);
    for (const v of padWeight) expect(v).toBe(0);
    pooled.dispose();
  });

  it('LoRA adapters start as an exact no-op, and change the output once trained', async () => {
    const model = new SceneDiT(TINY, undefined, 1);
    jiggle(model);
    const before = await forwardOf(model, 32);
    const lora = model.attachLora({ rank: 2, alpha: 4 }, 7);
    expect(lora.has('b0.q.w') && lora.has('ada.w') && lora.has('text0.qkv.w') && lora.has('final.out.w')).toBe(true);
    expect(await forwardOf(model, 32)).toEqual(before);
    for (const v of lora.variables()) tf.tidy(() => v.assign(tf.add(v, 0.05)));
    expect(await forwardOf(model, 32)).not.toEqual(before);
    lora.enabled = false;
    expect(await forwardOf(model, 32)).toEqual(before);
    model.dispose();
  });

  it('guidance 1 is the conditional prediction exactly; the null prompt is the start token alone', () => {
    const model = new SceneDiT(TINY, undefined, 2);
    jiggle(model);
    const x = tf.tensor4d(randn(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
    const cond = ids('a red circle', 'two squares');
    const [g1, plain, g3, unc] = tf.tidy(() => [
      guidedV(model, x, 500, model.encodeText(guidanceIds(cond, 2, TINY.maxTokens, 1), 2), 1),
      model.forward(x, [500, 500], cond),
      guidedV(model, x, 500, model.encodeText(guidanceIds(cond, 2, TINY.maxTokens, 3), 4), 3),
      model.forward(x, [500, 500], new Int32Array([...nullTokens(TINY.maxTokens), ...nullTokens(TINY.maxTokens)])),
    ]);
    expect(Array.from(g1!.dataSync())).toEqual(Array.from(plain!.dataSync()));
    // guidance 3 = unc + 3 (cond - unc), and it differs from the conditional prediction
    const want = tf.tidy(() => tf.add(unc!, tf.mul(tf.sub(plain!, unc!), 3)));
    expect(tf.max(tf.abs(tf.sub(g3!, want))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(g3!, plain!))).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(Array.from(nullTokens(4))).toEqual([1, 0, 0, 0]);
    tf.dispose([x, g1!, plain!, g3!, unc!, want]);
    model.dispose();
  });

  it('hand-written gradients of linear, layerNorm and SiLU equal TF.js autodiff', () => {
    const x = tf.tensor2d(randn(5 * 4, 1), [5, 4]);
    const w = tf.tensor2d(randn(4 * 3, 2), [4, 3]);
    const b = tf.tensor1d(randn(3, 3));
    const dy = tf.tensor2d(randn(5 * 3, 4), [5, 3]);
    const mine = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.mul(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), dy))([x, w, b]);
    const ref = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb), dy))([x, w, b]);
    mine.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, ref[i]!))).dataSync()[0]).toBeLessThan(1e-5));
    const dx4 = tf.tensor2d(randn(5 * 4, 6), [5, 4]);
    const refLn = (xx: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, -1, true);
      return tf.mul(tf.mul(tf.sub(xx, mean), tf.rsqrt(tf.add(variance, 1e-6))), dx4);
    };
    const gLn = tf.grad((xx: tf.Tensor) => tf.mul(layerNorm(xx as tf.Tensor2D), dx4))(x);
    expect(tf.max(tf.abs(tf.sub(gLn, tf.grad(refLn)(x)))).dataSync()[0]).toBeLessThan(1e-4);
    const gSilu = tf.grad((xx: tf.Tensor) => tf.mul(silu(xx), dx4))(x);
    const refSilu = tf.grad((xx: tf.Tensor) => tf.mul(tf.mul(xx, tf.sigmoid(xx)), dx4))(x);
    expect(tf.max(tf.abs(tf.sub(gSilu, refSilu))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, w, b, dy, dx4, gLn, gSilu, refSilu, ...mine, ...ref]);
  });

  it.each([['plain', TINY], ['the conv stem and head', { ...TINY, conv: 4 }], ['the ALiBi bias', { ...TINY, keyPool: 1, alibi: 1 }], ['Mix-FFN', { ...TINY, mixFfn: true }]] as const)('keeps tensor counts flat across training steps, sampling and the held-out loss (%s)', async (_, cfg) => {
    const model = new SceneDiT(cfg, undefined, 3);
    const prompts = ['a red circle', 'two squares'];
    const heldOut = prompts.map((prompt, i) => ({ prompt, pixels: randn(32 * 32 * 3, 20 + i).map((v) => Math.abs(v) % 1) }));
    const den = new ScenesDenoiser(model, { prompts, encode, sampler: { steps: 2, guidance: 2 }, imageSize: 32, heldOut, heldOutSeed: 1 });
    den.attachAdapters(2, 4, 1);
    const opt = new Adam();
    const rng = new Rng(3);
    const step = async () => {
      const imgs = await den.sample([{ label: 0, seed: 1 }, { label: 1, seed: 2 }], () => {});
      await den.trainStep(den.drawBatch(imgs, [0, 1], rng), opt, 1e-3, 1);
      return den.heldOutLoss();
    };
    await step(); // the optimizer's moments are created here
    const n = tf.memory().numTensors;
    const loss = await step();
    await step();
    expect(tf.memory().numTensors).toBe(n);
    expect(Number.isFinite(loss)).toBe(true);
    opt.dispose();
    model.dispose();
  });

  it('model files round trip: the loaded model gives the same output', async () => {
    const model = new SceneDiT(TINY, undefined, 4);
    jiggle(model);
    const { manifest, data } = packDiT(TINY, await model.exportWeights(), { steps: 1 });
    const json = JSON.parse(JSON.stringify(manifest)) as typeof manifest;
    const loaded = new SceneDiT(json.config, unpackDiT(json, data));
    expect(await forwardOf(loaded, 32)).toEqual(await forwardOf(model, 32));
    expect(() => unpackDiT({ ...json, format: 'raftlab-unet/1' } as never, data)).toThrow(/not a raftlab DiT/);
    model.dispose();
    loaded.dispose();
  });

  it('a model folder is read back by readDiTFolder; a missing or damaged one is refused with the folder named', async () => {
    const model = new SceneDiT(TINY, undefined, 4);
    jiggle(model);
    const dir = mkdtempSync(join(tmpdir(), 'dit-folder-'));
    try {
      saveEmbeddedDiT('scenes', TINY, await model.exportWeights(), { steps: 3 }, dir);
      const { manifest, weights } = readDiTFolder(dir);
      expect(manifest.meta.steps).toBe(3);
      const loaded = new SceneDiT(manifest.config, weights);
      expect(await forwardOf(loaded, 32)).toEqual(await forwardOf(model, 32));
      loaded.dispose();
      expect(() => readDiTFolder(join(dir, 'nothing-here'))).toThrow(/no DiT model in .*nothing-here/);
      const bytes = readFileSync(join(dir, 'weights.bin'));
      writeFileSync(join(dir, 'weights.bin'), bytes.subarray(0, bytes.length - 8));
      expect(() => readDiTFolder(dir)).toThrow(new RegExp(`a broken DiT model in ${dir}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });
});

describe('scenes DiT in the image RAFT engine', () => {
  it('encodes prompts with the world tokenizer, refusing an unknown word by name', () => {
    expect(scenesWordIds('a red circle').length).toBe(3);
    expect(promptTokens(scenesWordIds('a red circle'), SCENES_DIT.maxTokens).every((id) => id < SCENES_DIT.vocabSize)).toBe(true);
    expect(() => scenesWordIds('a red hexagon')).toThrow(/hexagon/);
  });

  for (const [imageSize, selfCond] of [[32, false], [48, false], [32, true]] as const) {
    it(`runs RAFT cycles with LoRA at ${imageSize} px${selfCond ? ', self-conditioned' : ''}: flat tensor counts, base weights untouched`, async () => {
      const model = new SceneDiT({ ...TINY, vocabSize: SCENES_DIT.vocabSize, maxTokens: SCENES_DIT.maxTokens, ...(selfCond ? { selfCond } : {}) }, undefined, 1);
      jiggle(model);
      const before = await model.exportWeights();
      const config = {
        ...defaultConfig(), task: 'shapes' as const, seed: 3, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 2,
        evalSamplesPerPrompt: 1, epochsPerCycle: 1, batchSize: 4, lora: 2, loraLr: 1e-2, ddimSteps: 2, noiseDraws: 1, imageReward: 'redness' as const,
      };
      const denoiser = scenesDenoiser(model, { prompts: SCENE_EVAL_SETS.seenSingles.slice(0, 2), ddimSteps: 2, guidance: 2, imageSize, heldOutImages: 2 });
      const engine = new DiffusionRaftEngine({ denoiser, config });
      const counts: number[] = [];
      for (let c = 0; c < 3; c++) {
        const r = await engine.runCycle();
        counts.push(tf.memory().numTensors);
        expect(r.evalSamples[0]!.pixels.length).toBe(imageSize * imageSize * 3);
      }
      expect(counts[2]).toBe(counts[1]);
      expect(engine.history[1]!.trainLoss).toBeGreaterThan(0);
      expect(Number.isFinite(engine.history[2]!.heldOutLoss)).toBe(true);
      const after = await model.exportWeights();
      for (const [name, w] of before) expect(after.get(name)!.values).toEqual(w.values);
      engine.dispose();
      model.dispose();
    });
  }
});

describe('task scenes runs on the DiT', () => {
  it('prepareImageRun builds the engine on the loaded DiT with the typed prompts and image size, and refuses a U-Net', async () => {
    const config = {
      ...defaultConfig(), task: 'scenes' as const, seed: 2, promptsPerCycle: 2, samplesPerPrompt: 2, evalPrompts: 1, evalSamplesPerPrompt: 1,
      epochsPerCycle: 1, batchSize: 4, lora: 2, ddimSteps: 2, noiseDraws: 1, evalImages: 2, imageSize: 48, imageReward: 'fidelity' as const,
      scenePrompts: 'two small yellow triangles at the top; a red circle left of a blue square',
    };
    const model = new SceneDiT({ ...TINY, vocabSize: SCENES_DIT.vocabSize, maxTokens: SCENES_DIT.maxTokens }, undefined, 1);
    const { engine } = await prepareImageRun(config, async () => ({ model, fingerprint: 'x' }));
    expect(engine.denoiser.label).toBe('DiT');
    expect(engine.denoiser.prompts).toEqual(['two small yellow triangles at the top', 'a red circle left of a blue square']);
    const r = await engine.runCycle();
    expect(r.evalSamples[0]!.pixels.length).toBe(48 * 48 * 3);
    expect(r.evalSamples[0]!.breakdown).toHaveProperty('fidelity');
    engine.dispose();
    model.dispose();
    const unet = new UNet({ size: 16, channels: [8, 8], embDim: 16, timeDim: 8, groups: 4, numClasses: 8 }, undefined, 1);
    await expect(prepareImageRun(config, async () => ({ model: unet, fingerprint: 'x' }))).rejects.toThrow(/DiT/);
  });

  it('measures the held-out loss on the world as the model was trained on it (the layout its manifest names), and refuses an unknown layout', async () => {
    const config = { ...defaultConfig(), task: 'scenes' as const, seed: 2, evalImages: 4, ddimSteps: 2, imageReward: 'fidelity' as const, scenePrompts: 'a red circle on the left' };
    const model = new SceneDiT({ ...TINY, vocabSize: SCENES_DIT.vocabSize, maxTokens: SCENES_DIT.maxTokens }, undefined, 1);
    jiggle(model);
    const heldOut = async (meta?: Record<string, unknown>) => {
      const { engine } = await prepareImageRun(config, async () => ({ model, fingerprint: 'x', ...(meta ? { manifest: { meta } } : {}) }));
      const loss = await engine.denoiser.heldOutLoss();
      engine.dispose();
      return loss;
    };
    const direct = async (layout: SceneLayout) => {
      const d = scenesDenoiser(model, { prompts: ['a red circle on the left'], ddimSteps: 2, guidance: 2, imageSize: 32, heldOutImages: 4, layout });
      return d.heldOutLoss();
    };
    const [spread, lattice] = [await direct('spread'), await direct('lattice')];
    expect(lattice).not.toBe(spread);
    expect(await heldOut()).toBe(spread); // a model file without a layout: the world the first models were trained on
    expect(await heldOut({ task: 'scenes', layout: 'lattice' })).toBe(lattice);
    expect(modelLayout(undefined)).toBe('spread');
    // refused before any engine is built; prepareImageRun disposes the model it loaded
    await expect(heldOut({ layout: 'grid' })).rejects.toThrow(/layout "grid"; known layouts: spread, slots, lattice/);
  });
});

describe('scenes DiT pre-training batches', () => {
  it('parts of a step partition its batch (the same pairs whatever the split) and are deterministic', async () => {
    const { scenesPretrainBatch } = await import('../src/core/diffusion/dit/scenes-pretrain');
    const o = { seed: 3, batchSize: 5, promptDropout: 0.5, imageSize: 8, maxTokens: 11 };
    const whole = scenesPretrainBatch(7, 0, 1, o, schedule);
    const parts = [0, 1].map((k) => scenesPretrainBatch(7, k, 2, o, schedule));
    expect(parts.map((p) => p.t.length)).toEqual([2, 3]);
    expect(Float32Array.from([...parts[0]!.images, ...parts[1]!.images])).toEqual(whole.images);
    expect(scenesPretrainBatch(7, 1, 2, o, schedule)).toEqual(parts[1]);
    expect(scenesPretrainBatch(8, 1, 2, o, schedule).images).not.toEqual(parts[1]!.images);
    expect(() => scenesPretrainBatch(7, 2, 2, o, schedule)).toThrow(/part 2 of 2/);
    // a share of the timesteps from the noisy end of the schedule
    const big = { ...o, batchSize: 400, imageSize: 4 };
    const high = scenesPretrainBatch(1, 0, 1, { ...big, highNoiseShare: 0.5, highNoiseFrom: 600 }, schedule).t;
    const uniform = scenesPretrainBatch(1, 0, 1, big, schedule).t;
    const share = (ts: number[]) => ts.filter((t) => t >= 600).length / ts.length;
    expect(share(uniform)).toBeGreaterThan(0.33);
    expect(share(uniform)).toBeLessThan(0.47);
    expect(share(high)).toBeGreaterThan(0.62);
    expect(share(high)).toBeLessThan(0.78);
    // a self-conditioned model's batches mark about half of their images; the others' batches mark none
    const marked = scenesPretrainBatch(1, 0, 1, { ...big, selfCond: true }, schedule).selfCondRows!;
    expect(marked.filter(Boolean).length / marked.length).toBeGreaterThan(0.4);
    expect(marked.filter(Boolean).length / marked.length).toBeLessThan(0.6);
    expect(scenesPretrainBatch(1, 0, 1, big, schedule).selfCondRows).toBeUndefined();
  });
});
