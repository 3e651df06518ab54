/**
 * The reward of a scenes run, from its settings: `imageReward` names a pixel reward, `fidelity`, or `clip-score`;
 * clip-score on task scenes is scored by the task's own shipped scenes CLIP (`imageRewardModel` `embedded`, the
 * task's default; Hub CLIP models with a fixed target text are task hub-images'), each image against its own prompt.
 * `loadClip` brings the model from wherever this machine keeps it (src/node/scenes-clip-files.ts,
 * src/browser/scenes-clip-files.ts); it is only called when the reward weighs clip-score.
 */
import type { RunConfig } from '../config/fields';
import type { ImageRewarder } from '../diffusion/rewarder';
import { imageRewardWeights } from '../diffusion/rewards';
import type { SceneClip } from './clip/model';
import { scenesRewarder } from './reward';

/** Where the scenes CLIP comes from (loaded once per process or worker by the loaders). */
export type SceneClipSource = () => Promise<SceneClip>;

export async function scenesRunRewarder(
  config: Pick<RunConfig, 'imageReward' | 'imageRewardModel'>,
  prompts: readonly string[],
  loadClip?: SceneClipSource,
): Promise<ImageRewarder> {
  const weights = imageRewardWeights(config.imageReward);
  if (!weights) throw new Error(`reward ${config.imageReward} is not a reward of task scenes (pixel rewards, fidelity, clip-score)`);
  if ((weights['clip-score'] ?? 0) === 0) return scenesRewarder(weights, prompts);
  if (config.imageRewardModel !== 'embedded') {
    throw new Error(`reward clip-score on task scenes uses the task's own CLIP model (--reward-model embedded), not ${config.imageRewardModel}`);
  }
  if (!loadClip) throw new Error('this runner cannot load the scenes CLIP model (public/models/scenes-clip/)');
  return scenesRewarder(weights, prompts, await loadClip());
}
