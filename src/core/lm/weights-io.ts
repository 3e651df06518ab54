/**
 * Model files: a JSON manifest (model config, tokenizer file, tensor names/shapes/offsets) and one little-endian
 * float32 binary (layout: ../tensor-file.ts). The core only converts between these and named arrays; reading files
 * or fetching URLs is the caller's job (Node CLI: fs; browser worker: fetch).
 */
import { packTensors, unpackTensors, type TensorManifest } from '../tensor-file';
import type { GptConfig } from '../models/gpt2/model';

export type ModelManifest = TensorManifest<'raftlab-gpt/1', GptConfig>;

export function packWeights(
  config: GptConfig,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: ModelManifest['meta'],
): { manifest: ModelManifest; data: Uint8Array } {
  return packTensors('raftlab-gpt/1', config, weights, meta);
}

export function unpackWeights(manifest: ModelManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  return unpackTensors(manifest, data, 'raftlab-gpt/1', 'model');
}
