/**
 * What a run on a Hub model needs in memory, from its `config.json` and the run's settings, before any weight is
 * downloaded: the weights (float32), the LoRA adapters, Adam's two moments and the gradients of what trains, and
 * the activations of the largest pass (a training micro-batch, lm/train.ts, or a generation batch with its KV cache).
 * Activations are an estimate (TF.js keeps a copy of the inputs of each op on the tape; measured on GPT-2 with
 * scripts/bench-hub.ts, about 40 values per layer and channel per token, and 4 per logit). `checkFit` (memory-fit.ts)
 * refuses a run whose largest tensor exceeds the device's buffer limits or whose total exceeds the budget.
 */
import { architectureOfConfig, resolveLoraTargets } from '../models/registry';
import { microBatchRows } from '../lm/train-shapes';
import type { MemoryEstimate } from './memory-fit';

export { checkFit, describeEstimate, type DeviceLimits, type MemoryEstimate } from './memory-fit';

export interface RunShape {
  /** Scoring only (no gradients, no optimizer). */
  inferenceOnly?: boolean;
  lora: number;
  loraTargets: string;
  batchSize: number;
  genBatch: number;
  maxNewTokens: number;
}

const F32 = 4;

export function estimateRunMemory(hubConfig: unknown, run: RunShape): MemoryEstimate {
  const arch = architectureOfConfig(hubConfig);
  const { vocabSize: V, hidden: C, layers: L, positions: T, inner, params, loraLayers } = arch.dims(arch.configFromHub(hubConfig));
  let trainable = params;
  if (run.lora > 0) {
    const layers = new Set<string>(resolveLoraTargets(arch.modelType, run.loraTargets));
    trainable = L * loraLayers.filter(([n]) => layers.has(n)).reduce((n, [, i, o]) => n + run.lora * (i + o), 0);
  }
  // weights; under LoRA the adapters, else nothing extra (the weights are what trains); gradients and Adam moments
  const trainingStateBytes = run.inferenceOnly ? 0 : F32 * (run.lora > 0 ? trainable : 0) + F32 * 3 * trainable;
  // the longest sequence a run trains on or generates: prompt room plus the new tokens, within the window
  const seq = Math.min(T, 64 + run.maxNewTokens);
  const rows = Math.min(run.batchSize, microBatchRows(seq, V));
  const perToken = 4 * V + 40 * L * Math.max(C, inner / 4);
  const train = run.inferenceOnly ? F32 * seq * (2 * V + 4 * L * C) : F32 * rows * seq * perToken;
  const gen = F32 * run.genBatch * (2 * V + 2 * L * C * (seq + run.maxNewTokens));
  const activationBytes = Math.max(train, gen);
  // the tied head keeps a transposed copy of the embedding for inference
  const weightsBytes = F32 * params + F32 * V * C;
  return {
    architecture: arch.modelType, params, weightsBytes, trainableParams: trainable, trainingStateBytes, activationBytes,
    totalBytes: weightsBytes + trainingStateBytes + activationBytes, largestTensorBytes: F32 * V * C,
  };
}
