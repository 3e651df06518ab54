/**
 * The scenes task's denoiser for a run: the shipped DiT wrapped as a ScenesDenoiser (denoiser.ts) with the world's
 * tokenizer (a bad word is refused by name: ScenePromptError) and real held-out images of the world
 * (trainingPair seeds from SCENES_HELD_OUT_SEED on, never drawn in pre-training) at the run's image size, placed as
 * the model's own world places them (the layout its manifest records: modelLayout).
 */
import { isSceneLayout, SCENE_LAYOUTS, trainingPair, type SceneLayout } from '../../scenes';
import { ScenesDenoiser } from './denoiser';
import type { SceneDiT } from './model';
import { SCENES_HELD_OUT_SEED, scenesWordIds } from './recipe';

export interface ScenesRunOptions {
  /** The run's prompts, in the world's grammar. */
  prompts: readonly string[];
  /** DDIM steps and guidance (the run's `ddimSteps`, `guidance`). */
  ddimSteps: number;
  guidance: number;
  /** Side of the images sampled, trained on and held out (32 = the model's own; 48 for resolution adaptation). */
  imageSize: number;
  /** Held-out images for the denoising loss (the run's `evalImages`). */
  heldOutImages: number;
  /** How the held-out images place their objects: the model's layout (modelLayout); unset: 'spread'. */
  layout?: SceneLayout;
}

/**
 * The world layout a scenes model was pre-trained on, from its manifest's meta (`layout`, written by
 * scripts/pretrain-scenes.ts since the layouts came in); a model without it was trained on 'spread'. An unknown
 * layout is refused with its name, so a broken or newer model file gets a message rather than a wrong held-out set.
 */
export function modelLayout(meta: Readonly<Record<string, unknown>> | undefined): SceneLayout {
  const layout = meta?.layout;
  if (layout === undefined) return 'spread';
  if (isSceneLayout(layout)) return layout;
  throw new Error(`the scenes model's manifest names layout ${JSON.stringify(layout)}; known layouts: ${SCENE_LAYOUTS.join(', ')}`);
}

export function scenesDenoiser(model: SceneDiT, o: ScenesRunOptions): ScenesDenoiser {
  const heldOut = Array.from({ length: o.heldOutImages }, (_, i) => {
    const pair = trainingPair(SCENES_HELD_OUT_SEED + i, o.imageSize, undefined, o.layout);
    return { pixels: pair.pixels, prompt: pair.prompt };
  });
  return new ScenesDenoiser(model, {
    prompts: o.prompts, encode: scenesWordIds, sampler: { steps: o.ddimSteps, guidance: o.guidance }, imageSize: o.imageSize,
    heldOut, heldOutSeed: SCENES_HELD_OUT_SEED,
  });
}
