/**
 * Learned image rewards from the Hub, through @huggingface/transformers (ONNX weights in the layout transformers.js
 * loads), for RAFT on diffusion models. Like the learned text reward (core/hub/text-classifier.ts) the same code
 * serves the CLI (ONNX Runtime's Node build, the CPU) and the page's trainer worker (WebGPU or WASM): what differs
 * is the runtime (the Hub endpoint, the device, the cache folder). Each model loads once per id@revision (a failed
 * load may be retried); images are scored in batches of `runtime.batch`.
 *
 * Images: `RewardImage` (image-input.ts): Float32Array pixels in [0, 1], HWC RGB, with width and height; quantized to
 * 8 bits as transformers.js' RawImage holds them, then the model's own image processor (resize, crop, rescale,
 * normalize, from its preprocessor_config.json).
 *
 * The rewards (each result gives the model's raw number and a reward in [0, 1]):
 * - clip-score (`clipScore`): a CLIP model (e.g. Xenova/clip-vit-base-patch32: config.json, preprocessor_config.json,
 *   tokenizer.json, tokenizer_config.json, onnx/text_model.onnx, onnx/vision_model.onnx; loaded with AutoTokenizer,
 *   AutoImageProcessor, CLIPTextModelWithProjection and CLIPVisionModelWithProjection, whose outputs are
 *   `text_embeds` and `image_embeds`). Raw: the cosine of the image's and the target text's embeddings (RAFT's
 *   text-image alignment reward). Reward: clamp(2.5 x cosine, 0, 1), CLIPScore's scale (Hessel et al. 2021,
 *   w = 2.5). Why not (cos + 1) / 2: CLIP's cosines between an image and a caption live in a narrow band (about
 *   0.15-0.40 for ViT-B/32), which (cos + 1) / 2 squeezes into 0.57-0.70; 2.5 x cos spreads it over 0.4-1 and
 *   clamps only what no real pair reaches (cos > 0.4) or is anti-aligned (cos < 0). Text embeddings are cached per
 *   text (a run scores many images against few prompts).
 * - image-classification (`classProbability`): an image classifier (config.json with id2label,
 *   preprocessor_config.json, onnx/model.onnx: pixel_values -> logits) through pipeline('image-classification'):
 *   the softmax probability of a named class, already in [0, 1] (raw = reward). A class the model's id2label lacks
 *   is refused with its labels (`checkLabel` says so before a run).
 * - aesthetic (`aesthetic`): the LAION aesthetic predictor, an MLP head (aesthetic-head.ts: a Hub repo with
 *   config.json naming the CLIP model it sits on and head.safetensors) applied here to the L2-normalized CLIP image
 *   embedding. Raw: the predictor's score (about 1-10 for LAION's); reward: clamp((score - lo) / (hi - lo), 0, 1)
 *   with the head's `score_range` [lo, hi] (default [1, 10]). The head's files are fetched once per process (they
 *   are small: LAION's is 3.7 MB in F32); the CLIP model goes through transformers.js' cache as the others.
 *
 * A model that does not load (no such repo, no onnx/ files, the server down, a head whose CLIP model fails) is an
 * Error naming the model and revision, never a crash; the loader forgets it so a later call retries.
 *
 * API: `imageRewardModelLoader(runtime)` -> { clip, classifier, aestheticHead (the loaded models, for callers that
 * keep them), clipScore, classProbability, aesthetic, checkLabel (one call each), dispose }.
 */
import {
  AutoImageProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  env,
  pipeline,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type RawImage,
  type Tensor,
} from '@huggingface/transformers';
import { fetchModelFile } from '../hub/fetch-file';
import { aestheticHead, parseAestheticConfig, type AestheticHead } from './aesthetic-head';
import { inBatches, toRawImage, type RewardImage } from './image-input';

export type { RewardImage } from './image-input';

export interface ImageRewardRuntime {
  /** The Hub (or a mirror, or a test server): files come from {endpoint}/{id}/resolve/{revision}/. */
  endpoint: string;
  device: 'cpu' | 'wasm' | 'webgpu';
  /** Node: the folder transformers.js caches files in. */
  cacheDir?: string;
  /** Images (or texts) per model call; default 16. */
  batch?: number;
  /** Download progress of a model's files (bytes). */
  onProgress?: (p: { model: string; file: string; loaded: number; total: number }) => void;
}

