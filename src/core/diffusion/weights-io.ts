/**
 * Denoiser model files: a JSON manifest (U-Net config, facts about its training, tensor names/shapes/offsets) and
 * one little-endian float32 binary, the same layout as the language models' files (lm/weights-io.ts) under its own
 * format tag. Reading files or fetching URLs is the caller's job.
 */
import type { UNetConfig } from './unet';

export interface UNetManifest {
  format: 'raftlab-unet/1';
  config: UNetConfig;
  meta: Record<string, string | number | boolean>;
  tensors: Array<{ name: string; shape: number[]; offset: number }>;
}

export function packUNet(
  config: UNetConfig,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: UNetManifest['meta'],
): { manifest: UNetManifest; data: Uint8Array } {
  const tensors: UNetManifest['tensors'] = [];
  let total = 0;
  for (const [name, w] of weights) {
    tensors.push({ name, shape: w.shape, offset: total });
    total += w.values.length;
  }
  const all = new Float32Array(total);
  for (const t of tensors) all.set(weights.get(t.name)!.values, t.offset);
  return { manifest: { format: 'raftlab-unet/1', config, meta, tensors }, data: new Uint8Array(all.buffer) };
}

export function unpackUNet(manifest: UNetManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  if (manifest?.format !== 'raftlab-unet/1') throw new Error('not a raftlab U-Net manifest');
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 !== 0) throw new Error('U-Net weights: size is not a multiple of 4 bytes');
  const all = new Float32Array(bytes.slice().buffer);
  const out = new Map<string, Float32Array>();
  for (const t of manifest.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset < 0 || t.offset + size > all.length) throw new Error(`U-Net weights: tensor ${t.name} out of range`);
    out.set(t.name, all.subarray(t.offset, t.offset + size));
  }
  return out;
}
