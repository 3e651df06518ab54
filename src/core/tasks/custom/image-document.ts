/**
 * The image form of the task document (`"kind": "image"`): a user's own image task, run by the diffusion engine on
 * an embedded image model, its prompts and its reward from the document (README "Your own task").
 *
 *   {"raftlabTask": 1, "kind": "image", "name": "red things on the left", "model": "scenes",
 *    "prompts": ["a red circle on the left", "two small red squares on the left"],
 *    "evalPrompts": ["a red triangle on the left"],
 *    "reward": {"terms": [{"name": "fidelity", "weight": 0.7}, {"name": "clip-score", "weight": 0.3}]},
 *    "imageSize": 32, "passThreshold": 0.9}
 *
 * - `model`: `scenes` (the text-conditioned DiT; prompts are phrases of the scenes grammar, each read by the world's
 *   parser, a bad one refused with its first unknown word) or `shapes` (the class-label U-Net; prompts are its
 *   labels, "a circle" ... "two triangles").
 * - `evalPrompts`: held-out prompts, never trained on; absent, evaluation takes the first `evalPrompts` (the run's
 *   setting) of the prompts at fixed seeds, as the built-in image tasks do.
 * - `reward.terms`: weighted image rewards (the parts a `--reward` mix weighs: the pixel rewards, and on scenes
 *   fidelity and clip-score, the task's own CLIP), each once, weights >= 0 and not all 0; the reward is their
 *   weighted mean (`imageDocumentReward` writes it as the `--reward` mix string, so one rewarder scores both).
 * - `imageSize`: scenes only (a multiple of 16 in the `imageSize` setting's range; default 32); shapes draws 16 px.
 * - `passThreshold`: an eval image whose reward reaches it passes (the eval pass rate); absent, scenes reports the
 *   verified pass rate (fidelity 1) and shapes none.
 *
 * Strict as the text form: unknown fields are refused with their path, every list is bounded, and the result is
 * canonical (prompts as their words in lower case, joined by one space; every field present), so the same task
 * always serializes to the same text.
 */
import { fieldOf } from '../../config/fields';
import { IMAGE_REWARD_PARTS, type PixelRewardPart, type RewardPart } from '../../diffusion/rewards';
import { SHAPE_LABELS } from '../../diffusion/dataset';
import { ScenePromptError } from '../../scenes/errors';
import { parsePrompt } from '../../scenes/grammar';
import { promptWords, SCENE_MAX_WORDS, wordId } from '../../scenes/vocab';
import { IMAGE_DOCUMENT_MODELS, type ImageDocumentModel } from '../run-kind';
import { arr, fail, isObject, num, oneOf, only, str, TASK_DOCUMENT_VERSION, TASK_LIMITS } from './document';

/** Limits of the image form beyond the text form's (TASK_LIMITS: name, description, the document's size). */
export const IMAGE_TASK_LIMITS = {
  /** Prompts, and held-out prompts, each. */
  prompts: 512,
  /** Characters of one prompt as written (a scenes prompt has at most SCENE_MAX_WORDS words). */
  promptChars: 200,
} as const;

export interface ImageRewardTerm {
  name: RewardPart;
  weight: number;
}

export interface ImageTaskDocument {
  raftlabTask: typeof TASK_DOCUMENT_VERSION;
  kind: 'image';
  name: string;
  description: string;
  model: ImageDocumentModel;
  prompts: string[];
  /** Held-out prompts (never trained on); null = evaluate on the first prompts. */
  evalPrompts: string[] | null;
  reward: { terms: ImageRewardTerm[] };
  /** The side of the images drawn and trained on (scenes: a multiple of 16; shapes: 16). */
  imageSize: number;
  /** An eval image with a reward at or above this passes; null = the model's own notion (scenes: fidelity 1). */
  passThreshold: number | null;
}

/** The rewards a term may name on each model: the pixel parts everywhere; fidelity and clip-score read a scenes prompt. */
const PIXEL_PARTS: readonly PixelRewardPart[] = ['redness', 'symmetry', 'brightness', 'contrast', 'count'];
export const IMAGE_DOCUMENT_REWARDS: Readonly<Record<ImageDocumentModel, readonly RewardPart[]>> = {
  scenes: IMAGE_REWARD_PARTS,
  shapes: PIXEL_PARTS,
};

/** The shapes U-Net's image side. */
const SHAPES_SIZE = 16;

function prompt(v: unknown, path: string, model: ImageDocumentModel): string {
  const text = promptWords(str(v, path, IMAGE_TASK_LIMITS.promptChars)).join(' ');
  if (model === 'shapes') {
    if (!SHAPE_LABELS.some((l) => l.text === text)) fail(path, `${JSON.stringify(text)} is not a label of model shapes (its prompts: ${SHAPE_LABELS.map((l) => l.text).join(', ')})`);
    return text;
  }
  const words = text.split(' ');
  const unknown = words.find((w) => wordId(w) === undefined);
  if (unknown !== undefined) fail(path, `has an unknown word ${JSON.stringify(unknown.slice(0, 40))} (not a word of the scenes grammar)`);
  if (words.length > SCENE_MAX_WORDS) fail(path, `has ${words.length} words; a scenes prompt has at most ${SCENE_MAX_WORDS}`);
  try {
    parsePrompt(text);
  } catch (e) {
    if (!(e instanceof ScenePromptError)) throw e;
    fail(path, `is not a prompt of the scenes grammar: ${e.word === '' ? `it ${e.reason}` : `"${e.word}" ${e.reason}`}`);
  }
  return text;
}

