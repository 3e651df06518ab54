// The scenes CLIP (task scenes' learned reward clip-score): its loss, its resampling, the shipped model's judgement,
// the reward's range and breakdown, its tensors, and how a run selects it.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/core/config/cli';
import { checkConfig, runDefaults, type RunConfig } from '../src/core/config/schema';
import { decodeConfigHash, encodeConfigHash } from '../src/core/config/url';
import type { Denoiser, DenoiserSampleItem } from '../src/core/diffusion/denoiser';
import { DiffusionRaftEngine } from '../src/core/diffusion/engine';
import { imageRewardWeights } from '../src/core/diffusion/rewards';
import { LoraAdapters } from '../src/core/lora-adapters';
import { Rng } from '../src/core/rng';
import { parsePrompt, renderScene, SCENE_EVAL_SETS, SCENE_TASK_PROMPTS, sampleScene, scenesRewarder } from '../src/core/scenes';
import { evalImages, evaluateSceneClip, promptEdits } from '../src/core/scenes/clip/eval';
import { clipBatch } from '../src/core/scenes/clip/train';
import { clipLoss } from '../src/core/scenes/clip/loss';
import { resampleTo } from '../src/core/scenes/clip/resize';
import { pairCosines } from '../src/core/scenes/clip/score';
import { scenesRunRewarder } from '../src/core/scenes/run-reward';
import { loadSceneClip } from '../src/node/scenes-clip-files';
import { modelDir, PROJECT_ROOT } from '../src/node/model-files';
import { loadSceneClipFromUrl } from '../src/browser/scenes-clip-files';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const image = (prompt: string, seed: number, size = 32) => renderScene(sampleScene(parsePrompt(prompt), new Rng(seed)), size);

