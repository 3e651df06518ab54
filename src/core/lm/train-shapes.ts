/** Batch-size arithmetic of training, free of TF.js (the page's memory estimate uses it too). */

/**
 * Rows of a batch whose logits (rows x T x V values) stay within this many floats go through forward and backward
 * together; a larger batch is split into micro-batches whose gradients are summed before the one optimizer step
 * (the same step, up to float rounding). The embedded models (V = 512) never split; GPT-2 (V = 50257) at 64 tokens
 * runs 2 rows at a time, which keeps a LoRA step of batch 8 inside the 4 GB WASM heap.
 */
export const MICRO_BATCH_LOGITS = 2 ** 23;

/** Rows per micro-batch for a batch of length T on a vocabulary of V. */
export function microBatchRows(T: number, V: number): number {
  return Math.max(1, Math.floor(MICRO_BATCH_LOGITS / (T * V)));
}
