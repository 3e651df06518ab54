/**
 * What a run on a Hub model needs in memory, from its `config.json` and the run's settings, before any weight is
 * downloaded: the weights (float32), the LoRA adapters, Adam's two moments and the gradients of what trains, and
 * the activations of the largest pass (a training micro-batch, lm/train.ts, or a generation batch with its KV cache).
 * Activations are an estimate (TF.js keeps a copy of the inputs of each op on the tape; measured on GPT-2 with
 * scripts/bench-hub.ts, about 40 values per layer and channel per token, and 4 per logit). `checkFit` refuses a run
 * whose largest tensor exceeds the device's buffer limits or whose total exceeds the budget, with the estimate.
 */
import { gptConfigFromHub } from './gpt2';
import { hubModelType } from './model-type';
import { llamaConfigFromHub } from './llama';
import { llamaParamShapes } from '../lm/llama-config';
import { resolveLoraTargets } from '../lm/lora-config';
import { microBatchRows } from '../lm/train-shapes';

export interface RunShape {
  /** Scoring only (no gradients, no optimizer). */
  inferenceOnly?: boolean;
  lora: number;
  loraTargets: string;
  batchSize: number;
  genBatch: number;
  maxNewTokens: number;
}

export interface MemoryEstimate {
  architecture: 'gpt2' | 'llama';
  params: number;
  weightsBytes: number;
  trainableParams: number;
  /** LoRA adapters, gradients and Adam's moments of what trains. */
  trainingStateBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The largest single tensor (the embedding): what one GPU buffer must hold. */
  largestTensorBytes: number;
}

const F32 = 4;

export function estimateRunMemory(hubConfig: unknown, run: RunShape): MemoryEstimate {
  const arch = hubModelType(hubConfig);
  let V: number, C: number, L: number, T: number, inner: number, linears: Array<[string, number, number]>;
  let params: number;
  if (arch === 'gpt2') {
    const c = gptConfigFromHub(hubConfig);
    ({ vocabSize: V, nEmbd: C, nLayer: L, blockSize: T } = c);
    inner = 4 * C;
    params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C;
    linears = [['q', C, C], ['k', C, C], ['v', C, C], ['o', C, C], ['up', C, inner], ['down', inner, C], ['qkv', C, 3 * C]];
  } else {
    const c = llamaConfigFromHub(hubConfig);
    ({ vocabSize: V, nEmbd: C, nLayer: L, blockSize: T, nInner: inner } = c);
    params = llamaParamShapes(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
    const kv = (C / c.nHead) * c.nKvHead;
    linears = [['q', C, C], ['k', C, kv], ['v', C, kv], ['o', C, C], ['gate', C, inner], ['up', C, inner], ['down', inner, C]];
  }
  let trainable = params;
  if (run.lora > 0) {
    const layers = new Set<string>(resolveLoraTargets(arch, run.loraTargets));
    trainable = L * linears.filter(([n]) => layers.has(n)).reduce((n, [, i, o]) => n + run.lora * (i + o), 0);
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
    architecture: arch, params, weightsBytes, trainableParams: trainable, trainingStateBytes, activationBytes,
    totalBytes: weightsBytes + trainingStateBytes + activationBytes, largestTensorBytes: F32 * V * C,
  };
}

export interface DeviceLimits {
  /** WebGPU: the largest buffer and storage binding; WASM: none (one heap). */
  maxBufferBytes?: number;
  /** What the run may use in all: the WASM heap (4 GiB), or a budget the user set. */
  budgetBytes?: number;
}

const mib = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MiB`;

/** One line for people: "weights 474 MiB + training 2 MiB + activations 385 MiB = 861 MiB". */
export function describeEstimate(e: MemoryEstimate): string {
  return `${(e.params / 1e6).toFixed(1)}M parameters: weights ${mib(e.weightsBytes)} + training ${mib(e.trainingStateBytes)} + activations ${mib(e.activationBytes)} = about ${mib(e.totalBytes)}`;
}

/** Null when the run fits, else why not (with the estimate). */
export function checkFit(e: MemoryEstimate, limits: DeviceLimits): string | null {
  if (limits.maxBufferBytes !== undefined && e.largestTensorBytes > limits.maxBufferBytes) {
    return `the model's embedding needs one buffer of ${mib(e.largestTensorBytes)}, and this device allows ${mib(limits.maxBufferBytes)} per buffer (${describeEstimate(e)}); try the wasm backend or a smaller model`;
  }
  if (limits.budgetBytes !== undefined && e.totalBytes > limits.budgetBytes) {
    return `the run needs ${describeEstimate(e)}, more than the ${mib(limits.budgetBytes)} available; use LoRA, a smaller batch or generation batch, or a smaller model`;
  }
  return null;
}
