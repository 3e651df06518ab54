/**
 * The weights of the lab's own denoisers (the shapes U-Net, the scenes DiT): named variables built from a spec,
 * fresh from a seed or loaded by name, and LoRA adapters (lora.ts) on the weight matrices the model names. Each model
 * extends it with its layers and reads a layer's weight through `param` (as stored) or `weight` (`<layer>.w` with the
 * adapter added when one is attached and on).
 */
import * as tf from '@tensorflow/tfjs';
import { ownVariable } from '../lm/variables';
import { Rng } from '../rng';
import { DiffusionLora, type DiffusionLoraConfig } from './lora';

/** How a fresh weight starts: uniform in +-sqrt(3 / fan-in), zeros, ones, or normal with sd 0.02 (embeddings). */
export type WeightInit = 'fan' | 'zero' | 'one' | 'embed';
export type WeightSpec = ReadonlyArray<readonly [name: string, shape: readonly number[], init: WeightInit]>;

export interface AdaptableOptions {
  /** The model's name in messages (`U-Net`, `DiT`). */
  what: string;
  /** Prefix of its variables' names (unique per instance). */
  prefix: string;
  /** Label of the adapters' seeded stream (Rng.derive(seed, label)). */
  loraLabel: string;
  /** Which weights LoRA adapts (2-D weights only). */
  adapts: (name: string, shape: readonly number[]) => boolean;
}

export class AdaptableWeights {
  readonly #params = new Map<string, tf.Variable>();
  readonly #o: AdaptableOptions;
  #lora: DiffusionLora | null = null;

  /** The spec's weights fresh from `seed` (in the spec's order), or the given named weights. */
  constructor(spec: WeightSpec, weights: ReadonlyMap<string, Float32Array> | undefined, seed: number, o: AdaptableOptions) {
    this.#o = o;
    const rng = new Rng(seed);
    for (const [name, shape, init] of spec) {
      const size = shape.reduce((a, b) => a * b, 1);
      let values: Float32Array;
      if (weights) {
        const w = weights.get(name);
        if (!w || w.length !== size) throw new Error(`${o.what} weights: ${name} missing or of the wrong size`);
        values = Float32Array.from(w);
      } else {
        values = new Float32Array(size);
        if (init === 'one') values.fill(1);
        if (init === 'embed') for (let i = 0; i < size; i++) values[i] = 0.02 * rng.normal();
        if (init === 'fan') {
          const bound = Math.sqrt(3 / shape[0]!);
          for (let i = 0; i < size; i++) values[i] = (rng.float() * 2 - 1) * bound;
        }
      }
      this.#params.set(name, ownVariable(tf.tensor(values, shape.slice()), `${o.prefix}/${name}`));
    }
  }

  numParams(): number {
    let n = 0;
    for (const v of this.#params.values()) n += v.size;
    return n;
  }

  /** The base weights (not the adapters), by name. */
  weights(): ReadonlyMap<string, tf.Variable> {
    return new Map(this.#params);
  }

  variables(): tf.Variable[] {
    return [...this.#params.values()];
  }

  /** Shapes of the weight matrices LoRA adapts. */
  matrixShapes(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, v] of this.#params) if (v.rank === 2 && this.#o.adapts(name, v.shape)) out.set(name, [v.shape[0]!, v.shape[1]!]);
    return out;
  }

  get lora(): DiffusionLora | null {
    return this.#lora;
  }

  /** Add LoRA adapters to the adapted weights (an exact no-op until trained). */
  attachLora(config: DiffusionLoraConfig, seed: number): DiffusionLora {
    this.#lora?.dispose();
    this.#lora = new DiffusionLora(config, this.matrixShapes(), Rng.derive(seed, this.#o.loraLabel), this.#o.prefix);
    return this.#lora;
  }

  detachLora(): void {
    this.#lora?.dispose();
    this.#lora = null;
  }

  /** Weights as named arrays (for saving). */
  async exportWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.#params) out.set(name, { shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    return out;
  }

  /** A weight as stored. */
  protected param(name: string): tf.Tensor {
    const v = this.#params.get(name);
    if (!v) throw new Error(`${this.#o.what}: no weight ${name}`);
    return v;
  }

  /** Layer `name`'s matrix `<name>.w`, plus its adapter's scale * A B when one is attached and on. */
  protected weight(name: string): tf.Tensor2D {
    const w = this.param(`${name}.w`) as tf.Tensor2D;
    return this.#lora ? this.#lora.effective(`${name}.w`, w) : w;
  }

  /** Free the adapters and every weight. */
  dispose(): void {
    this.detachLora();
    for (const v of this.#params.values()) v.dispose();
    this.#params.clear();
  }
}
