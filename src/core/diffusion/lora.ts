/**
 * LoRA adapters for the denoiser's weight matrices (3x3 convolutions as (9 * in, out) matrices, 1x1 convolutions and
 * dense layers as (in, out)): W_eff = W + (alpha / rank) * A B. A is small random, B is zero, so a fresh adapter is an
 * exact no-op; RAFT trains only A and B. Adapters can be switched off (`enabled = false`: the base model) or merged
 * into the base weights.
 */
import * as tf from '@tensorflow/tfjs';
import { LoraAdapters } from '../lora-adapters';
import type { Rng } from '../rng';

export interface DiffusionLoraConfig {
  rank: number;
  alpha: number;
}

export class DiffusionLora extends LoraAdapters {
  readonly config: DiffusionLoraConfig;

  /** @param shapes weight name (e.g. `down0.conv1.w`) -> [in, out]. */
  constructor(config: DiffusionLoraConfig, shapes: ReadonlyMap<string, [number, number]>, rng: Rng, prefix = 'unet') {
    super(config.rank, config.alpha, shapes, rng, prefix);
    this.config = config;
  }

  /** The weight the layer uses: W, or W + scale * A B when the layer has an enabled adapter. */
  effective(name: string, w: tf.Tensor2D): tf.Tensor2D {
    const ad = this.active(name);
    if (!ad) return w;
    return tf.add(w, tf.mul(tf.matMul(ad.a, ad.b), ad.scale)) as tf.Tensor2D;
  }

  /** Fold the adapters into the base weights (W += scale * A B) and zero B: outputs stay the same. */
  mergeInto(weights: ReadonlyMap<string, tf.Variable>): void {
    this.mergeWeights(weights, (name) => name);
  }
}