/** A raw model output and its reward in [0, 1]. */
export interface ScoredImage {
  raw: number;
  reward: number;
}

export interface ClipModel {
  model: string;
  /** The projection's width (the embeddings' length). */
  dim: number;
  /** One embedding per image (as the model gives it, not normalized). */
  embedImages(images: readonly RewardImage[]): Promise<Float32Array[]>;
  /** One embedding per text (cached per text). */
  embedTexts(texts: readonly string[]): Promise<Float32Array[]>;
  /** Cosine (raw) and clamp(2.5 cos, 0, 1) (reward) of each image with `texts` (one for all, or one per image). */
  score(images: readonly RewardImage[], texts: string | readonly string[]): Promise<ScoredImage[]>;
  dispose(): Promise<void>;
}

export interface ImageClassifierModel {
  model: string;
  labels: string[];
  /** Every label's probability, per image. */
  probabilities(images: readonly RewardImage[]): Promise<Array<Record<string, number>>>;
  /** The named label's probability per image; a label the model lacks is refused with its labels. */
  classProbability(images: readonly RewardImage[], label: string): Promise<number[]>;
  /** Throws unless the model has the label (its message lists the labels). */
  checkLabel(label: string): void;
  dispose(): Promise<void>;
}

export interface AestheticModel {
  model: string;
  head: AestheticHead;
  clip: ClipModel;
  /** The predictor's score (raw) and its [0, 1] mapping (reward), per image. */
  score(images: readonly RewardImage[]): Promise<ScoredImage[]>;
}

export interface ImageRewardModels {
  clip(model: string, revision?: string): Promise<ClipModel>;
  classifier(model: string, revision?: string): Promise<ImageClassifierModel>;
  aestheticHead(model: string, revision?: string): Promise<AestheticModel>;
  clipScore(model: string, images: readonly RewardImage[], texts: string | readonly string[], revision?: string): Promise<ScoredImage[]>;
  classProbability(model: string, images: readonly RewardImage[], label: string, revision?: string): Promise<number[]>;
  checkLabel(model: string, label: string, revision?: string): Promise<void>;
  aesthetic(model: string, images: readonly RewardImage[], revision?: string): Promise<ScoredImage[]>;
  /** Frees every loaded model (their ONNX sessions); later calls load them again. */
  dispose(): Promise<void>;
}

/** CLIPScore's weight (Hessel et al. 2021): reward = clamp(CLIP_SCALE x cosine, 0, 1). */
export const CLIP_SCALE = 2.5;
export const clipReward = (cosine: number): number => Math.min(1, Math.max(0, CLIP_SCALE * cosine));
/** Text embeddings kept per CLIP model (the run's prompts). */
const TEXT_CACHE = 1024;

/** The learned image rewards on this runtime; each model loads once per id@revision. */
export function imageRewardModelLoader(rt: ImageRewardRuntime): ImageRewardModels {
  const clips = new Map<string, Promise<ClipModel>>();
  const classifiers = new Map<string, Promise<ImageClassifierModel>>();
  const heads = new Map<string, Promise<AestheticModel>>();
  function once<T>(cache: Map<string, Promise<T>>, model: string, revision: string, load: () => Promise<T>): Promise<T> {
    const key = `${model}@${revision}`;
    if (!cache.has(key)) {
      const p = load();
      cache.set(key, p);
      p.catch(() => cache.delete(key)); // a failed download may be retried
    }
    return cache.get(key)!;
  }
  const clip = (model: string, revision = 'main') => once(clips, model, revision, () => loadClip(rt, model, revision));
  const classifier = (model: string, revision = 'main') => once(classifiers, model, revision, () => loadClassifier(rt, model, revision));
  const head = (model: string, revision = 'main') => once(heads, model, revision, () => loadAesthetic(rt, model, revision, clip));
  return {
    clip,
    classifier,
    aestheticHead: head,
    clipScore: async (model, images, texts, revision) => (await clip(model, revision)).score(images, texts),
    classProbability: async (model, images, label, revision) => (await classifier(model, revision)).classProbability(images, label),
    checkLabel: async (model, label, revision) => (await classifier(model, revision)).checkLabel(label),
    aesthetic: async (model, images, revision) => (await head(model, revision)).score(images),
    async dispose() {
      const all = [...clips.values(), ...classifiers.values()];
      clips.clear();
      classifiers.clear();
      heads.clear();
      await Promise.all(all.map((p) => p.then((m) => m.dispose(), () => undefined)));
    },
  };
}

