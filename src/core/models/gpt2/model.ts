/**
 * A small GPT-2-style language model in TensorFlow.js: token + position embeddings, pre-LayerNorm blocks with
 * causal multi-head attention and a GELU MLP, a final LayerNorm and an output head tied to the token embedding.
 * Shapes: B = batch, T = time, C = channels (nEmbd), H = heads, D = C / H, V = vocabulary.
 *
 * Written for every TF.js backend: all linear layers are 2-D matMuls on (B*T, C) (tfjs#8548), and the embedding
 * uses a one-hot matMul when gradients are needed, since the WASM backend has no gradient for `gather`.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng';
import { disposeCache, type ForwardOptions, type KvCache, type LanguageModel } from '../../lm/language-model';
import { ModelBase } from '../../lm/model-base';
import { mm, oneHotF, untaped } from '../../lm/variables';
import { paramSpecs, type GptConfig, type Init } from './config';

export { disposeCache, type KvCache } from '../../lm/language-model';
export { paramSpecs, type GptConfig } from './config';

const NEG = -1e9;

/** Weights by name: `wte`, `wpe`, `h0.q.w`, `h0.ln1.g`, ..., `lnf.b`. */
export class Gpt extends ModelBase implements LanguageModel {
  readonly architecture = 'gpt2' as const;
  readonly config: GptConfig;

  constructor(config: GptConfig, weights?: ReadonlyMap<string, Float32Array>, seed = 1) {
    super('gpt');
    const { nEmbd, nHead } = config;
    if (nEmbd % nHead !== 0) throw new Error(`nEmbd (${nEmbd}) must be divisible by nHead (${nHead})`);
    this.config = config;
    const rng = new Rng(seed);
    for (const [name, shape, init] of paramSpecs(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      let values = weights?.get(name);
      if (weights && !values) throw new Error(`missing weight ${name}`);
      if (values && values.length !== size) {
        throw new Error(`weight ${name} has ${values.length} values, expected ${size} (${shape.join('x')})`);
      }
      if (!values) values = initValues(size, init, rng);
      this.addParam(name, values, shape);
    }
  }

  /** A frozen copy of the base weights (no adapters), e.g. as the reference of KL and UFT. */
  frozenCopy(): Gpt {
    return this.copyWeightsInto(new Gpt(this.config, undefined, 0));
  }

  /** Shapes of the linear layers, for LoRA, with each block's joint q|k|v projection (GPT-2's `c_attn`) as `hN.qkv`. */
  linearShapes(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, v] of this.params) {
      if (name.endsWith('.w') && v.shape.length === 2) out.set(name.slice(0, -2), [v.shape[0]!, v.shape[1]!]);
    }
    for (let i = 0; i < this.config.nLayer; i++) out.set(`h${i}.qkv`, [this.config.nEmbd, 3 * this.config.nEmbd]);
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // building blocks

