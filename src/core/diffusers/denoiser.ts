/**
 * A diffusers UNet2DModel from the Hub as a Denoiser of the image RAFT engine (diffusion/denoiser.ts): its classes
 * (`class 0` ... of a class-conditional UNet) or one unconditional prompt; sampling with its own scheduler (DDIM, the
 * run's `ddimSteps`, eta 0) from per-image seeded noise; LoRA on the run's `imageLoraTargets` (diffusers' module
 * names); training on its own objective (train.ts: the scheduler's prediction type) in micro-batches; and as the
 * held-out loss, the denoising loss on the base model's own samples (fixed seeds, drawn with the adapters off, so a
 * resumed run measures the same images) with fixed timesteps and noise: a Hub model ships no training images, and
 * this measures how far the tuned model drifts from what it generated before. Classifier-free guidance does not
 * apply (a UNet2DModel has no null class): `guidance` is ignored.
 */
import type { RunConfig } from '../config/schema';
import type { Denoiser, DenoiserSampleItem } from '../diffusion/denoiser';
import type { Adam } from '../lm/adam';
import { Rng } from '../rng';
import { denoise, type DiffusersPipeline } from './pipeline';
import { drawUNetBatch, unetEvalLoss, unetTrainStep, type UNetBatch } from './train';
import { parseUnetLoraTargets, type UNetLora } from './unet2d/lora';

/** Images per sampling pass and rows per training micro-batch (the WASM heap holds a 35.7M UNet at 8, not at 16). */
export const SAMPLE_BATCH = 16;
export const MICRO_BATCH = 8;
/** Base-model samples the held-out loss is measured on (at most; fewer with a small config.evalImages). */
const HELD_OUT = 16;

/** NCHW in [-1, 1] (one image) -> HWC in [0, 1], as diffusers' pipelines output images. */
export function toPixels(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < w; i++) {
      for (let k = 0; k < 3; k++) out[(y * w + i) * 3 + k] = Math.min(1, Math.max(0, x[(Math.min(k, c - 1) * h + y) * w + i]! / 2 + 0.5));
    }
  }
  return out;
}

/** HWC in [0, 1] -> NCHW in [-1, 1] (one image, c channels: RGB, or its mean for one channel). */
export function fromPixels(px: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < w; i++) {
      const p = (y * w + i) * 3;
      for (let k = 0; k < c; k++) out[(k * h + y) * w + i] = (c === 3 ? px[p + k]! : (px[p]! + px[p + 1]! + px[p + 2]!) / 3) * 2 - 1;
    }
  }
  return out;
}

export class DiffusersDenoiser implements Denoiser<UNetBatch> {
  readonly prompts: readonly string[];
  readonly #shape: [number, number, number];
  #heldOut: UNetBatch | null = null;
  readonly #heldOutCount: number;

  constructor(readonly pipeline: DiffusersPipeline, readonly config: RunConfig, readonly label: string) {
    const c = pipeline.unet.config;
    this.prompts = c.numClassEmbeds !== null ? Array.from({ length: c.numClassEmbeds }, (_, i) => `class ${i}`) : ['unconditional'];
    this.#shape = [c.inChannels, c.sampleSize, c.sampleSize];
    this.#heldOutCount = Math.min(HELD_OUT, config.evalImages);
  }

  get #conditional(): boolean {
    return this.pipeline.unet.config.numClassEmbeds !== null;
  }

  numParams(): number {
    return this.pipeline.unet.numParams();
  }

  get adapters(): UNetLora | null {
    return this.pipeline.unet.lora;
  }

  attachAdapters(rank: number, alpha: number, seed: number): UNetLora {
    return this.pipeline.unet.attachLora({ rank, alpha, targets: parseUnetLoraTargets(this.config.imageLoraTargets) }, seed);
  }

  detachAdapters(): void {
    this.pipeline.unet.detachLora();
  }

  async sample(items: readonly DenoiserSampleItem[], onProgress: (done: number, total: number) => void): Promise<Float32Array[]> {
    const [C, H, W] = this.#shape;
    const per = C * H * W;
    const out: Float32Array[] = [];
    for (let i = 0; i < items.length; i += SAMPLE_BATCH) {
      const part = items.slice(i, i + SAMPLE_BATCH);
      const noise = new Float32Array(part.length * per);
      part.forEach((it, j) => {
        const rng = new Rng(it.seed);
        for (let k = 0; k < per; k++) noise[j * per + k] = rng.normal();
      });
      const x = await denoise(this.pipeline, noise, [part.length, C, H, W], { steps: this.config.ddimSteps, ...(this.#conditional ? { classLabels: part.map((it) => it.label) } : {}) });
      for (let j = 0; j < part.length; j++) out.push(toPixels(x.subarray(j * per, (j + 1) * per), C, H, W));
      onProgress(Math.min(items.length, i + SAMPLE_BATCH), items.length);
    }
    return out;
  }

  drawBatch(images: readonly Float32Array[], labels: readonly number[], rng: Rng): UNetBatch {
    const [C, H, W] = this.#shape;
    const flat = new Float32Array(images.length * C * H * W);
    images.forEach((px, i) => flat.set(fromPixels(px, C, H, W), i * C * H * W));
    return drawUNetBatch(flat, [images.length, C, H, W], this.pipeline.scheduler, rng, this.#conditional ? [...labels] : undefined);
  }

  trainStep(batch: UNetBatch, opt: Adam, lr: number, clip: number): Promise<number> {
    return unetTrainStep(this.pipeline.unet, this.pipeline.scheduler, this.adapters!.variables(), opt, batch, lr, clip, MICRO_BATCH);
  }

  async heldOutLoss(): Promise<number> {
    if (!this.#heldOut) {
      const items = Array.from({ length: this.#heldOutCount }, (_, i) => ({ label: i % this.prompts.length, seed: 0x5eed0000 + i }));
      const lora = this.adapters;
      const was = lora?.enabled ?? true;
      if (lora) lora.enabled = false; // the base model's samples
      try {
        const images = await this.sample(items, () => undefined);
        this.#heldOut = this.drawBatch(images, items.map((it) => it.label), Rng.derive(0x5eed, 'diffusers/held-out-noise'));
      } finally {
        if (lora) lora.enabled = was;
      }
    }
    return unetEvalLoss(this.pipeline.unet, this.pipeline.scheduler, this.#heldOut);
  }
}
