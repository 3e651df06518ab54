/**
 * The `scenes` world: 1-3 flat-coloured shapes on a plain dark background, described by a small English grammar.
 *
 *   parsePrompt(prompt)            -> SceneSpec (what the prompt says); throws ScenePromptError with .word
 *   describeSpec(spec)             -> the canonical prompt of a spec
 *   sampleCaption(rng)             -> { prompt, spec }, attributes sometimes left open (held-out ones included)
 *   sampleScene(spec, rng)         -> Scene (concrete objects: shape, colour, size, centre), open attributes drawn
 *   renderScene(scene, size = 32)  -> Float32Array (size, size, 3) HWC in [0, 1]; geometry normalised, any size
 *   isHeldOut(spec) / isHeldOutScene(scene)  -> purple triangles, same-colour relations of different shapes
 *   trainingPair(seed, size = 32)  -> { prompt, spec, scene, pixels }: deterministic, never held out
 *   SCENE_EVAL_SETS                -> fixed prompts: seenSingles, seenMulti, heldOut, relations
 *   SCENE_VOCAB, encodePrompt(prompt, maxLen) -> word ids (0 = padding; '' = the null prompt)
 *   detectObjects(pixels)          -> Detection[] (shape, colour, size, centre, box, template fit), from pixels alone
 *   fidelity(pixels, spec)         -> { reward, breakdown }: the verified reward, graduated per attribute
 *   scenesRewarder(weights, prompts, clip?) -> the image engine's rewarder (label i = prompts[i]; pixel parts,
 *                                     fidelity and, with the scenes CLIP, clip-score; any weighted mix)
 *   scenesRunRewarder(config, prompts, loadClip) -> a run's reward from its settings (clip-score: the shipped CLIP)
 *   SceneClip, sceneClipScores(clip, images, prompts) -> the learned reward clip-score (clip/: model, loss, training)
 *   scenePromptList(text)          -> the task's prompts from the `scenePrompts` setting ('' = SCENE_TASK_PROMPTS)
 *
 * Example: trainingPair(7).prompt is "two small orange circles at the top", and its pixels show exactly that.
 */
import { Rng } from '../rng';
import { sampleCaption } from './captions';
import type { SceneSpec } from './grammar';
import { isHeldOut, isHeldOutScene } from './holdout';
import { sampleScene, type Scene, type SceneLayout } from './layout';
import { renderScene } from './render';

export { sampleCaption, type Caption } from './captions';
export { backgroundOf, detectObjects, nameColour, type Detection } from './detect';
export { ScenePromptError } from './errors';
export { SCENE_EVAL_SETS, type SceneEvalSet } from './eval-sets';
export { fidelity, FULL_FIT, MIDDLE_TOLERANCE, MIN_FIT, PLACE_TOLERANCE } from './fidelity';
export { describeSpec, parsePrompt, type ObjectSpec, type SceneSpec } from './grammar';
export { isHeldOut, isHeldOutScene } from './holdout';
export { SCENE_TASK_PROMPTS, scenePromptList } from './prompt-list';
export { scenesImageReward, scenesRewarder } from './reward';
export { scenesRunRewarder, type SceneClipSource } from './run-reward';
export { SceneClip, type SceneClipConfig } from './clip/model';
export { clipScoreOf, sceneClipScores } from './clip/reward';
export {
  apart, GAP, halfBox, LATTICE_SPOTS, LATTICE_STEP, MARGIN, objectHalfBox, PLACE_EDGE, isSceneLayout, sampleScene, SCENE_LAYOUTS, SLOT_PAIR, SLOT_ROW, SLOT_SPOTS, SLOT_STEP,
  type PlaceSpots, type Scene, type SceneLayout, type SceneObject,
} from './layout';
export { coverage, insideShape, renderScene, SUPERSAMPLE } from './render';
export { encodePrompt } from './tokenizer';
export {
  BACKGROUND, COLOUR_RGB, COLOURS, COUNT_WORDS, PLACES, PLURALS, RELATIONS, SCENE_MAX_WORDS, SCENE_PAD, SCENE_VOCAB,
  SHAPES, SIZE_HALF_EXTENT, SIZES, promptWords,
  type Colour, type Place, type Relation, type Shape, type Size,
} from './vocab';

export interface TrainingPair {
  prompt: string;
  spec: SceneSpec;
  scene: Scene;
  /** (size, size, 3) HWC in [0, 1]. */
  pixels: Float32Array;
}

/** A caption of one object ("a red circle on the left", "one small square"): no group of two or three, no relation. */
export const isSingleObject = (spec: SceneSpec): boolean => spec.kind === 'group' && spec.count === 1;

/**
 * The training pair of a seed: a caption outside the hold-out, a scene drawn for it (also outside), its image.
 * `accept` narrows the captions (e.g. single objects only, a pre-training probe); captions it refuses are redrawn.
 * `layout`: how the objects are placed (layout.ts; 'spread' is the world the earlier shipped models were trained on; the current one is on 'lattice').
 */
export function trainingPair(seed: number, size = 32, accept?: (spec: SceneSpec) => boolean, layout: SceneLayout = 'spread'): TrainingPair {
  const rng = Rng.derive(seed, 'scenes/training-pair');
  for (;;) {
    const { prompt, spec } = sampleCaption(rng);
    if (isHeldOut(spec) || (accept && !accept(spec))) continue;
    for (let attempt = 0; attempt < 20; attempt++) {
      const scene = sampleScene(spec, rng, layout);
      if (!isHeldOutScene(scene)) return { prompt, spec, scene, pixels: renderScene(scene, size) };
    }
  }
}
