/**
 * The `shapes` task's embedded denoiser: architecture, noise schedule, sampler defaults and pre-training recipe.
 * Sized so that pre-training takes about 20 minutes on two busy CPU cores (TF.js WASM) and RAFT cycles stay short.
 */
import { NUM_CLASSES } from './dataset';
import type { UNetConfig } from './unet';

export const SHAPES_UNET: UNetConfig = { size: 16, channels: [24, 48], embDim: 64, timeDim: 32, groups: 8, numClasses: NUM_CLASSES };

/** DDPM schedule: cosine over 1000 steps. */
export const SHAPES_SCHEDULE = { steps: 1000 } as const;

/** DDIM sampling used for RAFT's samples and evaluation. */
export const SHAPES_SAMPLER = { steps: 20, guidance: 2 } as const;

export const SHAPES_PRETRAIN = {
  seed: 6,
  steps: 400,
  batchSize: 32,
  lr: 2e-3,
  warmup: 40,
  /** Share of training images whose label is replaced by the null label (classifier-free guidance). */
  labelDropout: 0.1,
  /** EMA of the weights (what is saved); the decay warms up as min(emaDecay, (1 + step) / (10 + step)). */
  emaDecay: 0.99,
  gradClip: 1,
} as const;

/** Seed of the held-out real images (heldOutLoss); never used in pre-training. */
export const SHAPES_HELD_OUT_SEED = 90001;

/** RAFT on the denoiser: the default adapter rank (the `imageLoraRank` setting: image runs always use LoRA), and how
 * often each kept image is drawn per epoch with fresh timestep and noise (the `noiseDraws` setting's default). */
export const SHAPES_RAFT = { loraRank: 4, noiseDraws: 16 } as const;
