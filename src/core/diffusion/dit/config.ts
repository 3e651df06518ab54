/**
 * The text-conditioned DiT's shape (dit.ts): a transformer on p x p patches of the image whose blocks are
 * modulated (adaLN-Zero, Peebles & Xie 2023) by the timestep and the pooled prompt, and whose attention also reads
 * the prompt's tokens (the text encoder's output is extra keys and values: self- and cross-attention in one op).
 */
export interface DiTConfig {
  /** Patch side in pixels; an image side must be a multiple of it (32 px at 4 -> 8 x 8 = 64 tokens). */
  patch: number;
  /** Token width of the image transformer and the text encoder. */
  width: number;
  /** Image transformer blocks. */
  depth: number;
  /** Attention heads (divides width). */
  heads: number;
  /** MLP hidden width = mlpRatio * width. */
  mlpRatio: number;
  /** Sinusoidal timestep features (even). */
  timeDim: number;
  /** Text tokens: 0 = padding, 1 = the start token every prompt begins with, 2.. = words. */
  vocabSize: number;
  /** Text positions (the start token included); longer prompts are refused. */
  maxTokens: number;
  /** Transformer layers of the text encoder. */
  textLayers: number;
  /** The image side the model is trained at (other multiples of `patch` are accepted; see patches.ts). */
  imageSize: number;
  /**
   * The attention's image keys: 1 = every image token (full self-attention), 2 = the tokens averaged over 2 x 2
   * neighbours (4x fewer keys; image sides then a multiple of 2 x patch). Absent = 2, the first shipped model's.
   */
  keyPool?: 1 | 2;
  /**
   * Channels of the full-resolution convolutions around the transformer (0 or absent = none, the first models'):
   * a 3x3 stem whose features are patchified into the tokens and skipped to the head, and a head of two 3x3
   * convolutions after the tokens are un-patchified (model.ts). They denoise locally across patch seams.
   */
  conv?: number;
  /**
   * A fixed 2-D distance bias on the image self-attention (ALiBi, Press et al. 2022, on the patch grid): head h adds
   * -alibi / 2^h x (the distance between the query's and the key's patch, in patches) to its logits, so the first
   * heads look near and the last far, at any image size; the prompt's keys get none. 0 or absent = none (the first
   * models).
   */
  alibi?: number;
  /**
   * A 3x3 depthwise convolution over the patch grid inside every block's MLP (SegFormer's Mix-FFN, Xie et al.
   * 2021): hidden u -> u + dwconv(u) before the activation, its taps zero-initialised (so it starts as the plain
   * MLP, and a model saved without it loads into one with it unchanged). It mixes each token with its 8 neighbours
   * in every block, at any image size. Absent or false = none (the first models).
   */
  mixFfn?: boolean;
  /**
   * Self-conditioning (Chen, Zhang & Hinton 2022, "Analog Bits"): the model's own earlier estimate of the clean
   * image is a second input, 3 more channels per pixel beside the noisy image (zeros = no estimate). In training,
   * half of a batch first runs the model without one (no gradient) and is trained given that estimate (train.ts);
   * in sampling each step gives the next its estimate (sample.ts), so the steps build on one decision. Absent or
   * false = none (the first models).
   */
  selfCond?: boolean;
}

/** The conv channels of a config (absent = 0: linear patch embedding and output, as the first models). */
export const convOf = (c: DiTConfig): number => c.conv ?? 0;

/** The distance-bias slope of a config's first head (absent = 0: no bias, as the first models). */
export const alibiOf = (c: DiTConfig): number => c.alibi ?? 0;

/** Whether a config's MLPs mix neighbouring tokens (absent = no, as the first models). */
export const mixFfnOf = (c: DiTConfig): boolean => c.mixFfn === true;

/** Whether a config takes its own earlier estimate as an input (absent = no, as the first models). */
export const selfCondOf = (c: DiTConfig): boolean => c.selfCond === true;

/** Input channels per pixel: the noisy image, and the earlier estimate when self-conditioned. */
export const inputChannelsOf = (c: DiTConfig): number => (selfCondOf(c) ? 6 : 3);

/** The key pooling of a config (absent in the first model's files = 2). */
export const keyPoolOf = (c: DiTConfig): 1 | 2 => c.keyPool ?? 2;

/** Padding and start token ids of the text encoder. */
export const PAD_ID = 0;
export const START_ID = 1;