function configure(rt: ImageRewardRuntime): void {
  env.remoteHost = rt.endpoint.endsWith('/') ? rt.endpoint : `${rt.endpoint}/`;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  if (rt.cacheDir) env.cacheDir = rt.cacheDir;
}

function progress(rt: ImageRewardRuntime, model: string) {
  return (p: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (p.status === 'progress' && p.file) rt.onProgress?.({ model, file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
  };
}

function loadError(what: string, model: string, revision: string, e: unknown): Error {
  return new Error(`the ${what} ${model}@${revision} did not load: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
}

/** Rows of a [n, d] float tensor, copied out; the tensor is freed. */
function rows(t: Tensor, what: string): Float32Array[] {
  if (t.dims.length !== 2) throw new Error(`${what} has shape [${t.dims.join(', ')}], expected [batch, dim]`);
  const [n, d] = t.dims as [number, number];
  const data = t.data as Float32Array;
  const out = Array.from({ length: n }, (_, i) => Float32Array.from(data.subarray(i * d, (i + 1) * d)));
  t.dispose();
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

type ImageProcessor = (images: RawImage[]) => Promise<{ pixel_values: Tensor }>;
type ModelCall = (inputs: Record<string, unknown>) => Promise<Record<string, Tensor>>;

async function loadClip(rt: ImageRewardRuntime, model: string, revision: string): Promise<ClipModel> {
  configure(rt);
  const opts = { revision, device: rt.device, dtype: 'fp32' as const, progress_callback: progress(rt, model) };
  let tokenizer: PreTrainedTokenizer;
  let processor: ImageProcessor;
  let text: PreTrainedModel;
  let vision: PreTrainedModel;
  try {
    // one after the other: a failure leaves no half-loaded sessions behind
    tokenizer = await AutoTokenizer.from_pretrained(model, { revision, progress_callback: opts.progress_callback });
    processor = (await AutoImageProcessor.from_pretrained(model, { revision, progress_callback: opts.progress_callback })) as unknown as ImageProcessor;
    text = await CLIPTextModelWithProjection.from_pretrained(model, opts);
    try {
      vision = await CLIPVisionModelWithProjection.from_pretrained(model, opts);
    } catch (e) {
      await text.dispose();
      throw e;
    }
  } catch (e) {
    throw loadError('CLIP model', model, revision, e);
  }
  const batch = rt.batch ?? 16;
  const cache = new Map<string, Float32Array>();
  const dim = Number((vision.config as { projection_dim?: number }).projection_dim ?? (text.config as { projection_dim?: number }).projection_dim ?? 0);
  const embedImages = (images: readonly RewardImage[]) =>
    inBatches(images, batch, async (part, offset) => {
      const { pixel_values } = await processor(part.map((img, i) => toRawImage(img, offset + i)));
      const out = await (vision as unknown as ModelCall)({ pixel_values });
      pixel_values.dispose();
      if (!out.image_embeds) throw new Error(`the CLIP model ${model}: vision_model.onnx gave no image_embeds (outputs: ${Object.keys(out).join(', ')})`);
      return rows(out.image_embeds, `${model} image_embeds`);
    });
  async function embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
    await inBatches(missing, batch, async (part) => {
      const inputs = tokenizer(part, { padding: true, truncation: true }) as unknown as Record<string, Tensor>;
      const out = await (text as unknown as ModelCall)(inputs);
      for (const t of Object.values(inputs)) t.dispose?.();
      if (!out.text_embeds) throw new Error(`the CLIP model ${model}: text_model.onnx gave no text_embeds (outputs: ${Object.keys(out).join(', ')})`);
      const got = rows(out.text_embeds, `${model} text_embeds`);
      part.forEach((t, i) => {
        if (cache.size >= TEXT_CACHE) cache.delete(cache.keys().next().value!);
        cache.set(t, got[i]!);
      });
      return got;
    });
    return texts.map((t) => cache.get(t)!);
  }
  return {
    model,
    dim,
    embedImages,
    embedTexts,
    async score(images, texts) {
      const list = typeof texts === 'string' ? [texts] : [...texts];
      if (list.length !== 1 && list.length !== images.length) {
        throw new Error(`clip-score: ${list.length} texts for ${images.length} images (give one text, or one per image)`);
      }
      const t = await embedTexts(list);
      const e = await embedImages(images);
      return e.map((v, i) => {
        const c = cosine(v, t[list.length === 1 ? 0 : i]!);
        return { raw: c, reward: clipReward(c) };
      });
    },
    async dispose() {
      cache.clear();
      await Promise.all([text.dispose(), vision.dispose()]);
    },
  };
}

interface Label {
  label: string;
  score: number;
}
type ClassifierPipe = ((images: RawImage[], opts: { top_k: number }) => Promise<Label[][]>) & {
  model: { config: { id2label?: Record<string, string> } };
  dispose(): Promise<void>;
};

async function loadClassifier(rt: ImageRewardRuntime, model: string, revision: string): Promise<ImageClassifierModel> {
  configure(rt);
  let pipe: ClassifierPipe;
  try {
    pipe = (await pipeline('image-classification', model, { revision, device: rt.device, dtype: 'fp32', progress_callback: progress(rt, model) })) as unknown as ClassifierPipe;
  } catch (e) {
    throw loadError('image classifier', model, revision, e);
  }
  const labels = Object.entries(pipe.model.config.id2label ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, l]) => l);
  if (!labels.length) {
    await pipe.dispose();
    throw new Error(`the image classifier ${model}@${revision} did not load: its config.json has no id2label`);
  }
  const batch = rt.batch ?? 16;
  const checkLabel = (label: string) => {
    if (!labels.includes(label)) throw new Error(`the image classifier ${model}@${revision} has no label "${label}" (its labels: ${labels.join(', ')})`);
  };
  const probabilities = (images: readonly RewardImage[]) =>
    inBatches(images, batch, async (part, offset) => {
      const got = await pipe(part.map((img, i) => toRawImage(img, offset + i)), { top_k: labels.length });
      return got.map((r) => Object.fromEntries(r.map((l) => [l.label, l.score])));
    });
  return {
    model,
    labels,
    probabilities,
    checkLabel,
    async classProbability(images, label) {
      checkLabel(label);
      return (await probabilities(images)).map((p) => p[label] ?? 0);
    },
    dispose: () => pipe.dispose(),
  };
}

async function loadAesthetic(
  rt: ImageRewardRuntime,
  model: string,
  revision: string,
  clip: (model: string, revision?: string) => Promise<ClipModel>,
): Promise<AestheticModel> {
  const what = `${model}@${revision}`;
  const base = `${rt.endpoint.replace(/\/$/, '')}/${model}/resolve/${encodeURIComponent(revision)}/`;
  let head: AestheticHead;
  try {
    const configFile = await fetchModelFile(`${base}config.json`, 'the aesthetic head is fetched again next time');
    if (!configFile) throw new Error('it has no config.json');
    const config = parseAestheticConfig(JSON.parse(new TextDecoder().decode(configFile.bytes)), what);
    const weights = await fetchModelFile(`${base}${config.weights}`, 'the aesthetic head is fetched again next time', (loaded, total) =>
      rt.onProgress?.({ model, file: config.weights, loaded, total: total ?? loaded }),
    );
    if (!weights) throw new Error(`it has no ${config.weights}`);
    head = aestheticHead(config, weights.bytes, what);
  } catch (e) {
    throw loadError('aesthetic head', model, revision, e);
  }
  const { clipModel, clipRevision } = head.config;
  let base_: ClipModel;
  try {
    base_ = await clip(clipModel, clipRevision);
  } catch (e) {
    throw new Error(`the aesthetic head ${what} sits on a CLIP model that did not load: ${(e as Error).message}`);
  }
  if (base_.dim && base_.dim !== head.config.sizes[0]) {
    throw new Error(`the aesthetic head ${what} takes ${head.config.sizes[0]}-dimensional embeddings; ${clipModel} gives ${base_.dim}`);
  }
  return {
    model,
    head,
    clip: base_,
    async score(images) {
      const e = await base_.embedImages(images);
      return e.map((v) => {
        const s = head.apply(v);
        return { raw: s, reward: head.reward(s) };
      });
    },
  };
}
