// Learned image rewards, offline: the project's tiny CLIP, CIFAR-10 classifier and aesthetic head
// (scripts/make-image-reward-fixtures.py) served in the Hub's layout from a local server and run through the real
// transformers.js classes and pipeline, checked against the script's own numpy computation.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aestheticHead, parseAestheticConfig } from '../src/core/rewards/aesthetic-head';
import { imageRewardModelLoader, type RewardImage } from '../src/core/rewards/image-models';
import { nodeImageRewardModels } from '../src/node/image-reward-models';
import { FIXTURES, startHubServer } from './hub-server';

const read = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8'));
const CLIP_REF = read('clip') as {
  images: Array<{ name: string; width: number; height: number; pixels: number[] }>;
  texts: Array<{ text: string; ids: number[] }>;
  image_embeds: number[][];
  text_embeds: number[][];
  cosine: number[][];
};
const VIT_REF = read('cifar10-vit') as { labels: string[]; probs: number[][] };
const AES_REF = read('aesthetic-head') as { scores: number[] };
const IMAGES: RewardImage[] = CLIP_REF.images.map((i) => ({ pixels: Float32Array.from(i.pixels), width: i.width, height: i.height }));

const CLIP = 'tiny/clip';
const VIT = 'tiny/cifar10-vit';
const AES = 'tiny/aesthetic-head';
const TOL = 1e-5;

function close(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThan(TOL);
  return worst;
}

const log: string[] = [];
let hub: { server: Server; endpoint: string };
beforeAll(async () => {
  // a CLIP repo with its configs and tokenizer but no onnx/ folder
  const noOnnx = mkdtempSync(join(tmpdir(), 'raftlab-clip-no-onnx-'));
  for (const f of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURES, 'clip', f), join(noOnnx, f));
  // an aesthetic head on a CLIP model that is not there
  const orphan = mkdtempSync(join(tmpdir(), 'raftlab-aesthetic-orphan-'));
  copyFileSync(join(FIXTURES, 'aesthetic-head', 'head.safetensors'), join(orphan, 'head.safetensors'));
  const config = JSON.parse(readFileSync(join(FIXTURES, 'aesthetic-head', 'config.json'), 'utf8'));
  writeFileSync(join(orphan, 'config.json'), JSON.stringify({ ...config, clip_model: 'tiny/clip-no-onnx' }));
  hub = await startHubServer(log, 0, { 'clip-no-onnx': noOnnx, 'aesthetic-orphan': orphan });
});
afterAll(() => hub.server.close());

const loader = (batch = 16) => imageRewardModelLoader({ endpoint: hub.endpoint, device: 'cpu', cacheDir: mkdtempSync(join(tmpdir(), 'raftlab-tjs-img-')), batch });

describe('clip-score: a Hub CLIP model through transformers.js (CLIPTextModelWithProjection, CLIPVisionModelWithProjection)', () => {
  it('gives the numpy embeddings, cosines and clamp(2.5 cos, 0, 1) rewards (to 1e-5), in batches', { timeout: 60_000 }, async () => {
    const models = loader(3); // 4 images: batches of 3 and 1
    const clip = await models.clip(CLIP);
    expect(clip.dim).toBe(8);
    const imageEmbeds = await clip.embedImages(IMAGES);
    const worstImage = Math.max(...imageEmbeds.map((e, i) => close(e, CLIP_REF.image_embeds[i]!)));
    // the CLIP tokenizer (BPE with </w>, byte-level, <|startoftext|> ... <|endoftext|>) gives the script's ids
    // ("green" is g + re + e + n</w>: "red"'s merge r + e ranks first), so the text embeddings match
    const tokenizer = await AutoTokenizer.from_pretrained(CLIP);
    expect(CLIP_REF.texts.map((t) => tokenizer.encode(t.text))).toEqual(CLIP_REF.texts.map((t) => t.ids));
    const textEmbeds = await clip.embedTexts(CLIP_REF.texts.map((t) => t.text));
    const worstText = Math.max(...textEmbeds.map((e, i) => close(e, CLIP_REF.text_embeds[i]!)));
    let worstCos = 0;
    for (const [j, t] of CLIP_REF.texts.entries()) {
      const got = await models.clipScore(CLIP, IMAGES, t.text);
      const want = CLIP_REF.cosine.map((row) => row[j]!);
      worstCos = Math.max(worstCos, close(got.map((g) => g.raw), want));
      close(got.map((g) => g.reward), want.map((c) => Math.min(1, Math.max(0, 2.5 * c))));
    }
    // one text per image
    const perImage = await models.clipScore(CLIP, IMAGES, CLIP_REF.texts.slice(0, 4).map((t) => t.text));
    close(perImage.map((g) => g.raw), [0, 1, 2, 3].map((i) => CLIP_REF.cosine[i]![i]!));
    await expect(models.clipScore(CLIP, IMAGES, ['a', 'b'])).rejects.toThrow(/2 texts for 4 images/);
    console.log(`clip-score: worst |diff| image_embeds ${worstImage.toExponential(2)}, text_embeds ${worstText.toExponential(2)}, cosine ${worstCos.toExponential(2)}; cosines of image 0: ${CLIP_REF.cosine[0]!.map((c) => c.toFixed(4)).join(' ')}`);
    expect(log).toContain(`/${CLIP}/resolve/main/onnx/text_model.onnx`);
    expect(log).toContain(`/${CLIP}/resolve/main/onnx/vision_model.onnx`);
    await models.dispose();
  });
});

