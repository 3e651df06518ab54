/**
 * What one model architecture (one folder of src/core/models/, one row of registry.ts) tells the rest of the lab:
 * how to read its `config.json`, its weights' names in and out of the Hub's layout (loading, merged export), its
 * LoRA target names and PEFT module paths, its shapes for the memory estimate, and how to build the TF.js model.
 * Loading (hub/causal-lm.ts), PEFT (hub/peft.ts), export (hub/export.ts) and the memory estimate (hub/memory.ts)
 * go through this interface only, so a new architecture touches nothing outside its folder and the registry.
 */
import type { LanguageModel } from '../lm/language-model';
import type { LoraLayer, LoraTarget } from '../lm/lora-config';

export type HubTensors = ReadonlyMap<string, { shape: number[]; values: Float32Array }>;

/** A LoRA adapter's module in the Hub model: its path, its `target_modules` name, and GPT-2's q|k|v part of c_attn. */
export interface PeftModule {
  path: string;
  target: string;
  part?: number;
}

/** An architecture's LoRA names: what a run may target, and where the lab's adapters sit in PEFT's module paths. */
export interface LoraNames {
  /** Each accepted target name (the lab's short names and the Hub's module names) -> the lab's layers. */
  targets: Partial<Record<LoraTarget, readonly LoraLayer[]>>;
  /** The Hub module of the lab's adapter on layer `layer` of block `block`, or null when the architecture has none. */
  peftModule(block: number, layer: LoraLayer): PeftModule | null;
  /** The lab's block and layer of a PEFT module path, or null when the lab does not adapt that module. */
  layerOfPeftModule(path: string): { block: number; layer: LoraLayer } | null;
  /** The Hub stores this architecture's linear layers as Conv1D, (in, out) (PEFT's `fan_in_fan_out`). */
  fanInFanOut: boolean;
}

/** The sizes the memory estimate reads. */
export interface ModelDims {
  vocabSize: number;
  hidden: number;
  layers: number;
  positions: number;
  /** MLP width. */
  inner: number;
  params: number;
  /** Per block: each LoRA layer with its (in, out). */
  loraLayers: Array<[LoraLayer, number, number]>;
}

export interface Architecture<C = unknown> {
  /** `config.json`'s model_type. */
  readonly modelType: string;
  /** The lab's config of a Hub `config.json`; what the lab does not compute is refused by name (HubModelError). */
  configFromHub(raw: unknown): C;
  /** Hub tensors -> the lab's weights by its names, checked against the config. */
  weightsFromHub(tensors: HubTensors, config: C): Map<string, Float32Array>;
  /** The lab's weights -> the Hub's tensors and a `config.json` (`hubConfig`, the source's own, where one exists). */
  toHub(config: C, weights: ReadonlyMap<string, Float32Array>, hubConfig: unknown | null, eosId: number): {
    config: unknown;
    tensors: Map<string, { shape: number[]; values: Float32Array }>;
  };
  dims(config: C): ModelDims;
  readonly lora: LoraNames;
  /** The TF.js model with these weights. */
  create(config: C, weights: ReadonlyMap<string, Float32Array>): LanguageModel;
}
