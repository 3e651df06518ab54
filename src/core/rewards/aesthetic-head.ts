/**
 * The aesthetic head: the LAION aesthetic predictor's form (improved-aesthetic-predictor: an MLP of Linear layers,
 * no activation between them, on the L2-normalized CLIP image embedding; its score is about 1-10, the AVA rating
 * scale), read from a Hub repo of two files:
 *
 *   config.json        {"clip_model": "Xenova/clip-vit-large-patch14", "clip_revision": "main",
 *                       "weights": "head.safetensors", "layers": ["layers.0", "layers.2", "layers.4", "layers.6", "layers.7"],
 *                       "sizes": [768, 1024, 128, 64, 16, 1], "activation": "none", "score_range": [1, 10]}
 *   head.safetensors   {layer}.weight (out, in) and {layer}.bias (out) per layer: PyTorch's nn.Linear, F32/F16/BF16
 *
 * `layers` are the tensors' name prefixes (LAION's nn.Sequential indices, dropouts in between, by default),
 * `sizes` the widths from the embedding to the one score, `activation` "none" (LAION) or "relu" between layers
 * (not after the last), `score_range` [lo, hi] the score's nominal range: the reward in [0, 1] is
 * clamp((score - lo) / (hi - lo), 0, 1) (default [1, 10]: LAION's scale). Everything is checked before use: a
 * missing tensor, a wrong shape, an unknown activation is an error that names it. Applied in float64.
 */
import { readSafetensors } from '../hub/safetensors';

export interface AestheticHeadConfig {
  clipModel: string;
  clipRevision: string;
  weights: string;
  layers: string[];
  sizes: number[];
  activation: 'none' | 'relu';
  scoreRange: [number, number];
}

export interface AestheticHead {
  config: AestheticHeadConfig;
  /** The score of one image embedding (normalized here; any length-`sizes[0]` vector). */
  apply(embedding: ArrayLike<number>): number;
  /** The score's [0, 1] mapping. */
  reward(score: number): number;
}

const DEFAULT_LAYERS = ['layers.0', 'layers.2', 'layers.4', 'layers.6', 'layers.7'];

/** The head's config.json, checked; `what` names the repo in messages. */
export function parseAestheticConfig(json: unknown, what: string): AestheticHeadConfig {
  const c = (json ?? {}) as Record<string, unknown>;
  const bad = (why: string) => new Error(`the aesthetic head ${what}: config.json ${why}`);
  if (typeof c.clip_model !== 'string' || !c.clip_model) throw bad('names no CLIP model ("clip_model")');
  const layers = c.layers ?? DEFAULT_LAYERS;
  if (!Array.isArray(layers) || !layers.length || !layers.every((l) => typeof l === 'string')) throw bad('"layers" must be a list of tensor name prefixes');
  const sizes = c.sizes;
  if (!Array.isArray(sizes) || sizes.length !== layers.length + 1 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw bad(`"sizes" must list ${layers.length + 1} positive widths (the embedding's, then each layer's output)`);
  }
  if (sizes[sizes.length - 1] !== 1) throw bad('"sizes" must end with 1 (one score)');
  const activation = c.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu') throw bad(`has activation "${String(activation)}" (known: none, relu)`);
  const range = c.score_range ?? [1, 10];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x)) || range[1] <= range[0]) {
    throw bad('"score_range" must be [lo, hi] with lo < hi');
  }
  return {
    clipModel: c.clip_model,
    clipRevision: typeof c.clip_revision === 'string' ? c.clip_revision : 'main',
    weights: typeof c.weights === 'string' ? c.weights : 'head.safetensors',
    layers: layers as string[],
    sizes: sizes as number[],
    activation,
    scoreRange: [range[0], range[1]] as [number, number],
  };
}

/** The head from its config and the bytes of its safetensors file. */
export function aestheticHead(config: AestheticHeadConfig, bytes: Uint8Array, what: string): AestheticHead {
  const { tensors } = readSafetensors(bytes, `${what} ${config.weights}`);
  const layers = config.layers.map((name, i) => {
    const [nIn, nOut] = [config.sizes[i]!, config.sizes[i + 1]!];
    const w = tensors.get(`${name}.weight`);
    const b = tensors.get(`${name}.bias`);
    if (!w) throw new Error(`the aesthetic head ${what}: ${config.weights} has no tensor ${name}.weight (it has: ${[...tensors.keys()].join(', ')})`);
    if (w.shape.length !== 2 || w.shape[0] !== nOut || w.shape[1] !== nIn) {
      throw new Error(`the aesthetic head ${what}: ${name}.weight is [${w.shape.join(', ')}], expected [${nOut}, ${nIn}] (out, in)`);
    }
    if (b && (b.shape.length !== 1 || b.shape[0] !== nOut)) throw new Error(`the aesthetic head ${what}: ${name}.bias is [${b.shape.join(', ')}], expected [${nOut}]`);
    return { nIn, nOut, w: w.values, b: b?.values ?? null };
  });
  const [lo, hi] = config.scoreRange;
  return {
    config,
    apply(embedding) {
      if (embedding.length !== config.sizes[0]) {
        throw new Error(`the aesthetic head ${what} takes ${config.sizes[0]}-dimensional embeddings; ${config.clipModel} gives ${embedding.length}`);
      }
      let norm = 0;
      for (let i = 0; i < embedding.length; i++) norm += embedding[i]! * embedding[i]!;
      norm = Math.sqrt(norm) || 1;
      let x = Array.from(embedding, (v) => v / norm);
      layers.forEach((l, k) => {
        const y = new Array<number>(l.nOut);
        for (let o = 0; o < l.nOut; o++) {
          let s = l.b ? l.b[o]! : 0;
          for (let i = 0; i < l.nIn; i++) s += l.w[o * l.nIn + i]! * x[i]!;
          y[o] = config.activation === 'relu' && k < layers.length - 1 ? Math.max(0, s) : s;
        }
        x = y;
      });
      return x[0]!;
    },
    reward: (score) => Math.min(1, Math.max(0, (score - lo) / (hi - lo))),
  };
}
