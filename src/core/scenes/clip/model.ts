/**
 * The scenes CLIP: a small contrastive image-text model of the scenes world (issue 24's learned reward
 * `clip-score`). Two encoders to one shared embedding space, both of matmuls only (TF.js' WASM backend has no conv
 * filter gradient and no gather gradient):
 *
 *   image (B, 32, 32, 3) in [0, 1]                     text: word ids (B, L) of encodePrompt (0 = padding)
 *     x = 2 px - 1                                        one-hot (B*L, V) @ wordEmb (V, E) + posEmb (L, E)
 *     3 x [2x2 patches -> dense -> relu]:                 flatten (B, L*E) -> dense -> relu -> dense (B, D)
 *       (B,16,16,12)->(B,16,16,C1) ... (B,4,4,C3)
 *     flatten (B, 16*C3) -> dense -> relu -> dense (B, D)
 *
 * Both embeddings are L2-normalised; their dot products times exp(logScale) (a learned temperature, CLIP's
 * logit scale, capped at 100) are the logits of the CLIP loss (loss.ts). Positions are kept to the end on both sides
 * (no pooling): places ("on the left") and relations ("left of") are what the world asks about. Any other image
 * size is first resampled to 32 px by area averaging (resize.ts: "a clip-score of the downscaled image").
 */
import * as tf from '@tensorflow/tfjs';
import { mm, oneHotF, ownVariable } from '../../lm/variables';
import { Rng } from '../../rng';

export interface SceneClipConfig {
  /** The side the image encoder reads (images of other sides are resampled to it). */
  imageSize: number;
  /** Channels after each 2x2 patch merge. */
  channels: [number, number, number];
  /** Hidden width of each encoder's head. */
  hidden: number;
  /** Shared embedding width. */
  dim: number;
  vocabSize: number;
  /** Words the text encoder reads (encodePrompt's maxLen). */
  maxWords: number;
  /** Word and position embedding width. */
  wordDim: number;
  /** The reward's map of the cosine: clamp((cos - lo) / (hi - lo), 0, 1) (reward.ts). */
  rewardLo: number;
  rewardHi: number;
}

/** exp(logScale) is capped here (CLIP's 100). */
export const MAX_LOG_SCALE = Math.log(100);

/** The weights' names and shapes for a config. */
export function sceneClipShapes(c: SceneClipConfig): Array<[string, number[]]> {
  const [c1, c2, c3] = c.channels;
  const cells = (c.imageSize / 8) ** 2;
  return [
    ['img.p1.w', [12, c1]], ['img.p1.b', [c1]],
    ['img.p2.w', [4 * c1, c2]], ['img.p2.b', [c2]],
    ['img.p3.w', [4 * c2, c3]], ['img.p3.b', [c3]],
    ['img.h.w', [cells * c3, c.hidden]], ['img.h.b', [c.hidden]],
    ['img.out.w', [c.hidden, c.dim]], ['img.out.b', [c.dim]],
    ['txt.word', [c.vocabSize, c.wordDim]], ['txt.pos', [c.maxWords, c.wordDim]],
    ['txt.h.w', [c.maxWords * c.wordDim, c.hidden]], ['txt.h.b', [c.hidden]],
    ['txt.out.w', [c.hidden, c.dim]], ['txt.out.b', [c.dim]],
    ['logScale', [1]],
  ];
}

/** Fresh weights: He-normal dense layers, small embeddings, zero biases, CLIP's initial temperature 0.07. */
export function initSceneClip(c: SceneClipConfig, seed: number): Map<string, Float32Array> {
  const rng = Rng.derive(seed, 'scenes-clip/init');
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of sceneClipShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (name === 'logScale') v[0] = Math.log(1 / 0.07);
    else if (name === 'txt.word' || name === 'txt.pos') for (let i = 0; i < n; i++) v[i] = 0.5 * rng.normal();
    else if (name.endsWith('.w')) {
      const sd = Math.sqrt(2 / shape[0]!);
      for (let i = 0; i < n; i++) v[i] = sd * rng.normal();
    }
    out.set(name, v);
  }
  return out;
}

let nextId = 0;

export class SceneClip {
  readonly config: SceneClipConfig;
  /** The weights by local name (variables: the pre-training script trains them; the reward only reads them). */
  readonly weights = new Map<string, tf.Variable>();
  readonly #id = `sceneclip${nextId++}`;

