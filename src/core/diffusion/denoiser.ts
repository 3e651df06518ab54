/**
 * What the image RAFT engine (engine.ts) needs of a denoiser, so the same cycle runs on the `shapes` task's own U-Net
 * and on a diffusers UNet from the Hub (core/diffusers/denoiser.ts): its prompts (the labels, or a UNet's classes),
 * seeded sampling to HWC pixels in [0, 1], LoRA adapters (attach, train, export, detach), one training step of its
 * denoising objective on kept images, and the held-out denoising loss (the alignment tax). Batches are opaque to the
 * engine; every random draw goes through the Rng the engine hands over, so a seeded run is reproducible.
 */
import type { Adam } from '../lm/adam';
import type { LoraAdapters } from '../lora-adapters';
import type { Rng } from '../rng';

export interface DenoiserSampleItem {
  /** The prompt's index in `prompts`. */
  label: number;
  /** The starting noise's seed. */
  seed: number;
}

export interface Denoiser<B = unknown> {
  /** What a prompt is, for people (its index is what the denoiser is conditioned on). */
  readonly prompts: readonly string[];
  /** Short words for logs: "U-Net", "UNet2DModel tiny/tiny-ddpm". */
  readonly label: string;
  numParams(): number;
  /** The adapters in training (after attachAdapters). */
  readonly adapters: LoraAdapters | null;
  /** Fresh LoRA adapters of `rank` and `alpha` (an exact no-op until trained). */
  attachAdapters(rank: number, alpha: number, seed: number): LoraAdapters;
  detachAdapters(): void;
  /** Images (HWC, pixels in [0, 1]) of items, from their seeds, with the run's sampler settings. */
  sample(items: readonly DenoiserSampleItem[], onProgress: (done: number, total: number) => void): Promise<Float32Array[]>;
  /** A training batch of images (as sampled) and their prompts: timesteps and noise drawn from `rng`. */
  drawBatch(images: readonly Float32Array[], labels: readonly number[], rng: Rng): B;
  /** One optimizer step on the adapters; the batch loss. */
  trainStep(batch: B, opt: Adam, lr: number, clip: number): Promise<number>;
  /** The denoising loss on held-out images with fixed timesteps and noise. */
  heldOutLoss(): Promise<number>;
}