describe('the CLIP loss', () => {
  it('is the mean of the row and column cross-entropies against the diagonal (a hand-made 2x2 similarity matrix)', () => {
    const l1p = (x: number) => Math.log(1 + Math.exp(-x));
    // rows: [3, 1] and [0, 2] -> log(1 + e^-2) each; columns: [3, 0] -> log(1 + e^-3), [1, 2] -> log(1 + e^-1)
    const expected = (l1p(2) + (l1p(3) + l1p(1)) / 2) / 2;
    const t = tf.tensor2d([[3, 1], [0, 2]]);
    const loss = clipLoss(t);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    // uniform logits: log B; a dominant diagonal: about 0
    const flat = clipLoss(tf.zeros([4, 4]) as tf.Tensor2D);
    expect(flat.dataSync()[0]).toBeCloseTo(Math.log(4), 5);
    const sharp = clipLoss(tf.mul(tf.eye(4), 50) as tf.Tensor2D);
    expect(sharp.dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([t, loss, flat, sharp]);
  });
});

describe('resampling to the CLIP\'s 32 px', () => {
  it('keeps a 32 px image as it is and averages a 48 px one by area (a flat image stays flat, the mean is kept)', () => {
    const px = image('a red circle', 1);
    expect(resampleTo(px, 32)).toBe(px);
    const flat = new Float32Array(48 * 48 * 3).fill(0.3);
    expect(Math.max(...resampleTo(flat, 32).map((v) => Math.abs(v - 0.3)))).toBeLessThan(1e-6);
    const big = image('two large blue squares on the left', 3, 48);
    const small = resampleTo(big, 32);
    const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
    expect(mean(small)).toBeCloseTo(mean(big), 5);
  });
});

describe('the CLIP\'s training and eval images in another layout of the world (pretrain-scenes-clip.ts --layout)', () => {
  it('keep the captions and move the objects; spread stays the default', () => {
    const spread = clipBatch(2, 5, 6, 32, 12);
    expect(clipBatch(2, 5, 6, 32, 12, 'spread')).toEqual(spread);
    const lattice = clipBatch(2, 5, 6, 32, 12, 'lattice');
    expect(lattice.prompts).toEqual(spread.prompts);
    expect(lattice.images).not.toEqual(spread.images);
    const prompt = SCENE_EVAL_SETS.seenSingles[0]!;
    expect(evalImages(prompt, 2, 32, 7, 'spread')).toEqual(evalImages(prompt, 2, 32, 7));
    const moved = evalImages(prompt, 2, 32, 7, 'lattice');
    expect(moved).not.toEqual(evalImages(prompt, 2, 32, 7));
    expect(moved[0]).toEqual(renderScene(sampleScene(parsePrompt(prompt), Rng.derive(7, `scenes-clip/eval/${prompt}/0`), 'lattice'), 32));
  });
});

describe('the shipped scenes CLIP (public/models/scenes-clip/)', () => {
  it('ranks a seen prompt\'s images above a wrong prompt, at 32 px and at 48 px', async () => {
    const clip = await loadSceneClip();
    for (const size of [32, 48]) {
      const seeds = [1, 2, 3, 4, 5, 6];
      const circles = seeds.map((s) => image('a red circle', s, size));
      const squares = seeds.map((s) => image('a blue square', s, size));
      const right = await pairCosines(clip, [...circles, ...squares], [...seeds.map(() => 'a red circle'), ...seeds.map(() => 'a blue square')]);
      const wrong = await pairCosines(clip, [...circles, ...squares], [...seeds.map(() => 'a blue square'), ...seeds.map(() => 'a red circle')]);
      right.forEach((c, i) => expect(c).toBeGreaterThan(wrong[i]!));
    }
  });

  it('retrieves the seen single objects\' own prompts among the set\'s 12, and prefers them to one-word edits', async () => {
    const clip = await loadSceneClip();
    const r = await evaluateSceneClip(clip, { layouts: 1, seed: 11 });
    expect(r.retrieval.seenSingles).toBeGreaterThanOrEqual(0.95);
    expect(r.hardNegatives.seenSingles).toBeGreaterThanOrEqual(0.95);
    expect(r.fidelityCorrelation).toBeGreaterThan(0.3);
  });

  it('edits a prompt one word at a time into other prompts of the grammar', () => {
    const edits = promptEdits('a red circle left of a blue square');
    expect(edits.filter((e) => e.kind === 'order').map((e) => e.prompt)).toEqual(['a blue square left of a red circle']);
    expect(edits.filter((e) => e.kind === 'relation').map((e) => e.prompt)).toEqual(['a red circle above a blue square']);
    for (const e of promptEdits(SCENE_EVAL_SETS.seenMulti[0])) expect(() => parsePrompt(e.prompt)).not.toThrow();
  });
});

describe('clip-score as the reward of task scenes', () => {
  it('gives rewards in [0, 1] with the cosine and the verified fidelity in each breakdown, alone and in a mix, leaving no tensor behind', async () => {
    const clip = await loadSceneClip();
    const prompts = ['a large red circle on the left', 'three small blue squares at the top'];
    const images = [image(prompts[0]!, 1), image(prompts[1]!, 2), image(prompts[1]!, 3, 48), new Float32Array(32 * 32 * 3).fill(0.1)];
    const labels = [0, 1, 1, 0];
    const reward = scenesRewarder({ 'clip-score': 1 }, prompts, clip);
    const before = tf.memory().numTensors;
    const got = await reward(images, labels);
    await reward(images, labels);
    expect(tf.memory().numTensors).toBe(before);
    for (const r of got) {
      expect(r.reward).toBeGreaterThanOrEqual(0);
      expect(r.reward).toBeLessThanOrEqual(1);
      expect(r.breakdown).toHaveProperty('cosine');
      expect(r.breakdown).toHaveProperty('fidelity');
      expect(r.breakdown!['clip-score']).toBeCloseTo(r.reward, 3);
    }
    expect(got[0]!.reward).toBeGreaterThan(got[3]!.reward); // the blank image scores below the drawn prompt
    const mix = await scenesRewarder({ fidelity: 0.5, 'clip-score': 0.5 }, prompts, clip)(images, labels);
    mix.forEach((r, i) => expect(r.reward).toBeCloseTo((got[i]!.reward + (got[i]!.breakdown!.fidelity as number)) / 2, 2));
    expect(() => scenesRewarder({ 'clip-score': 1 }, prompts)).toThrow(/scenes CLIP/);
  });

  it('the browser loader (models/scenes-clip/ fetched relative to the page) gives the same scores as the Node loader', async () => {
    const prompts = ['two small purple circles at the top', 'a red circle left of a blue square'];
    const images = [image(prompts[0]!, 7), image(prompts[1]!, 8)];
    const real = globalThis.fetch;
    const fetched: string[] = [];
    // the page's files are public/ served at https://lab.test/
    globalThis.fetch = (async (url: URL | string) => {
      const path = new URL(String(url)).pathname;
      fetched.push(path);
      return new Response(readFileSync(join(PROJECT_ROOT, 'public', path)));
    }) as typeof fetch;
    try {
      const browser = await loadSceneClipFromUrl('https://lab.test/');
      expect(await loadSceneClipFromUrl('https://lab.test/')).toBe(browser); // once per worker
      expect(fetched.sort()).toEqual(['/models/scenes-clip/model.json', '/models/scenes-clip/weights.bin']);
      const node = await loadSceneClip();
      const [a, b] = [await pairCosines(browser, images, prompts), await pairCosines(node, images, prompts)];
      a.forEach((c, i) => expect(c).toBeCloseTo(b[i]!, 6));
    } finally {
      globalThis.fetch = real;
    }
  });

  it('scores the same on the cpu backend as on wasm', async () => {
    const prompts = ['a small green triangle at the bottom', 'a yellow circle above a purple square'];
    const images = [image(prompts[0]!, 4), image(prompts[1]!, 5)];
    const wasm = await loadSceneClip(modelDir('scenes-clip'));
    const onWasm = await pairCosines(wasm, images, prompts);
    wasm.dispose();
    const backend = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const cpu = await loadSceneClip(modelDir('scenes-clip'));
      const onCpu = await pairCosines(cpu, images, prompts);
      cpu.dispose();
      onCpu.forEach((c, i) => expect(c).toBeCloseTo(onWasm[i]!, 4));
    } finally {
      await tf.setBackend(backend);
    }
  });
});