function prompts(v: unknown, path: string, model: ImageDocumentModel, taken: ReadonlyMap<string, string>): string[] {
  const list = arr(v, path, IMAGE_TASK_LIMITS.prompts);
  if (list.length === 0) fail(path, 'must have at least one prompt');
  const seen = new Map<string, string>();
  return list.map((p, i) => {
    const text = prompt(p, `${path}[${i}]`, model);
    const before = seen.get(text);
    if (before) fail(`${path}[${i}]`, `repeats ${before} (${JSON.stringify(text)})`);
    const trained = taken.get(text);
    if (trained) fail(`${path}[${i}]`, `is also ${trained} (${JSON.stringify(text)}): a held-out prompt is never trained on`);
    seen.set(text, `${path}[${i}]`);
    return text;
  });
}

function term(v: unknown, path: string, model: ImageDocumentModel): ImageRewardTerm {
  if (!isObject(v)) fail(path, 'must be an object with a "name" (and a "weight")');
  only(v, path, ['name', 'weight']);
  const allowed = IMAGE_DOCUMENT_REWARDS[model];
  if (typeof v.name !== 'string') fail(`${path}.name`, `must be a string, one of ${allowed.join(', ')}`);
  const name = v.name.slice(0, 40);
  if (!(allowed as readonly string[]).includes(name)) {
    const why = (IMAGE_REWARD_PARTS as readonly string[]).includes(name)
      ? `reads a prompt of the scenes grammar: it scores model scenes, not ${model} (whose prompts are its labels)`
      : name === 'red-symmetric'
        ? 'is redness and symmetry half and half: write them as two terms'
        : ['class-prob', 'aesthetic'].includes(name)
          ? `is a Hub model's reward (task hub-images), not one of model ${model}'s`
          : 'is not an image reward';
    fail(`${path}.name`, `${JSON.stringify(name)} ${why} (model ${model}: ${allowed.join(', ')})`);
  }
  return { name: name as RewardPart, weight: v.weight === undefined ? 1 : num(v.weight, `${path}.weight`, 0, 1000) };
}

function reward(v: unknown, model: ImageDocumentModel): { terms: ImageRewardTerm[] } {
  if (!isObject(v)) fail('reward', 'must be an object: one term ({"name": "fidelity"}) or {"terms": [...]}');
  const list = 'terms' in v
    ? (only(v, 'reward', ['terms']), arr(v.terms, 'reward.terms', IMAGE_REWARD_PARTS.length).map((t, i) => term(t, `reward.terms[${i}]`, model)))
    : [term(v, 'reward', model)];
  if (list.length === 0) fail('reward.terms', 'must have at least one term');
  list.forEach((t, i) => {
    const j = list.findIndex((u) => u.name === t.name);
    if (j < i) fail(`reward.terms[${i}].name`, `"${t.name}" is named twice (reward.terms[${j}]): give each reward once, with its weight`);
  });
  if (list.every((t) => t.weight === 0)) fail('reward.terms', 'must have a term with a weight above 0');
  return { terms: list };
}

function imageSize(v: unknown, model: ImageDocumentModel): number {
  const field = fieldOf('imageSize');
  if (model === 'shapes') {
    if (v !== undefined && v !== SHAPES_SIZE) fail('imageSize', `must be ${SHAPES_SIZE} on model shapes (its U-Net draws ${SHAPES_SIZE}x${SHAPES_SIZE} images); other sizes are model scenes'`);
    return SHAPES_SIZE;
  }
  if (v === undefined) return field.default;
  const size = num(v, 'imageSize', field.min!, field.max!, true);
  if (size % 16 !== 0) fail('imageSize', `must be a multiple of 16 (the denoiser's patches tile it): 16, 32, 48 or 64, not ${size}`);
  return size;
}

const TOP_KEYS = ['raftlabTask', 'kind', 'name', 'description', 'model', 'prompts', 'evalPrompts', 'reward', 'imageSize', 'passThreshold'];

/** Check an image task document's object (readTaskDocumentObject's: version and kind read). Throws TaskDocumentError. */
export function parseImageTaskDocument(v: Record<string, unknown>): ImageTaskDocument {
  only(v, 'the task', TOP_KEYS);
  const name = str(v.name, 'name', TASK_LIMITS.name);
  const description = v.description === undefined ? '' : str(v.description, 'description', TASK_LIMITS.description, { empty: true });
  if (v.model === undefined) fail('model', `is needed: the embedded image model the task runs on (${IMAGE_DOCUMENT_MODELS.join(', ')})`);
  const model = oneOf(v.model, 'model', IMAGE_DOCUMENT_MODELS);
  const train = prompts(v.prompts, 'prompts', model, new Map());
  const trained = new Map(train.map((p, i) => [p, `prompts[${i}]`]));
  return {
    raftlabTask: TASK_DOCUMENT_VERSION,
    kind: 'image',
    name,
    description,
    model,
    prompts: train,
    evalPrompts: v.evalPrompts === undefined || v.evalPrompts === null ? null : prompts(v.evalPrompts, 'evalPrompts', model, trained),
    reward: reward(v.reward, model),
    imageSize: imageSize(v.imageSize, model),
    passThreshold: v.passThreshold === undefined || v.passThreshold === null ? null : num(v.passThreshold, 'passThreshold', 0, 1),
  };
}

/** The document's reward as the `--reward` mix string (`fidelity:0.7,clip-score:0.3`; terms of weight 0 left out). */
export function imageDocumentReward(doc: ImageTaskDocument): string {
  return doc.reward.terms.filter((t) => t.weight > 0).map((t) => `${t.name}:${t.weight}`).join(',');
}