  /** x (N, in) -> (N, out), with the LoRA delta when one is attached and on. */
  #linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    let y = tf.add(this.matmul(x, this.param(`${name}.w`) as tf.Tensor2D), this.param(`${name}.b`)) as tf.Tensor2D;
    const d = this.lora?.delta(name, x);
    if (d) y = tf.add(y, d);
    return y;
  }

  #layerNorm(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(xhat, this.param(`${name}.g`)), this.param(`${name}.b`)) as tf.Tensor2D;
  }

  /** Token + position embeddings. ids, pos: (B, T) int32 -> (B*T, C). */
  #embed(ids: tf.Tensor2D, pos: tf.Tensor2D, differentiable: boolean): tf.Tensor2D {
    const { vocabSize, blockSize } = this.config;
    const flatIds = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const flatPos = tf.reshape(pos, [-1]) as tf.Tensor1D;
    const wte = this.param('wte') as tf.Tensor2D;
    const wpe = this.param('wpe') as tf.Tensor2D;
    if (differentiable) {
      // one-hot matMul instead of gather: has a gradient on every backend, bit-exact with gather
      const tok = mm(oneHotF(flatIds, vocabSize), wte);
      const ps = mm(oneHotF(flatPos, blockSize), wpe);
      return tf.add(tok, ps);
    }
    // off the tape: the frozen tables need no gradient, and a taped gather would keep a copy of each
    return tf.add(untaped((i) => tf.gather(wte, i), flatIds), untaped((i) => tf.gather(wpe, i), flatPos));
  }

  /** (B*T, C) -> (B, H, T, D) */
  #heads(x: tf.Tensor2D, B: number, T: number): tf.Tensor4D {
    const { nHead, nEmbd } = this.config;
    return tf.transpose(tf.reshape(x, [B, T, nHead, nEmbd / nHead]), [0, 2, 1, 3]);
  }

  /** (B, H, T, D) -> (B*T, C) */
  #merge(y: tf.Tensor4D, B: number, T: number): tf.Tensor2D {
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, this.config.nEmbd]);
  }

  /** softmax(q k^T / sqrt(D) + bias) v. q (B,H,Tq,D), k/v (B,H,Tk,D), bias broadcast to (B,H,Tq,Tk). */
  #attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
    const d = q.shape[3];
    const att = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), bias);
    return tf.matMul(tf.softmax(att, -1), v) as tf.Tensor4D;
  }

  /** q, k, v (N, C) each of h (N, C), with the joint `hN.qkv` adapter's delta split among them when there is one. */
  #qkv(i: number, h: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
    const out = (['q', 'k', 'v'] as const).map((m) => this.#linear(`h${i}.${m}`, h)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const d = this.lora?.delta(`h${i}.qkv`, h);
    if (!d) return out;
    const parts = tf.split(d, 3, 1);
    return out.map((y, j) => tf.add(y, parts[j]!)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  }

  #mlp(i: number, x: tf.Tensor2D): tf.Tensor2D {
    return this.#linear(`h${i}.down`, gelu(this.#linear(`h${i}.up`, x)));
  }

  /** Final LayerNorm and tied head: (N, C) -> (N, V). `trains`: the embedding gets a gradient through the head. */
  #head(x: tf.Tensor2D, trains = false, hidden?: (h: tf.Tensor2D) => void): tf.Tensor2D {
    const n = this.#layerNorm('lnf', x);
    hidden?.(n);
    return this.tiedHead(n, 'wte', trains);
  }

  // ---------------------------------------------------------------------------------------------------------
  // full forward

  /**
   * Logits for every position. ids: (B, T) int32. Returns (B*T, V).
   * `pos` (B, T) and `keyMask` (B, T; 1 = real token, 0 = left padding) support left-padded batches;
   * `kvOut` receives each layer's keys and values (B, H, T, D) for a cache.
   */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor2D {
    const [B, T] = ids.shape;
    if (T > this.config.blockSize) throw new Error(`sequence of ${T} tokens exceeds blockSize ${this.config.blockSize}`);
    const pos = opts.pos ?? (tf.tile(tf.range(0, T, 1, 'int32').expandDims(0), [B, 1]) as tf.Tensor2D);
    let bias: tf.Tensor = causalBias(T); // (1, 1, T, T)
    if (opts.keyMask) {
      const keyBias = tf.reshape(tf.mul(tf.sub(1, opts.keyMask), NEG), [B, 1, 1, T]);
      bias = tf.add(bias, keyBias); // (B, 1, T, T)
    }
    // with LoRA the embeddings are frozen: a gather (no gradient needed) instead of the one-hot matMul
    const trainsEmbedding = (opts.differentiable ?? false) && !this.lora;
    let x = this.#embed(ids, pos, trainsEmbedding); // (B*T, C)
    for (let i = 0; i < this.config.nLayer; i++) {
      const [hq, hk, hv] = this.#qkv(i, this.#layerNorm(`h${i}.ln1`, x));
      const q = this.#heads(hq, B, T);
      const k = this.#heads(hk, B, T);
      const v = this.#heads(hv, B, T);
      if (opts.kvOut) {
        opts.kvOut.k.push(tf.keep(k));
        opts.kvOut.v.push(tf.keep(v));
      }
      x = tf.add(x, this.#linear(`h${i}.o`, this.#merge(this.#attend(q, k, v, bias), B, T)));
      x = tf.add(x, this.#mlp(i, this.#layerNorm(`h${i}.ln2`, x)));
    }
    return this.#head(x, trainsEmbedding, opts.hidden);
  }

  // ---------------------------------------------------------------------------------------------------------
  // incremental forward with a KV cache (fixed shapes: the cache is tMax long from the start)

  /**
   * One new token per row at cache index t. ids (B, 1), pos (B, 1); keyMask (B, tMax) marks the cache entries a
   * query may see (real prompt tokens and generated ones up to t). Replaces the cache's tensors; returns (B, V).
   */
  step(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, cache: KvCache, t: number): tf.Tensor2D {
    const B = ids.shape[0];
    const { tMax } = cache;
    const next: KvCache = { k: [], v: [], tMax };
    const logits = tf.tidy(() => {
      const at = tf.reshape(oneHotF(tf.tensor1d([t], 'int32'), tMax), [1, 1, tMax, 1]);
      const bias = tf.reshape(tf.mul(tf.sub(1, keyMask), NEG), [B, 1, 1, tMax]);
      let x = this.#embed(ids, pos, false); // (B, C)
      for (let i = 0; i < this.config.nLayer; i++) {
        const [hq, hk, hv] = this.#qkv(i, this.#layerNorm(`h${i}.ln1`, x));
        const q = this.#heads(hq, B, 1);
        // write this step's key/value at index t: cache + onehot(t) * new (the slot is still zero)
        const k = tf.add(cache.k[i]!, tf.mul(at, this.#heads(hk, B, 1))) as tf.Tensor4D;
        const v = tf.add(cache.v[i]!, tf.mul(at, this.#heads(hv, B, 1))) as tf.Tensor4D;
        next.k.push(tf.keep(k));
        next.v.push(tf.keep(v));
        x = tf.add(x, this.#linear(`h${i}.o`, this.#merge(this.#attend(q, k, v, bias), B, 1)));
        x = tf.add(x, this.#mlp(i, this.#layerNorm(`h${i}.ln2`, x)));
      }
      return this.#head(x);
    });
    disposeCache(cache);
    cache.k = next.k;
    cache.v = next.v;
    return logits;
  }
}

/** Additive causal mask (1, 1, T, T): 0 on and below the diagonal, -1e9 above. */
function causalBias(T: number): tf.Tensor4D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = NEG;
  return tf.tensor4d(m, [1, 1, T, T]);
}

/** GELU, tanh approximation (as GPT-2): 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3). */
export function geluPlain(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner))) as tf.Tensor2D;
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * The same GELU as one op with its derivative written out, saving only x for the backward pass: the nine taped
 * elementwise ops of the plain form each keep a copy of an (N, 4C) activation, most of a GPT-2 block's training
 * memory. d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u).
 */
export const gelu = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: geluPlain(x),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const sx = saved[0] as tf.Tensor2D;
      const x2 = tf.mul(sx, sx);
      const t = tf.tanh(tf.mul(tf.add(sx, tf.mul(tf.mul(x2, sx), 0.044715)), GELU_C));
      const du = tf.mul(tf.add(1, tf.mul(x2, 3 * 0.044715)), GELU_C);
      const d = tf.add(tf.mul(tf.add(1, t), 0.5), tf.mul(tf.mul(tf.mul(sx, 0.5), tf.sub(1, tf.mul(t, t))), du));
      return tf.mul(dy, d);
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

function initValues(size: number, init: Init, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  if (init.kind === 'const') out.fill(init.value);
  else for (let i = 0; i < size; i++) out[i] = rng.normal() * init.std;
  return out;
}