/** A stand-in denoiser that draws each prompt exactly (the world's renderer): the reward's wiring, not a model. */
class RenderingDenoiser implements Denoiser<null> {
  readonly label = 'renderer';
  adapters: LoraAdapters | null = null;
  constructor(readonly prompts: readonly string[]) {}
  numParams(): number {
    return 0;
  }
  attachAdapters(rank: number, alpha: number, seed: number): LoraAdapters {
    this.adapters = new LoraAdapters(rank, alpha, [['w', [2, 2]]], new Rng(seed), 'renderer');
    return this.adapters;
  }
  detachAdapters(): void {
    this.adapters?.dispose();
    this.adapters = null;
  }
  async sample(items: readonly DenoiserSampleItem[]): Promise<Float32Array[]> {
    return items.map((it) => image(this.prompts[it.label]!, it.seed));
  }
  drawBatch(): null {
    return null;
  }
  async trainStep(): Promise<number> {
    throw new Error('not trained in this test');
  }
  async heldOutLoss(): Promise<number> {
    return 0;
  }
}

describe('selecting clip-score on task scenes', () => {
  const problems = (c: Partial<RunConfig>) => checkConfig({ ...runDefaults('scenes'), ...c } as RunConfig).map((p) => p.key);

  it('--reward clip-score on scenes takes the task\'s own CLIP (embedded) and each image\'s prompt, in the link too', () => {
    const r = parseCliArgs(['run', '--task', 'scenes', '--reward', 'clip-score']);
    expect(r.errors).toEqual([]);
    expect(r.config).toMatchObject({ task: 'scenes', imageReward: 'clip-score', imageRewardModel: 'embedded', imageRewardTarget: '' });
    expect(checkConfig(r.config)).toEqual([]);
    const hash = encodeConfigHash(r.config);
    expect(hash).not.toContain('rwm=');
    expect(decodeConfigHash(`#${hash}`).config).toEqual(r.config);
  });

  it('refuses a Hub CLIP or a target text on scenes, the embedded model elsewhere, and the other Hub rewards on scenes', () => {
    expect(problems({ imageReward: 'clip-score', imageRewardModel: 'Xenova/clip-vit-base-patch32' })).toEqual(['imageRewardModel']);
    expect(problems({ imageReward: 'clip-score', imageRewardTarget: 'a red circle' })).toEqual(['imageRewardTarget']);
    expect(problems({ imageReward: 'aesthetic' })).toEqual(['imageReward']);
    const hub = { ...runDefaults('hub-images', 'google/ddpm-cifar10-32'), imageReward: 'clip-score', imageRewardTarget: 'a cat', imageRewardModel: 'embedded' } as RunConfig;
    expect(checkConfig(hub).map((p) => p.key)).toEqual(['imageRewardModel']);
  });

  it('a run\'s reward loads the CLIP only for clip-score, and the engine still measures the verified fidelity', async () => {
    let loads = 0;
    const source = async () => (loads++, loadSceneClip());
    const prompts = SCENE_TASK_PROMPTS.slice(0, 4);
    await scenesRunRewarder({ imageReward: 'fidelity', imageRewardModel: 'embedded' }, prompts, source);
    expect(loads).toBe(0);
    await expect(scenesRunRewarder({ imageReward: 'clip-score', imageRewardModel: 'org/clip' }, prompts, source)).rejects.toThrow(/embedded/);
    const config = { ...runDefaults('scenes'), imageReward: 'clip-score' as const, cycles: 0, evalPrompts: 4, evalSamplesPerPrompt: 2 };
    const rewarder = await scenesRunRewarder(config, prompts, source);
    expect(loads).toBe(1);
    await loadSceneClip();
    const tensors = tf.memory().numTensors;
    const engine = new DiffusionRaftEngine({ denoiser: new RenderingDenoiser(prompts), config, rewarder });
    const { stats, evalSamples } = await engine.runCycle();
    expect(stats).toMatchObject({ evalFidelity: 1, evalPassRate: 1 });
    expect(stats.evalReward).toBeGreaterThan(0);
    expect(stats.evalReward).toBeLessThanOrEqual(1);
    expect(evalSamples[0]!.breakdown).toHaveProperty('cosine');
    engine.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('weighted mixes of image rewards (--reward fidelity:0.7,clip-score:0.3)', () => {
  it('parse on the command line and in the link, in a canonical form, and weigh the parts', async () => {
    const r = parseCliArgs(['run', '--task', 'scenes', '--reward', 'fidelity:0.7, clip-score:.30']);
    expect(r.errors).toEqual([]);
    expect(r.config.imageReward).toBe('fidelity:0.7,clip-score:0.3');
    expect(checkConfig(r.config)).toEqual([]);
    expect(decodeConfigHash(`#${encodeConfigHash(r.config)}`).config).toEqual(r.config);
    const shapes = parseCliArgs(['run', '--task', 'shapes', '--reward', 'redness:1,count:3']);
    expect(shapes.errors).toEqual([]);
    expect(checkConfig(shapes.config)).toEqual([]);
    // the engine's weights of a setting: a named reward, clip-score, or a mix
    expect(imageRewardWeights(shapes.config.imageReward)).toEqual({ redness: 1, count: 3 });
    expect(imageRewardWeights('red-symmetric')).toEqual({ redness: 0.5, symmetry: 0.5 });
    expect(imageRewardWeights('clip-score')).toEqual({ 'clip-score': 1 });
    expect(imageRewardWeights('aesthetic')).toBeUndefined();
    let loads = 0;
    const prompts = SCENE_TASK_PROMPTS.slice(0, 2);
    const mixed = await scenesRunRewarder(r.config, prompts, async () => (loads++, loadSceneClip()));
    expect(loads).toBe(1);
    const [res] = await mixed([image(prompts[0]!, 9)], [0]);
    const b = res!.breakdown as Record<string, number>;
    expect(res!.reward).toBeCloseTo(0.7 * b.fidelity! + 0.3 * b['clip-score']!, 2);
  });

  it('refuse a bad part with the part named, and scenes parts off task scenes', () => {
    const err = (reward: string, task = 'scenes') => parseCliArgs(['run', '--task', task, '--reward', reward]).errors.join(' ');
    expect(err('fidelity:0.7,clip:0.3')).toContain('"clip" in the mix is not one of');
    expect(err('fidelity:high')).toContain('the weight of fidelity in the mix must be a positive number (got "high"');
    expect(err('fidelity:0')).toContain('positive number');
    expect(err('fidelity:1,fidelity:2')).toContain('"fidelity" appears twice');
    expect(err('fidelity:1,')).toContain('empty part');
    const onShapes = parseCliArgs(['run', '--task', 'shapes', '--reward', 'fidelity:0.5,redness:0.5']).config;
    expect(checkConfig(onShapes).map((p) => p.message).join(' ')).toMatch(/weighs fidelity.*task scenes/);
    // a Hub CLIP stays the reward clip-score of task hub-images, with its target
    const hub = { ...runDefaults('hub-images', 'google/ddpm-cifar10-32'), imageReward: 'clip-score', imageRewardTarget: 'a cat' } as RunConfig;
    expect(checkConfig(hub)).toEqual([]);
    const hubMix = { ...hub, imageReward: 'clip-score:1,redness:1' } as RunConfig;
    expect(checkConfig(hubMix).map((p) => p.key)).toEqual(['imageReward']);
  });
});
