/**
 * LoRA adapters for a language model's linear layers (every architecture of src/core/models/): y = x W + b + (alpha / r) * (x A) B.
 * A is small random, B is zero, so a fresh adapter is an exact no-op. RAFT then trains only A and B.
 * Adapters can be switched off (the base model, e.g. as a frozen reference) or merged into W.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import { LoraAdapters } from '../lora-adapters';
import { mm } from './variables';

import type { LoraConfig, LoraLayer } from './lora-config';

export { LORA_TARGETS, type LoraConfig, type LoraLayer, type LoraTarget } from './lora-config';

export class LoraSet extends LoraAdapters {
  readonly config: LoraConfig;

  /**
   * @param shapes linear layer name (e.g. `h0.q`, `h0.qkv`) -> [in, out] of its weight; only names whose
   *   last part is in `config.targets` get an adapter.
   */
  constructor(config: LoraConfig, shapes: ReadonlyMap<string, [number, number]>, rng: Rng, prefix = 'gpt') {
    const targeted = [...shapes].filter(([name]) => config.targets.includes(name.split('.').pop() as LoraLayer));
    super(config.rank, config.alpha, targeted, rng, prefix);
    this.config = config;
  }

  /** The adapter's contribution for input x (N, in) -> (N, out), or null when off / absent. */
  delta(name: string, x: tf.Tensor2D): tf.Tensor2D | null {
    const ad = this.active(name);
    if (!ad) return null;
    return tf.mul(mm(mm(x, ad.a as tf.Tensor2D), ad.b as tf.Tensor2D), ad.scale) as tf.Tensor2D;
  }

  /** The base weights an adapter adds to: `<layer>.w`, or for a joint `hN.qkv` (GPT-2's c_attn) q, k and v, which split its output axis. */
  static weightsOf(adapter: string): string[] {
    return adapter.endsWith('.qkv') ? ['q', 'k', 'v'].map((m) => `${adapter.slice(0, -3)}${m}.w`) : [`${adapter}.w`];
  }

  /** Fold the adapters into the given base weights (LoraSet.weightsOf) and zero B. */
  mergeInto(weights: ReadonlyMap<string, tf.Variable>): void {
    this.mergeWeights(weights, LoraSet.weightsOf);
  }
}
