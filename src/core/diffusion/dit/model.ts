/**
 * A small text-conditioned diffusion transformer (DiT, Peebles & Xie 2023) that predicts v (v-prediction, train.ts)
 * for a noisy RGB image (NHWC, values in [-1, 1]) given its prompt's tokens:
 *
 *   text encoder: token + position embeddings -> `textLayers` pre-LN transformer layers (padding masked) -> LN;
 *                 the start token's output is the pooled prompt.
 *   condition:    c = MLP(sinusoidal t) + W_pool pooled                                   (B, C)
 *   image:        p x p patches -> linear -> + fixed 2-D sin-cos positions (any grid)     (B * T, C)
 *   block x depth (adaLN-Zero, its projection shared as PixArt-alpha's adaLN-single): shift, scale, gate =
 *                 W_ada silu(c) + the block's own table (both zero-initialised: a fresh block is the identity);
 *                 x += gate1 * attn(modulate(LN x)): the queries are the image tokens, the keys and values the
 *                 image tokens averaged over 2 x 2 neighbours (PVT's spatial reduction: 4x fewer image keys, since
 *                 WASM runs attention's batched matMuls slowly) and the prompt's tokens (their own projection per
 *                 block): self- and cross-attention in one softmax; x += gate2 * MLP(modulate(LN x)), SiLU.
 *                 With `alibi` = m, head h adds -m / 2^h x the query-key patch distance to its image logits.
 *                 With `mixFfn`, the MLP's hidden u becomes u + dwconv3x3(u) on the patch grid (Mix-FFN).
 *   out:          modulate(LN x) -> linear (zero-initialised) -> un-patchify               (B, S, S, 3)
 *   conv (optional, `conv` = c channels): a 3x3 convolution stem s = conv(x) (B, S, S, c) replaces the pixels in the
 *                 patches; the output is un-patchified to c channels, u = that + s + W_t c (a skip at full
 *                 resolution, a per-channel bias from the condition), then conv(silu(conv(silu(u)))) -> 3 channels
 *                 (the last zero-initialised): local denoising across the patch seams, as a U-Net's top level does.
 *   selfCond (optional): the input is the noisy image and the model's earlier estimate of the clean image (zeros
 *                 when there is none) side by side, 6 channels per pixel, patchified (or convolved) together.
 *
 * Everything with weights is a 2-D matMul (ops.ts `linear`, whose gradient WASM runs fast), so training is mostly
 * matMuls on every backend, and LoRA adapters (../lora.ts) sit on every linear layer (the `.w` matrices). The token
 * embedding is a one-hot matMul (WASM has no gather gradient). Image sides: multiples of 2 x patch (the pooling).
 * Tested on wasm and cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { mm, oneHotF } from '../../lm/variables';
import { AdaptableWeights, type WeightInit, type WeightSpec } from '../adaptable-weights';
import { timestepFeatures } from '../schedule';
import { conv3x3 } from '../unet';
import { alibiOf, convOf, inputChannelsOf, keyPoolOf, mixFfnOf, PAD_ID, selfCondOf, type DiTConfig } from './config';
import { layerNorm, linear, silu } from './ops';
import { depthwise3x3, distanceBias, patchify, posEmbed2d, unpatchify } from './patches';

/** The prompt as the image transformer reads it (from encodeText; valid until disposed). */
export interface TextContext {
  /** Token outputs (B * L, C). */
  tokens: tf.Tensor2D;
  /** Pooled prompt: the start token's output (B, C). */
  pooled: tf.Tensor2D;
  /** Additive key mask of the padding (B, 1, 1, L): 0 or -1e9. */
  mask: tf.Tensor4D;
}

/** What denoise may be given beside the image, the timesteps and the prompts. */
export interface DenoiseExtras {
  /** Shown each block's attention weights (diagnostics; read them within the call). */
  attention?: (block: number, p: tf.Tensor4D) => void;
  /** A self-conditioned model's earlier estimate of the clean images (B, S, S, 3) in [-1, 1]; absent = zeros. */
  x0?: tf.Tensor4D;
}

const NEG = -1e9;
let nextId = 0;

export class SceneDiT extends AdaptableWeights {
  readonly config: DiTConfig;

