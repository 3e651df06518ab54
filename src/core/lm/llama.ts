/**
 * The Llama architecture (`model_type: llama`: SmolLM2, TinyLlama-shaped models), forward pass for scoring: token
 * embedding, pre-RMSNorm blocks with rotary self-attention (grouped-query: each key/value head serves H / KV
 * consecutive query heads) and a SwiGLU MLP, a final RMSNorm, and a head tied to the embedding or its own.
 * Shapes: B = batch, T = time, C = hidden size, H = query heads, KV = key/value heads, D = C / H, F = MLP width.
 *
 * Weights are kept as the lab's linear layers want them, (in, out) with y = x W; the Hub stores nn.Linear as
 * (out, in), transposed once when loading (hub/llama.ts). No training, no KV cache yet: this is the conformance
 * probe of a Llama checkpoint (`raftlab score`).
 */
import * as tf from '@tensorflow/tfjs';
import { mm } from './variables';

export interface LlamaConfig {
  vocabSize: number;
  /** Positions the rotary table covers (max_position_embeddings). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  /** MLP width (intermediate_size). */
  nInner: number;
  rmsEps: number;
  ropeTheta: number;
  tiedHead: boolean;
}

/** The weights a Llama of `c` has, by the lab's name, with their (in, out) shapes. */
export function llamaParamShapes(c: LlamaConfig): Array<[string, number[]]> {
  const C = c.nEmbd;
  const D = C / c.nHead;
  const out: Array<[string, number[]]> = [['embed', [c.vocabSize, C]]];
  for (let i = 0; i < c.nLayer; i++) {
    out.push([`h${i}.norm1`, [C]], [`h${i}.q.w`, [C, c.nHead * D]], [`h${i}.k.w`, [C, c.nKvHead * D]], [`h${i}.v.w`, [C, c.nKvHead * D]]);
    out.push([`h${i}.o.w`, [c.nHead * D, C]], [`h${i}.norm2`, [C]]);
    out.push([`h${i}.gate.w`, [C, c.nInner]], [`h${i}.up.w`, [C, c.nInner]], [`h${i}.down.w`, [c.nInner, C]]);
  }
  out.push(['norm', [C]]);
  if (!c.tiedHead) out.push(['head', [C, c.vocabSize]]);
  return out;
}

export class LlamaModel {
  readonly params = new Map<string, tf.Tensor>();

  constructor(
    readonly config: LlamaConfig,
    weights: ReadonlyMap<string, Float32Array>,
  ) {
    const { nEmbd, nHead, nKvHead } = config;
    if (nEmbd % nHead !== 0) throw new Error(`hidden size ${nEmbd} is not divisible by ${nHead} heads`);
    if (nHead % nKvHead !== 0) throw new Error(`${nHead} query heads are not a multiple of ${nKvHead} key/value heads`);
    for (const [name, shape] of llamaParamShapes(config)) {
      const values = weights.get(name);
      const size = shape.reduce((a, b) => a * b, 1);
      if (!values || values.length !== size) throw new Error(`weight ${name}: expected ${size} values (${shape.join('x')})`);
      this.params.set(name, tf.tensor(values, shape));
    }
  }

  #p(name: string): tf.Tensor {
    return this.params.get(name)!;
  }

  /** x * rsqrt(mean(x^2) + eps) * w over the last axis. x (N, C). */
  #rmsNorm(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const ms = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, this.config.rmsEps))), this.#p(name)) as tf.Tensor2D;
  }

  /** cos and sin tables (T, D) of the rotary embedding, angles repeated as [f, f] ("rotate half" layout). */
  #rope(T: number, D: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const half = D / 2;
    const cos = new Float32Array(T * D);
    const sin = new Float32Array(T * D);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < half; j++) {
        const a = t / this.config.ropeTheta ** ((2 * j) / D);
        cos[t * D + j] = cos[t * D + j + half] = Math.cos(a);
        sin[t * D + j] = sin[t * D + j + half] = Math.sin(a);
      }
    }
    return { cos: tf.tensor2d(cos, [T, D]), sin: tf.tensor2d(sin, [T, D]) };
  }

  /** x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a] on the last axis. x (B, heads, T, D). */
  #rotate(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
    const D = x.shape[3];
    const [a, b] = tf.split(x, [D / 2, D / 2], 3);
    const rotated = tf.concat([tf.neg(b!), a!], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  }

  /** (B*T, heads*D) -> (B, heads, T, D) */
  #split(x: tf.Tensor2D, B: number, T: number, heads: number): tf.Tensor4D {
    return tf.transpose(tf.reshape(x, [B, T, heads, x.shape[1] / heads]), [0, 2, 1, 3]);
  }

  /** Logits for every position. ids (B, T) int32 -> (B*T, V). Call inside tf.tidy. */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = ids.shape;
    const { nHead: H, nKvHead: KV, nEmbd: C, nLayer } = this.config;
    if (T > this.config.blockSize) throw new Error(`sequence of ${T} tokens exceeds max_position_embeddings ${this.config.blockSize}`);
    const D = C / H;
    const { cos, sin } = this.#rope(T, D);
    const causal = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
    const bias = tf.tensor4d(causal, [1, 1, T, T]);
    let x = tf.gather(this.#p('embed'), tf.reshape(ids, [-1])) as tf.Tensor2D; // (B*T, C)
    for (let i = 0; i < nLayer; i++) {
      const h = this.#rmsNorm(`h${i}.norm1`, x);
      const q = this.#rotate(this.#split(mm(h, this.#p(`h${i}.q.w`) as tf.Tensor2D), B, T, H), cos, sin); // (B, H, T, D)
      let k = this.#rotate(this.#split(mm(h, this.#p(`h${i}.k.w`) as tf.Tensor2D), B, T, KV), cos, sin); // (B, KV, T, D)
      let v = this.#split(mm(h, this.#p(`h${i}.v.w`) as tf.Tensor2D), B, T, KV);
      if (KV < H) {
        // each key/value head serves H / KV consecutive query heads: (B, KV, T, D) -> (B, H, T, D)
        const rep = (t: tf.Tensor4D) => tf.reshape(tf.tile(tf.expandDims(t, 2), [1, 1, H / KV, 1, 1]), [B, H, T, D]) as tf.Tensor4D;
        k = rep(k);
        v = rep(v);
      }
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), bias), -1);
      const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, H * D]) as tf.Tensor2D;
      x = tf.add(x, mm(y, this.#p(`h${i}.o.w`) as tf.Tensor2D));
      const m = this.#rmsNorm(`h${i}.norm2`, x);
      const gate = mm(m, this.#p(`h${i}.gate.w`) as tf.Tensor2D);
      const up = mm(m, this.#p(`h${i}.up.w`) as tf.Tensor2D);
      x = tf.add(x, mm(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D, this.#p(`h${i}.down.w`) as tf.Tensor2D));
    }
    const n = this.#rmsNorm('norm', x);
    const head = this.config.tiedHead ? (tf.transpose(this.#p('embed')) as tf.Tensor2D) : (this.#p('head') as tf.Tensor2D);
    return mm(n, head);
  }

  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }
}
