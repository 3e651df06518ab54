/**
 * The image reward of a run as the image engine's batched `ImageRewarder`: a learned reward (clip-score, class-prob,
 * aesthetic: image-models.ts) on the run's `imageRewardModel` (`id[@revision]`) and `imageRewardTarget`, each result
 * with its raw model output in the breakdown (`cosine`, `probability`, `score`). The target is checked, and the model
 * loaded, before the run starts: a missing text, an unknown class or a model that does not load is an Error naming it.
 */
import type { RunConfig } from '../config/schema';
import type { ImageRewarder } from '../diffusion/rewarder';
import type { ImageRewardModels, RewardImage } from './image-models';
import { isLearnedImageReward } from './image-reward-names';

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Square HWC images as the reward models take them. */
function asRewardImages(images: readonly Float32Array[]): RewardImage[] {
  return images.map((pixels) => {
    const side = Math.round(Math.sqrt(pixels.length / 3));
    return { pixels, width: side, height: side };
  });
}

/** The learned reward of `config` (its imageReward must be one), ready to score (its model loaded). */
export async function learnedImageRewarder(config: RunConfig, models: ImageRewardModels): Promise<ImageRewarder> {
  const name = config.imageReward;
  if (!isLearnedImageReward(name)) throw new Error(`${name} is not a learned image reward`);
  const at = config.imageRewardModel.indexOf('@');
  const model = at < 0 ? config.imageRewardModel : config.imageRewardModel.slice(0, at);
  const revision = at < 0 ? undefined : config.imageRewardModel.slice(at + 1);
  const target = config.imageRewardTarget.trim();
  if (name === 'clip-score') {
    if (!target) throw new Error('reward clip-score needs the text the images should match (--reward-target, the lab\'s "Image reward target")');
    await models.clip(model, revision);
    return async (images) => (await models.clipScore(model, asRewardImages(images), target, revision)).map((s) => ({ reward: s.reward, breakdown: { cosine: round4(s.raw) } }));
  }
  if (name === 'class-prob') {
    if (!target) throw new Error('reward class-prob needs the class whose probability is the reward (--reward-target)');
    await models.checkLabel(model, target, revision);
    return async (images) => (await models.classProbability(model, asRewardImages(images), target, revision)).map((p) => ({ reward: p, breakdown: { probability: round4(p) } }));
  }
  await models.aestheticHead(model, revision);
  return async (images) => (await models.aesthetic(model, asRewardImages(images), revision)).map((s) => ({ reward: s.reward, breakdown: { score: round4(s.raw) } }));
}