  /** Fresh weights from `seed`, or the given named weights (e.g. loaded from files). LoRA adapts every linear layer (`*.w`). */
  constructor(config: DiTConfig, weights?: ReadonlyMap<string, Float32Array>, seed = 1) {
    if (config.width % config.heads !== 0 || config.width % 4 !== 0) throw new Error('DiT: width must be a multiple of 4 and of heads');
    const cc = convOf(config);
    if (!(Number.isInteger(cc) && cc >= 0 && cc <= 256)) throw new Error(`DiT: conv must be a whole number of channels from 0 (none) to 256 (got ${cc})`);
    const slope = alibiOf(config);
    if (!(Number.isFinite(slope) && slope >= 0 && slope <= 16)) throw new Error(`DiT: alibi must be a slope from 0 (none) to 16 (got ${slope})`);
    super(ditSpec(config), weights, seed, { what: 'DiT', prefix: `dit${nextId++}`, loraLabel: 'dit/lora', adapts: (name) => name.endsWith('.w') });
    this.config = config;
  }

  /** x (N, in) -> (N, out), through W + scale A B when an adapter is attached and on. */
  #linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    return linear(x, this.weight(name), this.param(`${name}.b`) as tf.Tensor1D);
  }

  #layerNorm(x: tf.Tensor2D, name?: string): tf.Tensor2D {
    const xhat = layerNorm(x);
    return name ? (tf.add(tf.mul(xhat, this.param(`${name}.g`)), this.param(`${name}.b`)) as tf.Tensor2D) : xhat;
  }

  /** (N, C) -> (B, H, N / B, D) */
  #heads(x: tf.Tensor2D, b: number): tf.Tensor4D {
    const { heads, width } = this.config;
    return tf.transpose(tf.reshape(x, [b, -1, heads, width / heads]), [0, 2, 1, 3]);
  }

  /** softmax(q k^T / sqrt(D) + mask) v, heads merged: q (B, H, Tq, D), k/v (B, H, Tk, D) -> (B * Tq, C). */
  #attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor, seen?: (p: tf.Tensor4D) => void): tf.Tensor2D {
    const [b, , tq, d] = q.shape;
    const att = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), mask);
    const p = tf.softmax(att, -1) as tf.Tensor4D;
    seen?.(p);
    const y = tf.matMul(p, v); // (B, H, Tq, D)
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b * tq, this.config.width]);
  }

  /** LN(x) * (1 + scale) + shift per image: x (B * T, C), shift and scale (B, C). */
  #modulate(x: tf.Tensor2D, shift: tf.Tensor2D, scale: tf.Tensor2D): tf.Tensor2D {
    const [n, c] = x.shape;
    const b = shift.shape[0];
    const h = tf.reshape(this.#layerNorm(x), [b, n / b, c]);
    const y = tf.add(tf.mul(h, tf.add(tf.expandDims(scale, 1), 1)), tf.expandDims(shift, 1));
    return tf.reshape(y, [n, c]);
  }

  /** x (B * T, C) times a per-image gate (B, C). */
  #gate(x: tf.Tensor2D, gate: tf.Tensor2D): tf.Tensor2D {
    const [n, c] = x.shape;
    const b = gate.shape[0];
    return tf.reshape(tf.mul(tf.reshape(x, [b, n / b, c]), tf.expandDims(gate, 1)), [n, c]);
  }

  // ---------------------------------------------------------------------------------------------------------
  // the text encoder and the denoiser

  /** Prompt tokens (B * L ids, padded with PAD_ID to L = maxTokens) -> the TextContext. Call inside tf.tidy. */
  encodeText(ids: Int32Array, b: number): TextContext {
    const { vocabSize, maxTokens: L, width: C, textLayers } = this.config;
    if (ids.length !== b * L) throw new Error(`DiT: ${ids.length} token ids for ${b} prompts of ${L} tokens`);
    const maskValues = new Float32Array(b * L);
    for (let i = 0; i < ids.length; i++) if (ids[i] === PAD_ID) maskValues[i] = NEG;
    const mask = tf.tensor4d(maskValues, [b, 1, 1, L]);
    const tok = mm(oneHotF(tf.tensor1d(ids, 'int32'), vocabSize), this.param('text.tok') as tf.Tensor2D);
    let x = tf.reshape(tf.add(tf.reshape(tok, [b, L, C]), this.param('text.pos')), [b * L, C]) as tf.Tensor2D;
    for (let i = 0; i < textLayers; i++) {
      const [q, k, v] = tf.split(this.#linear(`text${i}.qkv`, this.#layerNorm(x, `text${i}.ln1`)), 3, 1) as tf.Tensor2D[];
      x = tf.add(x, this.#linear(`text${i}.o`, this.#attend(this.#heads(q!, b), this.#heads(k!, b), this.#heads(v!, b), mask)));
      x = tf.add(x, this.#linear(`text${i}.down`, silu(this.#linear(`text${i}.up`, this.#layerNorm(x, `text${i}.ln2`)))));
    }
    const tokens = this.#layerNorm(x, 'text.lnf');
    const pooled = tf.reshape(tf.slice(tf.reshape(tokens, [b, L, C]), [0, 0, 0], [b, 1, C]), [b, C]) as tf.Tensor2D;
    return { tokens, pooled, mask };
  }

  /**
   * Predicted v (B, S, S, 3) for noisy images x (B, S, S, 3), S any multiple of the patch, at timesteps t, for
   * the prompts of `text` (encodeText of the same B prompts). Call inside tf.tidy. `extras.attention`, for
   * diagnostics (scripts/scenes-attention-probe.ts), is shown each block's attention weights (B, H, T, image keys +
   * L), the image keys first; read them within the call. `extras.x0` is a self-conditioned model's earlier estimate
   * (other models refuse one).
   */
  denoise(x: tf.Tensor4D, t: readonly number[], text: TextContext, extras: DenoiseExtras = {}): tf.Tensor4D {
    const { attention } = extras;
    const { patch: p, width: C, depth, timeDim } = this.config;
    const [b, size, size2] = x.shape;
    const kp = keyPoolOf(this.config);
    if (size !== size2 || size % (kp * p) !== 0) throw new Error(`DiT: images must be square with a side divisible by ${kp * p} (got ${size}x${size2})`);
    if (t.length !== b || text.pooled.shape[0] !== b) throw new Error('DiT: t and the prompts need one entry per image');
    const g = size / p;
    const T = g * g;
    const temb = this.#linear('time2', silu(this.#linear('time1', tf.tensor2d(timestepFeatures(t, timeDim), [b, timeDim]))));
    const cond = silu(tf.add(temb, this.#linear('pool', text.pooled)) as tf.Tensor2D);
    const pos = tf.tensor3d(posEmbed2d(g, g, C), [1, T, C]);
    const cc = convOf(this.config);
    const input = this.#input(x, extras.x0);
    const stem = cc > 0 ? this.#conv('stem', input) : null;
    let h = tf.reshape(tf.add(tf.reshape(this.#linear('patch', patchify(stem ?? input, p)), [b, T, C]), pos), [b * T, C]) as tf.Tensor2D;
    const keyMask = tf.concat([tf.zeros([b, 1, 1, T / (kp * kp)]), text.mask], 3);
    const slope = alibiOf(this.config);
    const L = text.mask.shape[3];
    const mask = slope > 0 ? tf.add(keyMask, tf.tensor4d(distanceBias(g, kp, this.config.heads, slope, L), [1, this.config.heads, T, T / (kp * kp) + L])) : keyMask;
    const ada = this.#linear('ada', cond); // (B, 6C), shared by the blocks
    for (let i = 0; i < depth; i++) {
      const [sh1, sc1, g1, sh2, sc2, g2] = tf.split(tf.add(ada, this.param(`b${i}.ada`)), 6, 1) as tf.Tensor2D[];
      const hm = this.#modulate(h, sh1!, sc1!);
      const q = this.#linear(`b${i}.q`, hm);
      const [k, v] = tf.split(this.#linear(`b${i}.kv`, kp === 2 ? pool2x2(hm, b, g) : hm), 2, 1) as tf.Tensor2D[];
      const [kc, vc] = tf.split(this.#linear(`b${i}.ctx`, text.tokens), 2, 1) as tf.Tensor2D[];
      const keys = tf.concat([this.#heads(k!, b), this.#heads(kc!, b)], 2) as tf.Tensor4D; // (B, H, T / kp^2 + L, D)
      const vals = tf.concat([this.#heads(v!, b), this.#heads(vc!, b)], 2) as tf.Tensor4D;
      h = tf.add(h, this.#gate(this.#linear(`b${i}.o`, this.#attend(this.#heads(q, b), keys, vals, mask, attention && ((p) => attention(i, p)))), g1!));
      const u = this.#linear(`b${i}.up`, this.#modulate(h, sh2!, sc2!));
      const mixed = mixFfnOf(this.config) ? tf.add(u, depthwise3x3(u, this.param(`b${i}.mix`) as tf.Tensor2D, b, g)) as tf.Tensor2D : u;
      h = tf.add(h, this.#gate(this.#linear(`b${i}.down`, silu(mixed)), g2!));
    }
    const [shf, scf] = tf.split(this.#linear('final.ada', cond), 2, 1) as tf.Tensor2D[];
    const out = unpatchify(this.#linear('final.out', this.#modulate(h, shf!, scf!)), b, size, p);
    if (!stem) return out;
    const bias = tf.reshape(this.#linear('head.t', cond), [b, 1, 1, cc]);
    const u = tf.add(tf.add(out, stem), bias) as tf.Tensor4D;
    return this.#conv('head2', silu(this.#conv('head1', silu(u))));
  }

  /** The pixels the model reads: x, or x beside the earlier estimate (zeros when none) for a self-conditioned model. */
  #input(x: tf.Tensor4D, x0: tf.Tensor4D | undefined): tf.Tensor4D {
    if (!selfCondOf(this.config)) {
      if (x0) throw new Error('DiT: an earlier estimate was given to a model without self-conditioning');
      return x;
    }
    if (x0 && !(x0.shape.length === 4 && x0.shape.every((d, i) => d === x.shape[i]))) throw new Error(`DiT: the earlier estimate is ${x0.shape.join('x')}, the images ${x.shape.join('x')}`);
    return tf.concat([x, x0 ?? tf.zerosLike(x)], 3);
  }

  /** 3x3 'same' convolution (weights `name.w` (9 in, out), bias `name.b`) of x (B, S, S, in). */
  #conv(name: string, x: tf.Tensor4D): tf.Tensor4D {
    return tf.add(conv3x3(x, this.weight(name)), this.param(`${name}.b`)) as tf.Tensor4D;
  }

  /** encodeText then denoise (x0: a self-conditioned model's earlier estimate). Call inside tf.tidy. */
  forward(x: tf.Tensor4D, t: readonly number[], ids: Int32Array, x0?: tf.Tensor4D): tf.Tensor4D {
    return this.denoise(x, t, this.encodeText(ids, x.shape[0]), { x0 });
  }
}

/** Token rows of b images on a g x g grid (B * g * g, C), averaged over 2 x 2 neighbours: (B * g * g / 4, C). */
function pool2x2(x: tf.Tensor2D, b: number, g: number): tf.Tensor2D {
  const c = x.shape[1];
  const rows = tf.mean(tf.reshape(x, [b * (g / 2), 2, g, c]), 1); // (B * g / 2, g, C): pairs of rows averaged
  return tf.reshape(tf.mean(tf.reshape(rows, [b * (g / 2) * (g / 2), 2, c]), 1), [b * (g / 2) * (g / 2), c]);
}

/** Every weight of a DiT: name, shape, initialisation. */
function ditSpec(config: DiTConfig): WeightSpec {
  const { patch, width: C, depth, mlpRatio, timeDim, vocabSize, maxTokens, textLayers } = config;
  const out: Array<[string, number[], WeightInit]> = [];
  const dense = (n: string, i: number, o: number, init: WeightInit = 'fan') => out.push([`${n}.w`, [i, o], init], [`${n}.b`, [o], 'zero']);
  const norm = (n: string) => out.push([`${n}.g`, [C], 'one'], [`${n}.b`, [C], 'zero']);
  out.push(['text.tok', [vocabSize, C], 'embed'], ['text.pos', [maxTokens, C], 'embed']);
  for (let i = 0; i < textLayers; i++) {
    norm(`text${i}.ln1`);
    dense(`text${i}.qkv`, C, 3 * C);
    dense(`text${i}.o`, C, C);
    norm(`text${i}.ln2`);
    dense(`text${i}.up`, C, mlpRatio * C);
    dense(`text${i}.down`, mlpRatio * C, C);
  }
  norm('text.lnf');
  dense('time1', timeDim, C);
  dense('time2', C, C);
  dense('pool', C, C);
  const cc = convOf(config);
  const inC = inputChannelsOf(config);
  if (cc > 0) dense('stem', 9 * inC, cc);
  dense('patch', patch * patch * (cc || inC), C);
  dense('ada', C, 6 * C, 'zero');
  for (let i = 0; i < depth; i++) {
    out.push([`b${i}.ada`, [6 * C], 'zero']);
    dense(`b${i}.q`, C, C);
    dense(`b${i}.kv`, C, 2 * C);
    dense(`b${i}.ctx`, C, 2 * C);
    dense(`b${i}.o`, C, C);
    dense(`b${i}.up`, C, mlpRatio * C);
    // Mix-FFN's depthwise taps start at zero: the block starts as the plain MLP
    if (mixFfnOf(config)) out.push([`b${i}.mix`, [9, mlpRatio * C], 'zero']);
    dense(`b${i}.down`, mlpRatio * C, C);
  }
  dense('final.ada', C, 2 * C, 'zero');
  if (cc > 0) {
    // the last convolution starts at zero (a fresh model predicts 0, as without convolutions)
    dense('final.out', C, patch * patch * cc);
    dense('head.t', C, cc, 'zero');
    dense('head1', 9 * cc, cc);
    dense('head2', 9 * cc, 3, 'zero');
  } else dense('final.out', C, patch * patch * 3, 'zero');
  return out;
}
