/**
 * The image rewards on task scenes: the pixel rewards of diffusion/rewards.ts, `fidelity` and `clip-score`, in
 * weighted mixes as on task shapes. `count` here is the fidelity detector's count part (objects found against the
 * prompt's number), so it reads the prompt's grammar rather than the shapes task's labels. `clip-score` is the
 * scenes CLIP's match of the image and its own prompt (clip/reward.ts), computed per batch. Every result's
 * breakdown carries the fidelity score and its per-attribute parts (count, shape, colour, size, place or relation,
 * objects), the pixel parts (redness, symmetry, brightness, contrast), and, when the reward weighs clip-score, the
 * clip-score and its cosine: a learned reward's samples always show the verified one beside it.
 */
import type { ImageRewarder } from '../diffusion/rewarder';
import { brightness, combineParts, contrast, redness, symmetry, type RewardWeights } from '../diffusion/rewards';
import type { RewardResult } from '../tasks/types';
import type { SceneClip } from './clip/model';
import { sceneClipScores } from './clip/reward';
import { fidelity } from './fidelity';
import { parsePrompt, type SceneSpec } from './grammar';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The weighted reward of one image for a parsed prompt; `clip` is its clip-score result when the weights use it. */
export function scenesImageReward(weights: RewardWeights, px: ArrayLike<number>, spec: SceneSpec, clip?: RewardResult): RewardResult {
  const f = fidelity(px, spec);
  const detected = f.breakdown as Record<string, number>;
  const parts = {
    redness: redness(px), symmetry: symmetry(px), brightness: brightness(px), contrast: contrast(px), count: detected.count!, fidelity: f.reward,
    ...(clip ? { 'clip-score': clip.reward } : {}),
  };
  return {
    reward: combineParts(parts, weights),
    breakdown: {
      ...(clip ? { 'clip-score': round3(clip.reward), ...clip.breakdown } : {}),
      fidelity: round3(f.reward), ...detected,
      redness: round3(parts.redness), symmetry: round3(parts.symmetry), brightness: round3(parts.brightness), contrast: round3(parts.contrast),
    },
  };
}

/**
 * A batched rewarder for a denoiser whose label i is prompts[i] (each parsed once, here: a bad prompt throws).
 * Weights with clip-score need the scenes CLIP (`clip`; the node and browser loaders: scenes-clip-files.ts).
 */
export function scenesRewarder(weights: RewardWeights, prompts: readonly string[], clip: SceneClip | null = null): ImageRewarder {
  const specs = prompts.map((p) => parsePrompt(p));
  const wantsClip = (weights['clip-score'] ?? 0) > 0;
  if (wantsClip && !clip) throw new Error('reward clip-score on task scenes needs the scenes CLIP model (public/models/scenes-clip/)');
  return async (images, labels) => {
    const label = (i: number) => {
      const l = labels[i]!;
      if (!specs[l]) throw new Error(`scenes reward: label ${l} is not one of the ${prompts.length} prompts`);
      return l;
    };
    const clipResults = wantsClip ? await sceneClipScores(clip!, images, images.map((_, i) => prompts[label(i)]!)) : null;
    return images.map((px, i) => scenesImageReward(weights, px, specs[label(i)]!, clipResults?.[i]));
  };
}
