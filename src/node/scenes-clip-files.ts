/**
 * The scenes CLIP (the learned reward clip-score of task scenes) from public/models/scenes-clip/ in Node: loaded
 * once per process and kept (1.2 MB of weights; runs share it, so tensor counts stay flat across runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SceneClip } from '../core/scenes/clip/model';
import { unpackSceneClip, type SceneClipManifest } from '../core/scenes/clip/weights-io';
import { modelDir } from './model-files';

let loaded: Promise<SceneClip> | null = null;

/** The shipped scenes CLIP (or the one in `dir`, not cached). */
export function loadSceneClip(dir?: string): Promise<SceneClip> {
  if (dir) return readSceneClip(dir);
  loaded ??= readSceneClip(modelDir('scenes-clip'));
  loaded.catch(() => (loaded = null));
  return loaded;
}

async function readSceneClip(dir: string): Promise<SceneClip> {
  let manifest: SceneClipManifest;
  let data: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as SceneClipManifest;
    data = readFileSync(join(dir, 'weights.bin'));
  } catch (e) {
    throw new Error(`no scenes CLIP model in ${dir} (run: node bin/run-ts.mjs scripts/pretrain-scenes-clip.ts): ${(e as Error).message}`);
  }
  return new SceneClip(manifest.config, unpackSceneClip(manifest, data));
}
