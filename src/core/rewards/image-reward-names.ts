/**
 * The learned image rewards a run can name (`--reward`, beside the pixel rewards of diffusion/rewards.ts), free of
 * TF.js and transformers.js so the config schema can list them: `clip-score` (the cosine of a CLIP model's image and
 * target-text embeddings, the RAFT paper's alignment reward), `class-prob` (an image classifier's probability of the
 * target class) and `aesthetic` (a LAION-style aesthetic head on CLIP image embeddings). The model comes from the
 * run's `imageRewardModel`, the text or class from `imageRewardTarget` (image-models.ts computes them).
 */
export const LEARNED_IMAGE_REWARDS = ['clip-score', 'class-prob', 'aesthetic'] as const;
export type LearnedImageReward = (typeof LEARNED_IMAGE_REWARDS)[number];

export function isLearnedImageReward(name: string): name is LearnedImageReward {
  return (LEARNED_IMAGE_REWARDS as readonly string[]).includes(name);
}
