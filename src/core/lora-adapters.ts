/**
 * A set of LoRA adapters over named weight matrices (in, out): W_eff = W + (alpha / rank) * A B. A is small random
 * (kaiming-uniform-like, as in the LoRA reference code), B is zero, so a fresh adapter is an exact no-op; training
 * changes only A and B. The set can be switched off (`enabled = false`: the base model, e.g. as a frozen reference)
 * or merged into the base weights. The GPT (lm/lora.ts) and the denoiser (diffusion/lora.ts) each add how their
 * layers use an adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { ownVariable } from './lm/variables';
import type { Rng } from './rng';

export interface Adapter {
  a: tf.Variable; // (in, r)
  b: tf.Variable; // (r, out)
  /** alpha / r of this adapter (an imported PEFT adapter may have its own rank and alpha). */
  scale: number;
}

export class LoraAdapters {
  /** alpha / rank: the scale of the adapters this set was made with. */
  readonly scale: number;
  enabled = true;
  readonly #adapters = new Map<string, Adapter>();
  readonly #prefix: string;

  /** @param shapes weight name -> [in, out]; each gets an adapter of rank min(rank, in, out). */
  constructor(rank: number, alpha: number, shapes: Iterable<[string, [number, number]]>, rng: Rng, prefix: string) {
    if (!(rank >= 1)) throw new Error(`LoRA rank must be >= 1 (got ${rank})`);
    this.scale = alpha / rank;
    this.#prefix = prefix;
    for (const [name, [nIn, nOut]] of shapes) {
      const r = Math.min(rank, nIn, nOut);
      const aInit = new Float32Array(nIn * r);
      const bound = 1 / Math.sqrt(nIn);
      for (let i = 0; i < aInit.length; i++) aInit[i] = (rng.float() * 2 - 1) * bound;
      this.#adapters.set(name, {
        a: ownVariable(tf.tensor2d(aInit, [nIn, r]), `${prefix}/lora.${name}.a`),
        b: ownVariable(tf.zeros([r, nOut]), `${prefix}/lora.${name}.b`),
        scale: this.scale,
      });
    }
  }

  /** Adapter names with their rank, in order. */
  ranks(): Map<string, number> {
    return new Map([...this.#adapters].map(([name, ad]) => [name, ad.a.shape[1]!]));
  }

  /** The adapter of a weight, whether enabled or not (exports read it). */
  get(name: string): Adapter | undefined {
    return this.#adapters.get(name);
  }

  /**
   * Replace (or add) the adapter of `name` with given values: a (in, r) and b (r, out) row-major, and its scale, e.g.
   * from a PEFT adapter file whose rank differs from this set's. Its variables keep the set's naming.
   */
  setAdapter(name: string, a: Float32Array, b: Float32Array, nIn: number, nOut: number, scale: number): void {
    const r = a.length / nIn;
    if (!Number.isInteger(r) || r < 1 || b.length !== r * nOut) throw new Error(`LoRA adapter ${name}: sizes ${a.length}, ${b.length} do not fit (${nIn}, r) and (r, ${nOut})`);
    const old = this.#adapters.get(name);
    if (old) {
      old.a.dispose();
      old.b.dispose();
    }
    this.#adapters.set(name, {
      a: ownVariable(tf.tensor2d(a, [nIn, r]), `${this.#prefix}/lora.${name}.a`),
      b: ownVariable(tf.tensor2d(b, [r, nOut]), `${this.#prefix}/lora.${name}.b`),
      scale,
    });
  }

  has(name: string): boolean {
    return this.#adapters.has(name);
  }

  /** The adapter of a weight when the set is enabled, else null. */
  protected active(name: string): Adapter | null {
    return this.enabled ? (this.#adapters.get(name) ?? null) : null;
  }

  /** Trainable variables, in a fixed order. */
  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const ad of this.#adapters.values()) out.push(ad.a, ad.b);
    return out;
  }

  /** Named tensors for saving: `lora.<name>.a|b`. */
  named(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, ad] of this.#adapters) {
      out.set(`lora.${name}.a`, ad.a);
      out.set(`lora.${name}.b`, ad.b);
    }
    return out;
  }

  /**
   * Fold the adapters into the base weights (W += scale * A B) and zero B, so outputs stay the same. `weightName`
   * names the weight of an adapter, or several that split its output axis evenly (GPT-2's joint q|k|v adapter).
   */
  protected mergeWeights(weights: ReadonlyMap<string, tf.Variable>, weightName: (adapter: string) => string | string[]): void {
    for (const [name, ad] of this.#adapters) {
      const names = [weightName(name)].flat();
      const ws = names.map((n) => {
        const w = weights.get(n);
        if (!w) throw new Error(`LoRA merge: no weight ${n}`);
        return w;
      });
      tf.tidy(() => {
        const delta = tf.mul(tf.matMul(ad.a, ad.b), ad.scale);
        const parts = ws.length === 1 ? [delta] : tf.split(delta, ws.length, 1);
        ws.forEach((w, i) => w.assign(tf.add(w, parts[i]!)));
        ad.b.assign(tf.zerosLike(ad.b));
      });
    }
  }

  dispose(): void {
    for (const ad of this.#adapters.values()) {
      ad.a.dispose();
      ad.b.dispose();
    }
    this.#adapters.clear();
  }
}
