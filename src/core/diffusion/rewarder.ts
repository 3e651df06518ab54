/**
 * What the image engine (engine.ts) asks of a reward: images (HWC, pixels in [0, 1]) and their prompts' indices ->
 * rewards with breakdowns, batched. Pixel rewards (rewards.ts), the scenes rewards (core/scenes/reward.ts) and the
 * learned rewards (core/rewards/image-rewarder.ts) are such functions; a file of its own so they need not import the engine.
 */
import type { RewardResult } from '../tasks/types';

export type ImageRewarder = (images: readonly Float32Array[], labels: readonly number[]) => Promise<RewardResult[]>;