describe('image-classification: a Hub image classifier through pipeline("image-classification")', () => {
  it('gives the numpy softmax of every class, and the named class\'s probability (to 1e-5)', { timeout: 60_000 }, async () => {
    const models = loader(3);
    const vit = await models.classifier(VIT);
    expect(vit.labels).toEqual(VIT_REF.labels);
    const all = await vit.probabilities(IMAGES);
    const worst = Math.max(...all.map((p, i) => close(VIT_REF.labels.map((l) => p[l]!), VIT_REF.probs[i]!)));
    const cat = await models.classProbability(VIT, IMAGES, 'cat');
    close(cat, VIT_REF.probs.map((p) => p[VIT_REF.labels.indexOf('cat')]!));
    console.log(`image-classification: worst |diff| ${worst.toExponential(2)}; p(cat) per image: ${cat.map((p) => p.toFixed(4)).join(' ')}`);
    await models.dispose();
  });

  it('refuses a class the model lacks, listing its labels', { timeout: 60_000 }, async () => {
    const models = loader();
    const labels = VIT_REF.labels.join(', ');
    await expect(models.classProbability(VIT, IMAGES, 'unicorn')).rejects.toThrow(`the image classifier ${VIT}@main has no label "unicorn" (its labels: ${labels})`);
    await expect(models.checkLabel(VIT, 'Cat')).rejects.toThrow(/has no label "Cat" \(its labels: airplane, automobile, bird, cat,/);
    await expect(models.checkLabel(VIT, 'cat')).resolves.toBeUndefined();
    await models.dispose();
  });
});

describe('aesthetic: a LAION-style MLP head (head.safetensors) on the CLIP image embedding', () => {
  it('gives the numpy score of the normalized embedding and clamp((s - 1) / 9, 0, 1) (to 1e-5)', { timeout: 60_000 }, async () => {
    const models = loader();
    const got = await models.aesthetic(AES, IMAGES);
    const worst = close(got.map((g) => g.raw), AES_REF.scores);
    close(got.map((g) => g.reward), AES_REF.scores.map((s) => Math.min(1, Math.max(0, (s - 1) / 9))));
    console.log(`aesthetic: worst |diff| ${worst.toExponential(2)}; scores ${got.map((g) => g.raw.toFixed(4)).join(' ')}`);
    // the head sits on the CLIP model its config names, loaded through the same loader (once)
    const head = await models.aestheticHead(AES);
    expect(head.clip).toBe(await models.clip(CLIP));
    await models.dispose();
  });

  it('checks the head against its config: a wrong shape or a missing tensor is named', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'aesthetic-head', 'head.safetensors')));
    const config = parseAestheticConfig(JSON.parse(readFileSync(join(FIXTURES, 'aesthetic-head', 'config.json'), 'utf8')), 'x');
    expect(() => aestheticHead({ ...config, sizes: [8, 15, 8, 4, 2, 1] }, bytes, 'x')).toThrow(/layers.0.weight is \[16, 8\], expected \[15, 8\]/);
    expect(() => aestheticHead({ ...config, layers: ['layers.0', 'layers.1', 'layers.4', 'layers.6', 'layers.7'] }, bytes, 'x')).toThrow(/has no tensor layers.1.weight/);
    expect(() => parseAestheticConfig({ clip_model: 'c', activation: 'gelu', sizes: [8, 16, 8, 4, 2, 1] }, 'x')).toThrow(/activation "gelu" \(known: none, relu\)/);
    expect(() => parseAestheticConfig({}, 'x')).toThrow(/names no CLIP model/);
  });
});

