/**
 * The `shapes` task's own U-Net as a Denoiser (denoiser.ts): its 7 labels as prompts, DDIM with classifier-free
 * guidance on its cosine schedule, v-prediction training (train.ts), and the held-out denoising loss on real images of
 * the task (fixed timesteps and noise: the same for every run, so heldOutLoss compares across runs).
 */
import type { RunConfig } from '../config/schema';
import type { Adam } from '../lm/adam';
import { Rng } from '../rng';
import { SHAPE_LABELS, shapeImages } from './dataset';
import { sampleImages, type SampleOptions } from './ddim';
import type { Denoiser, DenoiserSampleItem } from './denoiser';
import { OwnDenoiser } from './own-denoiser';
import { cosineSchedule, type NoiseSchedule } from './schedule';
import { SHAPES_HELD_OUT_SEED, SHAPES_SCHEDULE } from './shapes-recipe';
import { denoiseStep, drawBatch, meanDenoiseLoss, type DenoiseBatch } from './train';
import type { UNet } from './unet';

export class ShapesDenoiser extends OwnDenoiser<UNet> implements Denoiser<DenoiseBatch> {
  readonly prompts = SHAPE_LABELS.map((l) => l.text);
  readonly label = 'U-Net';
  readonly schedule: NoiseSchedule = cosineSchedule(SHAPES_SCHEDULE.steps);
  readonly sampler: SampleOptions;
  readonly #heldOut: DenoiseBatch[] = [];

  /** `heldOutImages`: real held-out images for heldOutLoss (default config.evalImages). */
  constructor(model: UNet, config: RunConfig, heldOutImages = config.evalImages) {
    super(model);
    this.sampler = { steps: config.ddimSteps, guidance: config.guidance };
    const held = shapeImages(SHAPES_HELD_OUT_SEED, heldOutImages);
    const heldRng = Rng.derive(SHAPES_HELD_OUT_SEED, 'diffusion/held-out-noise');
    for (let i = 0; i < held.length; i += 64) {
      const part = held.slice(i, i + 64);
      this.#heldOut.push(drawBatch(part.map((h) => h.pixels), part.map((h) => h.label), this.schedule, heldRng));
    }
  }

  sample(items: readonly DenoiserSampleItem[], onProgress: (done: number, total: number) => void): Promise<Float32Array[]> {
    return sampleImages(this.model, this.schedule, items, this.sampler, onProgress);
  }

  drawBatch(images: readonly Float32Array[], labels: readonly number[], rng: Rng): DenoiseBatch {
    return drawBatch(images, labels, this.schedule, rng);
  }

  trainStep(batch: DenoiseBatch, opt: Adam, lr: number, clip: number): Promise<number> {
    return denoiseStep(this.model, this.model.lora!.variables(), opt, batch, this.schedule, lr, clip);
  }

  heldOutLoss(): Promise<number> {
    return meanDenoiseLoss(this.model, this.#heldOut, this.schedule);
  }
}
