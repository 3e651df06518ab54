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
}

export class LoraAdapters {
  readonly scale: number;
  enabled = true;
  readonly #adapters = new Map<string, Adapter>();

  /** @param shapes weight name -> [in, out]; each gets an adapter of rank min(rank, in, out). */
  constructor(rank: number, alpha: number, shapes: Iterable<[string, [number, number]]>, rng: Rng, prefix: string) {
    if (!(rank >= 1)) throw new Error(`LoRA rank must be >= 1 (got ${rank})`);
    this.scale = alpha / rank;
    for (const [name, [nIn, nOut]] of shapes) {
      const r = Math.min(rank, nIn, nOut);
      const aInit = new Float32Array(nIn * r);
      const bound = 1 / Math.sqrt(nIn);
      for (let i = 0; i < aInit.length; i++) aInit[i] = (rng.float() * 2 - 1) * bound;
      this.#adapters.set(name, {
        a: ownVariable(tf.tensor2d(aInit, [nIn, r]), `${prefix}/lora.${name}.a`),
        b: ownVariable(tf.zeros([r, nOut]), `${prefix}/lora.${name}.b`),
      });
    }
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

  /** Fold the adapters into the base weights (W += scale * A B) and zero B, so outputs stay the same. */
  protected mergeWeights(weights: ReadonlyMap<string, tf.Variable>, weightName: (adapter: string) => string): void {
    for (const [name, ad] of this.#adapters) {
      const w = weights.get(weightName(name));
      if (!w) throw new Error(`LoRA merge: no weight ${weightName(name)}`);
      tf.tidy(() => {
        w.assign(tf.add(w, tf.mul(tf.matMul(ad.a, ad.b), this.scale)));
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
