/**
 * The scenes DiT as a Denoiser (../denoiser.ts), so the image RAFT engine (../engine.ts) runs on it: the run's
 * prompts (a label is an index into them; each is encoded with the world's tokenizer once), DDIM with
 * classifier-free guidance at the run's image size (dit/sample.ts), v-prediction training of the LoRA adapters
 * (dit/train.ts), and the held-out denoising loss on real images of the world with fixed timesteps and noise.
 */
import type { Adam } from '../../lm/adam';
import { Rng } from '../../rng';
import type { SampleOptions } from '../ddim';
import type { Denoiser, DenoiserSampleItem } from '../denoiser';
import { OwnDenoiser } from '../own-denoiser';
import { cosineSchedule, type NoiseSchedule } from '../schedule';
import { selfCondOf } from './config';
import type { SceneDiT } from './model';
import { ditSampleImages } from './sample';
import { promptTokens } from './tokens';
import { ditStep, drawDiTBatch, drawSelfCondRows, meanDiTLoss, type DiTBatch } from './train';

export interface ScenesDenoiserOptions {
  /** The run's prompts, in the world's grammar. */
  prompts: readonly string[];
  /** The world's tokenizer: a prompt -> its word ids (it names an unknown word by throwing). */
  encode: (prompt: string) => readonly number[];
  /** DDIM steps and guidance. */
  sampler: SampleOptions;
  /** Side of the images sampled and trained on (the model's own size, or another multiple of 2 x its patch). */
  imageSize: number;
  /** Real held-out images of the world (at imageSize) and their prompts, for heldOutLoss. */
  heldOut: ReadonlyArray<{ pixels: Float32Array; prompt: string }>;
  /** Seed of the held-out timesteps and noise. */
  heldOutSeed: number;
}

export class ScenesDenoiser extends OwnDenoiser<SceneDiT> implements Denoiser<DiTBatch> {
  readonly prompts: readonly string[];
  readonly label = 'DiT';
  readonly schedule: NoiseSchedule = cosineSchedule(1000);
  readonly sampler: SampleOptions;
  readonly imageSize: number;
  readonly #ids: Int32Array[];
  readonly #heldOut: DiTBatch[] = [];

  constructor(model: SceneDiT, o: ScenesDenoiserOptions) {
    super(model);
    this.prompts = o.prompts.slice();
    this.sampler = o.sampler;
    this.imageSize = o.imageSize;
    this.#ids = this.prompts.map((p) => this.tokens(p, o.encode));
    const rng = Rng.derive(o.heldOutSeed, 'scenes/held-out-noise');
    for (let i = 0; i < o.heldOut.length; i += 64) {
      const part = o.heldOut.slice(i, i + 64);
      this.#heldOut.push(drawDiTBatch(part.map((h) => h.pixels), part.map((h) => this.tokens(h.prompt, o.encode)), o.imageSize, this.schedule, rng));
    }
  }

  /** A prompt's token row. */
  tokens(prompt: string, encode: (p: string) => readonly number[]): Int32Array {
    return promptTokens(encode(prompt), this.model.config.maxTokens);
  }

  sample(items: readonly DenoiserSampleItem[], onProgress: (done: number, total: number) => void): Promise<Float32Array[]> {
    const withIds = items.map((it) => ({ ids: this.#row(it.label), seed: it.seed }));
    return ditSampleImages(this.model, this.schedule, withIds, this.imageSize, this.sampler, onProgress);
  }

  drawBatch(images: readonly Float32Array[], labels: readonly number[], rng: Rng): DiTBatch {
    const batch = drawDiTBatch(images, labels.map((l) => this.#row(l)), this.imageSize, this.schedule, rng);
    return selfCondOf(this.model.config) ? drawSelfCondRows(batch, rng) : batch;
  }

  trainStep(batch: DiTBatch, opt: Adam, lr: number, clip: number): Promise<number> {
    if (!this.model.lora) throw new Error('ScenesDenoiser: attach adapters before training');
    return ditStep(this.model, this.model.lora.variables(), opt, batch, this.schedule, lr, clip);
  }

  heldOutLoss(): Promise<number> {
    return meanDiTLoss(this.model, this.#heldOut, this.schedule);
  }

  #row(label: number): Int32Array {
    const ids = this.#ids[label];
    if (!ids) throw new Error(`ScenesDenoiser: no prompt ${label} (of ${this.#ids.length})`);
    return ids;
  }
}
