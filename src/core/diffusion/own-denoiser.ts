/**
 * What the lab's own denoisers share as Denoisers (denoiser.ts): the shapes U-Net (ShapesDenoiser) and the scenes DiT
 * (ScenesDenoiser) keep their weights and LoRA adapters in AdaptableWeights, so the adapter plumbing is one piece.
 */
import type { AdaptableWeights } from './adaptable-weights';
import type { DiffusionLora } from './lora';

export abstract class OwnDenoiser<M extends AdaptableWeights> {
  constructor(readonly model: M) {}

  numParams(): number {
    return this.model.numParams();
  }

  get adapters(): DiffusionLora | null {
    return this.model.lora;
  }

  attachAdapters(rank: number, alpha: number, seed: number): DiffusionLora {
    return this.model.attachLora({ rank, alpha }, seed);
  }

  detachAdapters(): void {
    this.model.detachLora();
  }
}