  constructor(config: SceneClipConfig, values: ReadonlyMap<string, Float32Array>, trainable = false) {
    if (config.imageSize % 8 !== 0) throw new Error(`scenes CLIP: image size ${config.imageSize} is not a multiple of 8`);
    this.config = config;
    for (const [name, shape] of sceneClipShapes(config)) {
      const v = values.get(name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!v || v.length !== n) {
        this.dispose();
        throw new Error(`scenes CLIP: weight ${name} is ${v ? `${v.length} values` : 'missing'}, expected [${shape.join(', ')}]`);
      }
      this.weights.set(name, ownVariable(tf.tensor(v, shape), `${this.#id}/${name}`, trainable));
    }
  }

  #w(name: string): tf.Tensor {
    return this.weights.get(name)!;
  }

  numParams(): number {
    let n = 0;
    for (const v of this.weights.values()) n += v.size;
    return n;
  }

  /** 2x2 patches merged into channels: (B, H, W, C) -> (B, H/2, W/2, 4C). */
  static merge2(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const t = tf.transpose(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 2, 4, 5]); // (B, H/2, W/2, 2, 2, C)
    return tf.reshape(t, [b, h / 2, w / 2, 4 * c]);
  }

  #dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(mm(x, this.#w(`${name}.w`) as tf.Tensor2D), this.#w(`${name}.b`)) as tf.Tensor2D;
  }

  /** L2-normalised image embeddings (B, D) of images (B, S, S, 3), S = config.imageSize, pixels in [0, 1]. */
  embedImages(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, s] = images.shape;
      if (s !== this.config.imageSize) throw new Error(`scenes CLIP reads ${this.config.imageSize} px images (got ${s}; resample first)`);
      let x = tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D;
      for (const layer of ['img.p1', 'img.p2', 'img.p3']) {
        const m = SceneClip.merge2(x); // (B, s/2, s/2, 4C)
        const [, h, w, c] = m.shape;
        x = tf.reshape(tf.relu(this.#dense(tf.reshape(m, [b * h * w, c]), layer)), [b, h, w, -1]);
      }
      const flat = tf.reshape(x, [b, -1]) as tf.Tensor2D; // (B, cells * C3)
      const e = this.#dense(tf.relu(this.#dense(flat, 'img.h')), 'img.out'); // (B, D)
      return normalise(e);
    });
  }

  /** L2-normalised text embeddings (B, D) of word ids (B * maxWords, row-major: encodePrompt's ids per prompt). */
  embedTexts(ids: readonly number[] | Int32Array, batch: number): tf.Tensor2D {
    return tf.tidy(() => {
      const { maxWords: L, vocabSize: V, wordDim: E } = this.config;
      if (ids.length !== batch * L) throw new Error(`scenes CLIP: ${ids.length} word ids for ${batch} prompts of ${L} words`);
      const oh = oneHotF(tf.tensor1d(Int32Array.from(ids), 'int32'), V); // (B*L, V)
      const words = tf.reshape(mm(oh, this.#w('txt.word') as tf.Tensor2D), [batch, L, E]);
      const tok = tf.add(words, this.#w('txt.pos')); // (B, L, E)
      const flat = tf.reshape(tok, [batch, L * E]) as tf.Tensor2D;
      const e = this.#dense(tf.relu(this.#dense(flat, 'txt.h')), 'txt.out'); // (B, D)
      return normalise(e);
    });
  }

  /** exp(logScale), capped at 100: the CLIP logits' scale (a scalar tensor). */
  scale(): tf.Scalar {
    return tf.tidy(() => tf.exp(tf.minimum(tf.reshape(this.#w('logScale'), []), MAX_LOG_SCALE)) as tf.Scalar);
  }

  /** The weights as plain arrays (for the model files). */
  async values(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.weights) out.set(name, { shape: v.shape.slice(), values: Float32Array.from(await v.data()) });
    return out;
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

/** Rows scaled to unit length (B, D). */
function normalise(e: tf.Tensor2D): tf.Tensor2D {
  return tf.div(e, tf.sqrt(tf.add(tf.sum(tf.square(e), 1, true), 1e-12))) as tf.Tensor2D;
}
