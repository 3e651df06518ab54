/**
 * LoRA adapters for the denoiser's weight matrices (3x3 convolutions as (9 * in, out) matrices, 1x1 convolutions and
 * dense layers as (in, out)): W_eff = W + (alpha / rank) * A B. A is small random, B is zero, so a fresh adapter is an
 * exact no-op; RAFT trains only A and B. Adapters can be switched off (`enabled = false`: the base model) or merged
 * into the base weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ownVariable } from '../lm/variables';
import type { Rng } from '../rng';

export interface DiffusionLoraConfig {
  rank: number;
  alpha: number;
}

interface Adapter {
  a: tf.Variable;
  b: tf.Variable;
}

export class DiffusionLora {
  readonly config: DiffusionLoraConfig;
  readonly scale: number;
  enabled = true;
  readonly #adapters = new Map<string, Adapter>();

  /** @param shapes weight name (e.g. `down0.conv1.w`) -> [in, out]. */
  constructor(config: DiffusionLoraConfig, shapes: ReadonlyMap<string, [number, number]>, rng: Rng, prefix = 'unet') {
    if (!(config.rank >= 1)) throw new Error(`LoRA rank must be >= 1 (got ${config.rank})`);
    this.config = config;
    this.scale = config.alpha / config.rank;
    for (const [name, [nIn, nOut]] of shapes) {
      const rank = Math.min(config.rank, nIn, nOut);
      const aInit = new Float32Array(nIn * rank);
      const bound = 1 / Math.sqrt(nIn);
      for (let i = 0; i < aInit.length; i++) aInit[i] = (rng.float() * 2 - 1) * bound;
      this.#adapters.set(name, {
        a: ownVariable(tf.tensor2d(aInit, [nIn, rank]), `${prefix}/lora.${name}.a`),
        b: ownVariable(tf.zeros([rank, nOut]), `${prefix}/lora.${name}.b`),
      });
    }
  }

  /** The weight the layer uses: W, or W + scale * A B when the layer has an enabled adapter. */
  effective(name: string, w: tf.Tensor2D): tf.Tensor2D {
    const ad = this.#adapters.get(name);
    if (!this.enabled || !ad) return w;
    return tf.add(w, tf.mul(tf.matMul(ad.a, ad.b), this.scale)) as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const ad of this.#adapters.values()) out.push(ad.a, ad.b);
    return out;
  }

  /** Named tensors for saving: `lora.<weight>.a|b`. */
  named(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, ad] of this.#adapters) {
      out.set(`lora.${name}.a`, ad.a);
      out.set(`lora.${name}.b`, ad.b);
    }
    return out;
  }

  /** Fold the adapters into the base weights (W += scale * A B) and zero B: outputs stay the same. */
  mergeInto(weights: ReadonlyMap<string, tf.Variable>): void {
    for (const [name, ad] of this.#adapters) {
      const w = weights.get(name);
      if (!w) throw new Error(`LoRA merge: no weight ${name}`);
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
