/**
 * What a checkpoint's weights or adapters apply to: the task, the kind of model, its size and a fingerprint of its
 * weights file, so a checkpoint made on another (e.g. retrained) base model is never resumed on this one. Shared by
 * the trainer worker (IndexedDB runs) and the CLI (run directories).
 */
import { crc32 } from './checksum';

/** `crc32-<hex>-<bytes>` of a weights file: two different files of the same shape get different fingerprints. */
export function weightsFingerprint(data: ArrayBuffer | Uint8Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return `crc32-${crc32(bytes).toString(16).padStart(8, '0')}-${bytes.byteLength}`;
}

/** `kind`: gpt (the embedded GPT), a Hub model_type (gpt2, llama, qwen2, ...), or denoiser. */
export function baseModelId(task: string, kind: string, params: number, fingerprint: string): string {
  return `${task}:${kind}:${params}:${fingerprint}`;
}
