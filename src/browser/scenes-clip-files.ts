/**
 * The scenes CLIP (the learned reward clip-score of task scenes) in the browser: models/scenes-clip/model.json and
 * weights.bin fetched relative to the page (model-files.ts fetchTensorFile's checks), loaded once per worker and
 * kept. Runs in the trainer worker (it creates TF.js variables).
 */
import { SceneClip } from '../core/scenes/clip/model';
import { SCENE_CLIP_FORMAT, unpackSceneClip, type SceneClipManifest } from '../core/scenes/clip/weights-io';
import { fetchTensorFile } from './model-files';

let loaded: Promise<SceneClip> | null = null;

export function loadSceneClipFromUrl(base: string | URL): Promise<SceneClip> {
  loaded ??= fetchTensorFile<SceneClipManifest>('scenes-clip', base, SCENE_CLIP_FORMAT, 'scenes CLIP', unpackSceneClip).then(
    ({ manifest, weights }) => new SceneClip(manifest.config, weights),
  );
  loaded.catch(() => (loaded = null));
  return loaded;
}
