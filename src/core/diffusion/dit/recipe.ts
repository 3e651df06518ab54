/**
 * The `scenes` task's embedded denoiser: the DiT's shape, the noise schedule, sampler defaults and the pre-training
 * recipe (scripts/pretrain-scenes.ts). Sized from scripts/bench-denoiser.ts so that pre-training fits 90 minutes on
 * two shared CPU cores (TF.js WASM, one thread).
 */
import type { DiTConfig } from './config';

export const SCENES_DIT: DiTConfig = {
  patch: 4, width: 128, depth: 6, heads: 4, mlpRatio: 4, timeDim: 64, vocabSize: 64, maxTokens: 16, textLayers: 1, imageSize: 32,
};
