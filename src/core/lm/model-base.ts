/**
 * What the lab's language models (the GPT, gpt.ts; the Llama, llama.ts) share: their weights as TF.js variables
 * named per instance, LoRA adapters, the trainable set, weights in and out by the lab's names, the frozen-weight
 * matMul under LoRA, the cached transposed embedding of a tied head, and the prompt pass of cached generation.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng';
import { disposeCache, type ForwardOptions, type KvCache } from './language-model';
import { LoraSet, type LoraConfig } from './lora';
import { mm, mmFrozen, ownVariable, TransposeCache } from './variables';

let nextModelId = 0;

export abstract class ModelBase {
  /** Base weights by the lab's names. */
  readonly params = new Map<string, tf.Variable>();
  lora: LoraSet | null = null;
  /** TF.js registers variables by name globally: a per-model prefix lets several models (policy, reference) coexist. */
  readonly uid: string;
  /** The embedding's transpose for a tied head, in passes where the embedding does not train. */
  protected readonly headT = new TransposeCache();

  protected constructor(kind: string) {
    this.uid = `${kind}${nextModelId++}`;
  }

  abstract readonly config: { readonly blockSize: number };
  abstract forward(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor2D;
  /** Shapes (in, out) of the linear layers adapters may sit on. */
  abstract linearShapes(): Map<string, [number, number]>;

  protected addParam(name: string, values: Float32Array, shape: number[]): void {
    this.params.set(name, ownVariable(tf.tensor(values, shape), `${this.uid}/${name}`));
  }

  protected param(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** A matMul with a base weight: frozen under LoRA (no weight gradient), trained otherwise. */
  protected matmul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
    return this.lora ? mmFrozen(x, w) : mm(x, w);
  }

  /** x @ embed^T for a tied head: with the embedding's gradient when it trains, else through the cached transpose. */
  protected tiedHead(x: tf.Tensor2D, embedName: string, trains: boolean): tf.Tensor2D {
    const embed = this.params.get(embedName)!;
    if (trains) return mm(x, tf.transpose(embed) as tf.Tensor2D);
    return mmFrozen(x, this.headT.get(embed), embed as tf.Tensor2D);
  }

  /** `copy` (a model of the same config) with this model's base weights assigned on the device, no read-back. */
  protected copyWeightsInto<T extends ModelBase>(copy: T): T {
    for (const [name, v] of copy.params) v.assign(this.params.get(name)!);
    return copy;
  }

  /** Attach fresh LoRA adapters (an exact no-op until trained). Replaces existing ones. */
  attachLora(config: LoraConfig, seed: number): LoraSet {
    this.lora?.dispose();
    this.lora = new LoraSet(config, this.linearShapes(), Rng.derive(seed, 'lora-init'), this.uid);
    return this.lora;
  }

  /** Variables that training updates: the adapters when LoRA is attached, else every weight. */
  trainableVariables(): tf.Variable[] {
    return this.lora ? this.lora.variables() : [...this.params.values()];
  }

  numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /**
   * Fill a cache of length tMax (at most 2 x blockSize) from left-padded prompts. ids (B, P), pos (B, P), keyMask (B, P).
   * Returns the cache and the logits (B, V) of the last prompt position. Caller disposes both.
   */
  prefill(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, tMax: number): { cache: KvCache; logits: tf.Tensor2D } {
    const [B, P] = ids.shape;
    // cache entries run on the batch's shared timeline (left padding, then the new tokens), not on positions: a row
    // of a short prompt may get more new tokens than one of a long prompt, so tMax can exceed blockSize, while every
    // row's own positions stay below it (generate.ts rowBudget)
    if (tMax > 2 * this.config.blockSize) throw new Error(`tMax ${tMax} exceeds twice the ${this.config.blockSize} positions`);
    const kv: KvCache = { k: [], v: [], tMax };
    const logits = tf.tidy(() => {
      const all = this.forward(ids, { pos, keyMask, kvOut: kv }); // (B*P, V)
      return tf.reshape(tf.slice(tf.reshape(all, [B, P, -1]), [0, P - 1, 0], [B, 1, -1]), [B, -1]) as tf.Tensor2D;
    });
    const padded: KvCache = { k: [], v: [], tMax };
    tf.tidy(() => {
      const padSpec: Array<[number, number]> = [[0, 0], [0, 0], [0, tMax - P], [0, 0]];
      for (let i = 0; i < kv.k.length; i++) {
        padded.k.push(tf.keep(tf.pad(kv.k[i]!, padSpec)));
        padded.v.push(tf.keep(tf.pad(kv.v[i]!, padSpec)));
      }
    });
    disposeCache(kv);
    return { cache: padded, logits };
  }

  /** A variable's name without this model's instance prefix (`gpt3/h0.q.w` -> `h0.q.w`), stable across loads. */
  localName(variableName: string): string {
    return variableName.startsWith(`${this.uid}/`) ? variableName.slice(this.uid.length + 1) : variableName;
  }

  /** The weights and the adapters by local name. */
  #named(includeLora: boolean): Map<string, tf.Variable> {
    const all = new Map<string, tf.Variable>(this.params);
    if (includeLora && this.lora) for (const [k, v] of this.lora.named()) all.set(k, v);
    return all;
  }

  /** Overwrite weights and/or adapters by local name (`h0.q.w`, `lora.h0.q.a`); shapes must match. */
  assignWeights(named: ReadonlyMap<string, Float32Array>): void {
    const all = this.#named(true);
    for (const [name, values] of named) {
      const v = all.get(name);
      if (!v) throw new Error(`no weight ${name} in this model`);
      if (values.length !== v.size) throw new Error(`weight ${name}: ${values.length} values, expected ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    }
  }

  /** Current weights (and adapters) as named Float32Arrays, for saving. */
  async exportWeights(includeLora = true): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.#named(includeLora)) out.set(name, { shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    return out;
  }

  dispose(): void {
    this.headT.dispose();
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.lora?.dispose();
    this.lora = null;
  }
}
