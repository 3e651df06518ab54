/**
 * The image rewards on task scenes: the pixel rewards of diffusion/rewards.ts and `fidelity`, in weighted mixes as
 * on task shapes. `count` here is the fidelity detector's count part (objects found against the prompt's number),
 * so it reads the prompt's grammar rather than the shapes task's labels. Every result's breakdown carries the
 * fidelity score and its per-attribute parts (count, shape, colour, size, place or relation, objects) and the pixel
 * parts (redness, symmetry, brightness, contrast).
 */
import type { ImageRewarder } from '../diffusion/engine';
import { brightness, combineParts, contrast, redness, symmetry, type RewardWeights } from '../diffusion/rewards';
import type { RewardResult } from '../tasks/types';
import { fidelity } from './fidelity';
import { parsePrompt, type SceneSpec } from './grammar';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The weighted reward of one image for a parsed prompt. */
export function scenesImageReward(weights: RewardWeights, px: ArrayLike<number>, spec: SceneSpec): RewardResult {
  const f = fidelity(px, spec);
  const detected = f.breakdown as Record<string, number>;
  const parts = { redness: redness(px), symmetry: symmetry(px), brightness: brightness(px), contrast: contrast(px), count: detected.count!, fidelity: f.reward };
  return {
    reward: combineParts(parts, weights),
    breakdown: {
      fidelity: round3(f.reward), ...detected,
      redness: round3(parts.redness), symmetry: round3(parts.symmetry), brightness: round3(parts.brightness), contrast: round3(parts.contrast),
    },
  };
}

/** A batched rewarder for a denoiser whose label i is prompts[i] (each parsed once, here: a bad prompt throws). */
export function scenesRewarder(weights: RewardWeights, prompts: readonly string[]): ImageRewarder {
  const specs = prompts.map((p) => parsePrompt(p));
  return async (images, labels) => images.map((px, i) => {
    const spec = specs[labels[i]!];
    if (!spec) throw new Error(`scenes reward: label ${labels[i]} is not one of the ${prompts.length} prompts`);
    return scenesImageReward(weights, px, spec);
  });
}
