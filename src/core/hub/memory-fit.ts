/**
 * A run's memory estimate (memory.ts makes it from the model's config.json) said for people, and checked against
 * the device's limits; free of TF.js and of the model registry, so the page can show it.
 */

export interface MemoryEstimate {
  /** config.json's model_type. */
  architecture: string;
  params: number;
  weightsBytes: number;
  trainableParams: number;
  /** LoRA adapters, gradients and Adam's moments of what trains. */
  trainingStateBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** The largest single tensor (a language model's embedding; a UNet's attention scores or largest weight): what one GPU buffer must hold. */
  largestTensorBytes: number;
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
    return `the model's largest tensor needs one buffer of ${mib(e.largestTensorBytes)}, and this device allows ${mib(limits.maxBufferBytes)} per buffer (${describeEstimate(e)}); try the wasm backend or a smaller model`;
  }
  if (limits.budgetBytes !== undefined && e.totalBytes > limits.budgetBytes) {
    return `the run needs ${describeEstimate(e)}, more than the ${mib(limits.budgetBytes)} available; use LoRA, a smaller batch or generation batch, or a smaller model`;
  }
  return null;
}
