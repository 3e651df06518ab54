/**
 * Model files: a JSON manifest (model config, tokenizer file, tensor names/shapes/offsets) and one little-endian
 * float32 binary. The core only converts between these and named arrays; reading files or fetching URLs is the
 * caller's job (Node CLI: fs; browser worker: fetch).
 */
import type { GptConfig } from './gpt';

export interface ModelManifest {
  format: 'raftlab-gpt/1';
  config: GptConfig;
  /** Free-form facts about how it was made (task, seed, steps, loss). */
  meta: Record<string, string | number | boolean>;
  tensors: Array<{ name: string; shape: number[]; offset: number }>;
}

export function packWeights(
  config: GptConfig,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: ModelManifest['meta'],
): { manifest: ModelManifest; data: Uint8Array } {
  const tensors: ModelManifest['tensors'] = [];
  let total = 0;
  for (const [name, w] of weights) {
    tensors.push({ name, shape: w.shape, offset: total });
    total += w.values.length;
  }
  const all = new Float32Array(total);
  for (const t of tensors) all.set(weights.get(t.name)!.values, t.offset);
  return { manifest: { format: 'raftlab-gpt/1', config, meta, tensors }, data: new Uint8Array(all.buffer) };
}

export function unpackWeights(manifest: ModelManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  if (manifest?.format !== 'raftlab-gpt/1') throw new Error('not a raftlab model manifest');
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 !== 0) throw new Error('model weights: size is not a multiple of 4 bytes');
  const all = new Float32Array(bytes.slice().buffer);
  const out = new Map<string, Float32Array>();
  for (const t of manifest.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset < 0 || t.offset + size > all.length) throw new Error(`model weights: tensor ${t.name} out of range`);
    out.set(t.name, all.subarray(t.offset, t.offset + size));
  }
  return out;
}
