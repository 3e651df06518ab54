/** The scenes CLIP's model files: public/models/scenes-clip/model.json + weights.bin (../../tensor-file.ts layout). */
import { packTensors, unpackTensors, type TensorManifest } from '../../tensor-file';
import type { SceneClipConfig } from './model';

export const SCENE_CLIP_FORMAT = 'raftlab-scenes-clip/1';
export type SceneClipManifest = TensorManifest<typeof SCENE_CLIP_FORMAT, SceneClipConfig>;

export function packSceneClip(
  config: SceneClipConfig,
  weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  meta: SceneClipManifest['meta'],
): { manifest: SceneClipManifest; data: Uint8Array } {
  return packTensors(SCENE_CLIP_FORMAT, config, weights, meta);
}

export function unpackSceneClip(manifest: SceneClipManifest, data: ArrayBufferView | ArrayBuffer): Map<string, Float32Array> {
  return unpackTensors(manifest, data, SCENE_CLIP_FORMAT, 'scenes CLIP');
}
