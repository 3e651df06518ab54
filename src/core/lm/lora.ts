/**
 * LoRA adapters for the GPT's linear layers: y = x W + b + (alpha / r) * (x A) B.
 * A is small random, B is zero, so a fresh adapter is an exact no-op. RAFT then trains only A and B.
 * Adapters can be switched off (the base model, e.g. as a frozen reference) or merged into W.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { mm, ownVariable } from './variables';

import type { LoraConfig, LoraTarget } from './lora-config';

export { LORA_TARGETS, type LoraConfig, type LoraTarget } from './lora-config';

interface Adapter {
  a: tf.Variable; // (in, r)
  b: tf.Variable; // (r, out)
}

export class LoraSet {
  readonly config: LoraConfig;
  readonly scale: number;
  enabled = true;
  readonly #adapters = new Map<string, Adapter>();

  /**
   * @param shapes linear layer name (e.g. `h0.q`) -> [in, out] of its weight; only names whose
   *   last part is in `config.targets` get an adapter.
   */
  constructor(config: LoraConfig, shapes: ReadonlyMap<string, [number, number]>, rng: Rng, prefix = 'gpt') {
    if (!(config.rank >= 1)) throw new Error(`LoRA rank must be >= 1 (got ${config.rank})`);
    this.config = config;
    this.scale = config.alpha / config.rank;
    for (const [name, [nIn, nOut]] of shapes) {
      const target = name.split('.').pop() as LoraTarget;
      if (!config.targets.includes(target)) continue;
      const aInit = new Float32Array(nIn * config.rank);
      const bound = 1 / Math.sqrt(nIn); // kaiming-uniform-like, as in the LoRA reference code
      for (let i = 0; i < aInit.length; i++) aInit[i] = (rng.float() * 2 - 1) * bound;
      this.#adapters.set(name, {
        a: ownVariable(tf.tensor2d(aInit, [nIn, config.rank]), `${prefix}/lora.${name}.a`),
        b: ownVariable(tf.zeros([config.rank, nOut]), `${prefix}/lora.${name}.b`),
      });
    }
  }

  has(name: string): boolean {
    return this.#adapters.has(name);
  }

  /** The adapter's contribution for input x (N, in) -> (N, out), or null when off / absent. */
  delta(name: string, x: tf.Tensor2D): tf.Tensor2D | null {
    const ad = this.#adapters.get(name);
    if (!this.enabled || !ad) return null;
    return tf.mul(mm(mm(x, ad.a as tf.Tensor2D), ad.b as tf.Tensor2D), this.scale) as tf.Tensor2D;
  }

  /** Trainable variables, in a fixed order. */
  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const ad of this.#adapters.values()) out.push(ad.a, ad.b);
    return out;
  }

  /** Named tensors for saving: `lora.<layer>.a|b`. */
  named(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, ad] of this.#adapters) {
      out.set(`lora.${name}.a`, ad.a);
      out.set(`lora.${name}.b`, ad.b);
    }
    return out;
  }

  /** Fold the adapters into the given base weights (W += scale * A B) and zero B, so outputs stay the same. */
  mergeInto(weights: ReadonlyMap<string, tf.Variable>): void {
    for (const [name, ad] of this.#adapters) {
      const w = weights.get(`${name}.w`);
      if (!w) throw new Error(`LoRA merge: no weight ${name}.w`);
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
