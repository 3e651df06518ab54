/**
 * What the RAFT engine, generation, training and evaluation need of a language model: every architecture of
 * src/core/models/ (GPT-2, also the embedded GPT; Llama, Qwen2, Qwen3) provides it.
 * Shapes: B = batch, T = time, V = vocabulary; ids are int32.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LoraConfig } from './lora-config';
import type { LoraSet } from './lora';

/** Per-layer key/value cache for generation (B, heads, Tmax, D) each; tMax is the cache's fixed length. */
export interface KvCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  tMax: number;
}

export interface ForwardOptions {
  /** Gradients flow to the weights (embedding lookups become one-hot matMuls where the embedding trains). */
  differentiable?: boolean;
  /** Positions (B, T) for left-padded batches; default 0..T-1 per row. */
  pos?: tf.Tensor2D;
  /** (B, T): 1 = real token, 0 = left padding, never attended to. */
  keyMask?: tf.Tensor2D;
  /** Receives each layer's keys and values (B, heads, T, D). */
  kvOut?: KvCache;
  /** Receives the last hidden state (B*T, nEmbd), after the final norm: what a value head reads (PPO). */
  hidden?: (h: tf.Tensor2D) => void;
}

export interface LanguageModel {
  /** config.json's model_type (gpt2 for the embedded GPT): its folder in src/core/models/ knows its names. */
  readonly architecture: string;
  readonly config: { readonly vocabSize: number; readonly blockSize: number; readonly nEmbd: number };
  /** Base weights by the lab's names. */
  readonly params: Map<string, tf.Variable>;
  lora: LoraSet | null;
  /** Logits (B*T, V) of ids (B, T). Call inside tf.tidy. */
  forward(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor2D;
  /** Fill a cache of length tMax from left-padded prompts; logits (B, V) of the last prompt position. Caller disposes. */
  prefill(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, tMax: number): { cache: KvCache; logits: tf.Tensor2D };
  /** One new token per row at cache index t; replaces the cache's tensors; returns (B, V). */
  step(ids: tf.Tensor2D, pos: tf.Tensor2D, keyMask: tf.Tensor2D, cache: KvCache, t: number): tf.Tensor2D;
  /** Attach fresh LoRA adapters (an exact no-op until trained). */
  attachLora(config: LoraConfig, seed: number): LoraSet;
  /** The adapters when LoRA is attached, else every weight. */
  trainableVariables(): tf.Variable[];
  /** A frozen copy of the base weights (no adapters): the reference of full fine-tuning. */
  frozenCopy(): LanguageModel;
  numParams(): number;
  /** A variable's name without the model's instance prefix. */
  localName(variableName: string): string;
  /** Overwrite weights and/or adapters by local name. */
  assignWeights(named: ReadonlyMap<string, Float32Array>): void;
  /** Current weights (and adapters) by local name. */
  exportWeights(includeLora?: boolean): Promise<Map<string, { shape: number[]; values: Float32Array }>>;
  dispose(): void;
}

export function disposeCache(cache: KvCache): void {
  for (const t of cache.k) t.dispose();
  for (const t of cache.v) t.dispose();
  cache.k = [];
  cache.v = [];
}
