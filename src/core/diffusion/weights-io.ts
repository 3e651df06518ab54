/**
 * Denoiser model files: the same layout as the language models' files (../tensor-file.ts) under its own format tag,
 * with the U-Net config and facts about its training. Reading files or fetching URLs is the caller's job.
 */
import { packTensors, unpackTensors, type TensorManifest } from '../tensor-file';
import type { UNetConfig } from './unet';

export type UNetManifest = TensorManifest<'raftlab-unet/1', UNetConfig>;

export function packUNet(
  config: UNetConfig,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: UNetManifest['meta'],
): { manifest: UNetManifest; data: Uint8Array } {
  return packTensors('raftlab-unet/1', config, weights, meta);
}

export function unpackUNet(manifest: UNetManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  return unpackTensors(manifest, data, 'raftlab-unet/1', 'U-Net');
}
