/**
 * The scenes task's `clip-score`: each image against its own prompt with the project's scenes CLIP. The raw number
 * is the cosine of the two unit embeddings (in [-1, 1]); the reward maps it into [0, 1] linearly between two
 * cosines measured on the world's own pairs when the model was trained (scripts/pretrain-scenes-clip.ts, stored in
 * the model file's config): rewardLo, the median cosine of an image with another pair's caption (-> 0), and
 * rewardHi, the 95th percentile of an image with its own caption (-> 1); clamped outside. A fixed map, so rewards
 * compare across runs; monotone, so RAFT's ranking is the cosine's. The breakdown carries `cosine`. In a run it is
 * a part of the scenes rewards (../reward.ts: scenesRewarder), alone or in a weighted mix.
 */
import type { RewardResult } from '../../tasks/types';
import type { SceneClip, SceneClipConfig } from './model';
import { pairCosines } from './score';

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The reward in [0, 1] of a cosine. */
export function clipScoreOf(config: Pick<SceneClipConfig, 'rewardLo' | 'rewardHi'>, cosine: number): number {
  return Math.min(1, Math.max(0, (cosine - config.rewardLo) / (config.rewardHi - config.rewardLo)));
}

/** clip-score of images against their prompts (prompts[i] for images[i]), with the cosine in the breakdown. */
export async function sceneClipScores(model: SceneClip, images: readonly Float32Array[], prompts: readonly string[]): Promise<RewardResult[]> {
  const cos = await pairCosines(model, images, prompts);
  return cos.map((c) => ({ reward: clipScoreOf(model.config, c), breakdown: { cosine: round4(c) } }));
}
