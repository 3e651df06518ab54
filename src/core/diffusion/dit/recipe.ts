/**
 * The `scenes` task's embedded denoiser: the DiT's shape, how a prompt of the world becomes its tokens, sampler
 * defaults and the pre-training recipe (scripts/pretrain-scenes.ts). Sized from scripts/bench-denoiser.ts so that
 * pre-training fits 90 minutes on two CPU cores (TF.js WASM, a worker thread a core): 1.3M parameters, 5.3 MB.
 */
import { encodePrompt, SCENE_MAX_WORDS, SCENE_VOCAB } from '../../scenes';
import type { DiTConfig } from './config';
import { textVocabSize } from './tokens';

export const SCENES_DIT: DiTConfig = {
  patch: 4, width: 128, depth: 6, heads: 4, mlpRatio: 2, timeDim: 64,
  // the world's words without its padding id, plus the text encoder's padding and start ids
  vocabSize: textVocabSize(SCENE_VOCAB.length - 1), maxTokens: SCENE_MAX_WORDS + 1, textLayers: 1, imageSize: 32, keyPool: 1,
};

/** A prompt of the scenes grammar -> 0-based word ids for dit/tokens.ts (throws ScenePromptError naming a bad word). */
export function scenesWordIds(prompt: string): number[] {
  return encodePrompt(prompt, SCENE_MAX_WORDS).filter((id) => id !== 0).map((id) => id - 1);
}

/** DDPM schedule: cosine over 1000 steps (as the shapes U-Net). */
export const SCENES_SCHEDULE = { steps: 1000 } as const;

/** DDIM sampling for RAFT's samples and evaluation. */
export const SCENES_SAMPLER = { steps: 20, guidance: 3 } as const;

export const SCENES_PRETRAIN = {
  seed: 24,
  /**
   * The recipe's defaults. The shipped model (docs/diffusion.md, "The shipped model: outlines weighed") was trained
   * from fresh weights with these and five flags of scripts/pretrain-scenes.ts: `--layout lattice --batch 16
   * --steps 10000 --high-noise-share 0 --edge-weight 3` (83 minutes on the 2-core machine). The model shipped before
   * it was two stages: 1,000 steps with uniform timesteps, then these 2,100 from stage 1's EMA weights (`--init`).
   */
  steps: 2100,
  batchSize: 64,
  lr: 8e-4,
  warmup: 100,
  /** Share of training prompts replaced by the null prompt (classifier-free guidance). */
  promptDropout: 0.1,
  /** EMA of the weights (what is saved); the decay warms up as min(emaDecay, (1 + step) / (10 + step)). */
  emaDecay: 0.995,
  gradClip: 1,
  /**
   * Half of every batch at t in [600, 1000): where the image is gone and only the prompt says where objects go.
   * Measured: with uniform t the model had not learned places by step 1000 (a left and a right prompt gave the same
   * spatial mean at t = 999); trained on two such prompts at high t alone it learns them within about 120 steps.
   */
  highNoiseShare: 0.5,
  highNoiseFrom: 600,
} as const;

/** First seed of the held-out real images (trainingPair seeds from here on are never drawn in pre-training). */
export const SCENES_HELD_OUT_SEED = 900_000_000;
