/**
 * The Llama architecture (`model_type: llama`: SmolLM2, TinyLlama-shaped models): token embedding, pre-RMSNorm
 * blocks with rotary self-attention (grouped-query: each key/value head serves H / KV consecutive query heads) and a
 * SwiGLU MLP, a final RMSNorm, and a head tied to the embedding or its own. Trains like the lab's GPT (full
 * fine-tuning or LoRA on q, k, v, o, gate, up, down) and generates with a KV cache: keys are rotated at their own
 * positions before they are cached, so a cached key needs no offset later.
 * The Llama-family switches of LlamaConfig: biases on q, k, v (Qwen2), a per-head RMSNorm on q and k before the
 * rotary embedding (Qwen3), and a head_dim D that need not be C / H (Qwen3).
 * Shapes: B = batch, T = time, C = hidden size, H = query heads, KV = key/value heads, D = head_dim, F = MLP width.
 *
 * Weights are kept as the lab's linear layers want them, (in, out) with y = x W; the Hub stores nn.Linear as
 * (out, in), transposed once when loading (hub.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { disposeCache, type ForwardOptions, type KvCache, type LanguageModel } from '../../lm/language-model';
import { ModelBase } from '../../lm/model-base';
import { llamaParamShapes, type LlamaConfig } from './config';
import { mm, oneHotF, untaped } from '../../lm/variables';

export { llamaParamShapes, type LlamaConfig } from './config';

const NEG = -1e9;

export class LlamaModel extends ModelBase implements LanguageModel {
  /** config.json's model_type: llama, or a family built on it (qwen2, qwen3). */
  readonly architecture: string;
  /** Rotary cos and sin tables (blockSize, D), "rotate half" layout; constants, not weights. */
  readonly #cos: tf.Tensor2D;
  readonly #sin: tf.Tensor2D;

  /** `weights` null: zeros (a shell that frozenCopy fills on the device). */
  constructor(
    readonly config: LlamaConfig,
    weights: ReadonlyMap<string, Float32Array> | null,
    modelType = 'llama',
  ) {
    super('llama');
    this.architecture = modelType;
    const { nHead, nKvHead } = config;
    if (nHead % nKvHead !== 0) throw new Error(`${nHead} query heads are not a multiple of ${nKvHead} key/value heads`);
    for (const [name, shape] of llamaParamShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = weights ? weights.get(name) : new Float32Array(size);
      if (!values || values.length !== size) throw new Error(`weight ${name}: expected ${size} values (${shape.join('x')})`);
      this.addParam(name, values, shape);
    }
    const D = config.headDim;
    const half = D / 2;
    const T = config.blockSize;
    const cos = new Float32Array(T * D);
    const sin = new Float32Array(T * D);
    for (let j = 0; j < half; j++) {
      const invFreq = 1 / config.ropeTheta ** ((2 * j) / D);
      for (let t = 0; t < T; t++) {
        const a = t * invFreq;
        cos[t * D + j] = cos[t * D + j + half] = Math.cos(a);
        sin[t * D + j] = sin[t * D + j + half] = Math.sin(a);
      }
    }
    this.#cos = tf.tensor2d(cos, [T, D]);
    this.#sin = tf.tensor2d(sin, [T, D]);
  }

  frozenCopy(): LlamaModel {
    return this.copyWeightsInto(new LlamaModel(this.config, null, this.architecture));
  }

  /** Shapes (in, out) of the linear layers, for LoRA. */
  linearShapes(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, v] of this.params) {
      if (name.endsWith('.w')) out.set(name.slice(0, -2), [v.shape[0]!, v.shape[1]!]);
    }
    return out;
  }

  /** x (N, in) -> (N, out), plus its bias where it has one (Qwen2's q, k, v) and the LoRA delta when on. */
  #linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const w = this.matmul(x, this.param(`${name}.w`) as tf.Tensor2D);
    const b = this.params.get(`${name}.b`);
    const y = b ? (tf.add(w, b) as tf.Tensor2D) : w;
    const d = this.lora?.delta(name, x);
    return d ? tf.add(y, d) : y;
  }

  /** x * rsqrt(mean(x^2) + eps) * w over the last axis. x (N, C), or (B, heads, T, D) for Qwen3's q/k norms. */
  #rmsNorm<X extends tf.Tensor>(name: string, x: X): X {
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, this.config.rmsEps))), this.param(name)) as X;
  }

  /** The block's queries or keys (B, heads, T, D), head-normed where the family does it (Qwen3), then rotated. */
  #qk(i: number, which: 'q' | 'k', h: tf.Tensor2D, B: number, T: number, heads: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
    const x = this.#split(this.#linear(`h${i}.${which}`, h), B, T, heads);
    return this.#rotate(this.config.qkNorm ? this.#rmsNorm(`h${i}.${which}norm`, x) : x, cos, sin);
  }

  /** cos and sin (B, 1, T, D) at positions pos (B, T). */
  #rope(pos: tf.Tensor2D): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
    const [B, T] = pos.shape;
    const flat = tf.reshape(pos, [-1]) as tf.Tensor1D;
    const D = this.#cos.shape[1];
    return {
      cos: tf.reshape(untaped((i) => tf.gather(this.#cos, i), flat), [B, 1, T, D]) as tf.Tensor4D,
      sin: tf.reshape(untaped((i) => tf.gather(this.#sin, i), flat), [B, 1, T, D]) as tf.Tensor4D,
    };
  }

  /** x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a] on the last axis. x (B, heads, T, D). */
  #rotate(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
    const D = x.shape[3];
    const [a, b] = tf.split(x, [D / 2, D / 2], 3);
    const rotated = tf.concat([tf.neg(b!), a!], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  }

  /** (B*T, heads*D) -> (B, heads, T, D) */
  #split(x: tf.Tensor2D, B: number, T: number, heads: number): tf.Tensor4D {
    return tf.transpose(tf.reshape(x, [B, T, heads, x.shape[1] / heads]), [0, 2, 1, 3]);
  }

  /**
   * softmax(q k^T / sqrt(D) + bias) v, merged to (B*Tq, C). q (B,H,Tq,D), k/v (B,KV,Tk,D). Grouped-query attention
   * without copying keys and values: each key/value head serves H / KV = G consecutive query heads, so the queries
   * are regrouped (a reshape, no copy) as (B, KV, G*Tq, D) against their shared keys (TF.js's tile is slow on WASM).
   */
  #attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor): tf.Tensor2D {
    const [B, H, Tq, D] = q.shape;
    const KV = k.shape[1];
    const Tk = k.shape[2];
    const G = H / KV;
    const qg = tf.reshape(q, [B, KV, G * Tq, D]);
    const scores = tf.reshape(tf.mul(tf.matMul(qg, k, false, true), 1 / Math.sqrt(D)), [B, H, Tq, Tk]);
    const att = tf.reshape(tf.softmax(tf.add(scores, bias), -1), [B, KV, G * Tq, Tk]);
    const y = tf.reshape(tf.matMul(att, v), [B, H, Tq, D]);
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * Tq, H * D]) as tf.Tensor2D;
  }

  #mlp(i: number, x: tf.Tensor2D): tf.Tensor2D {
    const m = this.#rmsNorm(`h${i}.norm2`, x);
    const gate = this.#linear(`h${i}.gate`, m);
    const up = this.#linear(`h${i}.up`, m);
    return this.#linear(`h${i}.down`, tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D);
  }

  #embed(ids: tf.Tensor2D, differentiable: boolean): tf.Tensor2D {
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const embed = this.param('embed') as tf.Tensor2D;
    // one-hot matMul where the embedding trains (WASM has no gradient for gather), else a gather
    return differentiable ? mm(oneHotF(flat, this.config.vocabSize), embed) : untaped((i) => tf.gather(embed, i) as tf.Tensor2D, flat);
  }

  /** Final RMSNorm and the head: (N, C) -> (N, V). `trains`: a tied embedding gets a gradient through the head. */
  #head(x: tf.Tensor2D, trains = false, hidden?: (h: tf.Tensor2D) => void): tf.Tensor2D {
    const n = this.#rmsNorm('norm', x);
    hidden?.(n);
    if (!this.config.tiedHead) return this.matmul(n, this.param('head') as tf.Tensor2D);
    return this.tiedHead(n, 'embed', trains);
  }

  /** Logits for every position. ids (B, T) int32 -> (B*T, V). Call inside tf.tidy. */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor2D {
    const [B, T] = ids.shape;
    const { nHead: H, nKvHead: KV, nLayer } = this.config;
    if (T > this.config.blockSize) throw new Error(`sequence of ${T} tokens exceeds max_position_embeddings ${this.config.blockSize}`);
    const pos = opts.pos ?? (tf.tile(tf.range(0, T, 1, 'int32').expandDims(0), [B, 1]) as tf.Tensor2D);
    const { cos, sin } = this.#rope(pos);
    const causal = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = NEG;
    let bias: tf.Tensor = tf.tensor4d(causal, [1, 1, T, T]);
    if (opts.keyMask) bias = tf.add(bias, tf.reshape(tf.mul(tf.sub(1, opts.keyMask), NEG), [B, 1, 1, T]));
    const trainsEmbedding = (opts.differentiable ?? false) && !this.lora;
    let x = this.#embed(ids, trainsEmbedding); // (B*T, C)
    for (let i = 0; i < nLayer; i++) {
      const h = this.#rmsNorm(`h${i}.norm1`, x);
      const q = this.#qk(i, 'q', h, B, T, H, cos, sin);
      const k = this.#qk(i, 'k', h, B, T, KV, cos, sin);
      const v = this.#split(this.#linear(`h${i}.v`, h), B, T, KV);
      if (opts.kvOut) {
        opts.kvOut.k.push(tf.keep(k));
        opts.kvOut.v.push(tf.keep(v));
      }
      x = tf.add(x, this.#linear(`h${i}.o`, this.#attend(q, k, v, bias)));
      x = tf.add(x, this.#mlp(i, x));
    }
    return this.#head(x, trainsEmbedding, opts.hidden);
  }

  step(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, cache: KvCache, t: number): tf.Tensor2D {
    const B = ids.shape[0];
    const { tMax } = cache;
    const { nHead: H, nKvHead: KV, nLayer } = this.config;
    const next: KvCache = { k: [], v: [], tMax };
    const logits = tf.tidy(() => {
      const at = tf.reshape(oneHotF(tf.tensor1d([t], 'int32'), tMax), [1, 1, tMax, 1]);
      const bias = tf.reshape(tf.mul(tf.sub(1, keyMask), NEG), [B, 1, 1, tMax]);
      const { cos, sin } = this.#rope(pos); // (B, 1, 1, D): this token's own position
      let x = this.#embed(ids, false);
      for (let i = 0; i < nLayer; i++) {
        const h = this.#rmsNorm(`h${i}.norm1`, x);
        const q = this.#qk(i, 'q', h, B, 1, H, cos, sin);
        const kNew = this.#qk(i, 'k', h, B, 1, KV, cos, sin);
        const vNew = this.#split(this.#linear(`h${i}.v`, h), B, 1, KV);
        const k = tf.add(cache.k[i]!, tf.mul(at, kNew)) as tf.Tensor4D;
        const v = tf.add(cache.v[i]!, tf.mul(at, vNew)) as tf.Tensor4D;
        next.k.push(tf.keep(k));
        next.v.push(tf.keep(v));
        x = tf.add(x, this.#linear(`h${i}.o`, this.#attend(q, k, v, bias)));
        x = tf.add(x, this.#mlp(i, x));
      }
      return this.#head(x);
    });
    disposeCache(cache);
    cache.k = next.k;
    cache.v = next.v;
    return logits;
  }

  dispose(): void {
    super.dispose();
    this.#cos.dispose();
    this.#sin.dispose();
  }
}
