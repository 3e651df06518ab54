/**
 * The scenes DiT's model files: the layout of the other embedded models (../../tensor-file.ts: model.json +
 * weights.bin) under its own format tag, with the DiT config and facts about its training. Reading files or
 * fetching URLs is the caller's job (src/node/diffusion-files.ts, src/browser/diffusion-files.ts).
 */
import { packTensors, unpackTensors, type TensorManifest } from '../../tensor-file';
import type { DiTConfig } from './config';

export type DiTManifest = TensorManifest<'raftlab-dit/1', DiTConfig>;

export function packDiT(
  config: DiTConfig, weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>, meta: DiTManifest['meta'],
): { manifest: DiTManifest; data: Uint8Array } {
  return packTensors('raftlab-dit/1', config, weights, meta);
}

export function unpackDiT(manifest: DiTManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  return unpackTensors(manifest, data, 'raftlab-dit/1', 'DiT');
}