describe('loading', () => {
  it('loads each model once per id@revision: a second call returns it and fetches nothing', { timeout: 60_000 }, async () => {
    const models = loader();
    const [a, b] = [await models.clip(CLIP), await models.classifier(VIT)];
    await models.aesthetic(AES, IMAGES.slice(0, 1));
    const before = log.length;
    expect(await models.clip(CLIP)).toBe(a);
    expect(await models.classifier(VIT)).toBe(b);
    await models.clipScore(CLIP, IMAGES, 'a red car');
    await models.classProbability(VIT, IMAGES, 'ship');
    await models.aesthetic(AES, IMAGES);
    expect(log.slice(before)).toEqual([]);
    await models.dispose();
    // after dispose() the sessions are gone: the next call loads the model again (from transformers.js' file cache)
    expect(await models.clip(CLIP)).not.toBe(a);
    expect(log.slice(before)).toEqual([]);
    await models.dispose();
  });

  it('a model that does not load is an error naming it, never a crash (no onnx/ files, no repo, server down, a head on a missing CLIP)', { timeout: 60_000 }, async () => {
    const models = loader();
    await expect(models.clipScore('tiny/clip-no-onnx', IMAGES, 'a cat')).rejects.toThrow(/^the CLIP model tiny\/clip-no-onnx@main did not load: /);
    await expect(models.classProbability('tiny/nothing-here', IMAGES, 'cat')).rejects.toThrow(/^the image classifier tiny\/nothing-here@main did not load: /);
    await expect(models.aesthetic('tiny/nothing-here', IMAGES)).rejects.toThrow(/^the aesthetic head tiny\/nothing-here@main did not load: it has no config.json/);
    await expect(models.aesthetic('tiny/aesthetic-orphan', IMAGES)).rejects.toThrow(/^the aesthetic head tiny\/aesthetic-orphan@main sits on a CLIP model that did not load: the CLIP model tiny\/clip-no-onnx@main did not load/);
    const down = imageRewardModelLoader({ endpoint: 'http://127.0.0.1:9', device: 'cpu', cacheDir: mkdtempSync(join(tmpdir(), 'raftlab-tjs-img-')) });
    await expect(down.clipScore(CLIP, IMAGES, 'a cat')).rejects.toThrow(/^the CLIP model tiny\/clip@main did not load: /);
    await expect(down.classifier(VIT)).rejects.toThrow(/^the image classifier tiny\/cifar10-vit@main did not load: /);
    await expect(down.aesthetic(AES, IMAGES)).rejects.toThrow(/^the aesthetic head tiny\/aesthetic-head@main did not load: .*fetching/);
    // a failed load is forgotten: the same loader retries and, with the model there, succeeds
    const p = models.classifier(VIT);
    await expect(p).resolves.toHaveProperty('labels', VIT_REF.labels);
    await models.dispose();
  });

  it('the CLI\'s runtime (node/image-reward-models.ts) scores on the CPU, caches under $RAFTLAB_CACHE and logs each file once', { timeout: 60_000 }, async () => {
    const saved = process.env.RAFTLAB_CACHE;
    const cache = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));
    process.env.RAFTLAB_CACHE = cache;
    try {
      const lines: string[] = [];
      const models = nodeImageRewardModels(hub.endpoint, (l) => lines.push(l));
      const got = await models.aesthetic(AES, IMAGES);
      close(got.map((g) => g.raw), AES_REF.scores);
      expect(lines.filter((l) => l.includes('onnx/vision_model.onnx'))).toHaveLength(1);
      expect(lines.every((l) => l.startsWith('image reward model '))).toBe(true);
      const cached = (readdirSync(join(cache, 'transformers'), { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'));
      expect(cached).toContain('tiny/clip/onnx/vision_model.onnx');
      await models.dispose();
    } finally {
      if (saved === undefined) delete process.env.RAFTLAB_CACHE;
      else process.env.RAFTLAB_CACHE = saved;
    }
  });

  it('takes images of other sizes through the processors\' resize and center crop (a flat colour stays that colour)', { timeout: 60_000 }, async () => {
    const models = loader();
    const flat = (width: number, height: number): RewardImage => {
      const pixels = new Float32Array(width * height * 3);
      for (let i = 0; i < pixels.length; i += 3) pixels.set([0.8, 0.3, 0.1], i);
      return { pixels, width, height };
    };
    // 16x16 is the processors' size (no resize); 32x32 is resized by half (sharp in Node); 24x16 has CLIP's shortest
    // edge already and is center-cropped. (At a non-integer ratio, e.g. 40x24 -> 26x16, sharp's bicubic changes a
    // flat image's edge pixels, by up to 13/255 here: resampled images are close to, not equal to, PIL's or a canvas'.)
    const [e0, ...rest] = await (await models.clip(CLIP)).embedImages([flat(16, 16), flat(32, 32), flat(24, 16)]);
    for (const e of rest) close(e, e0!);
    const [p0, p1] = await (await models.classifier(VIT)).probabilities([flat(16, 16), flat(32, 32)]);
    close(VIT_REF.labels.map((l) => p1![l]!), VIT_REF.labels.map((l) => p0![l]!));
    await models.dispose();
  });

  it('refuses images of the wrong size by index', async () => {
    const models = loader();
    await expect(models.clipScore(CLIP, [{ pixels: new Float32Array(10), width: 16, height: 16 }], 'a cat')).rejects.toThrow(/image 0: 10 values for 16 x 16 RGB \(expected 768\)/);
    await models.dispose();
  });
});
