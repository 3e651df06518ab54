/**
 * Cross-field checks: settings valid one by one that together make no sense (a prompt keeping more samples than it
 * has, top-k 1 with several samples, an image task on a Hub model, ...). Each field is assumed valid on its own.
 */
import { imageRewardWeights, needsScenes } from '../diffusion/rewards';
import { isLearnedImageReward } from '../rewards/image-reward-names';
import { ScenePromptError } from '../scenes/errors';
import { scenePromptList } from '../scenes/prompt-list';
import { isImageTaskName } from '../tasks/catalogue';
import { imageTaskOf } from '../tasks/run-kind';
import { runDefaults } from './defaults';
import { fieldOf, IMAGE_DOCUMENT_SETTINGS, type ConfigKey, type RunConfig } from './fields';
import { parseFieldValue, type ConfigProblem } from './values';

/** Checks that involve more than one field. Each field is assumed to be individually valid. */
export function checkConfig(config: RunConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: ConfigKey, message: string) => problems.push({ key, value: String(config[key]), message });
  if (config.select === 'per-prompt' && config.keepPerPrompt > config.samplesPerPrompt) {
    add(
      'keepPerPrompt',
      `keepPerPrompt (${config.keepPerPrompt}) must be at most samplesPerPrompt (${config.samplesPerPrompt}): a prompt cannot keep more samples than it has`,
    );
  }
  if (config.topK === 1 && config.samplesPerPrompt > 1) {
    add(
      'topK',
      `topK = 1 always picks the most likely token, so all ${config.samplesPerPrompt} samples of a prompt would be identical and ranking them is pointless; use 0 (off) or at least 2`,
    );
  }
  const total = config.promptsPerCycle * config.samplesPerPrompt;
  if (config.minKept > total) {
    add(
      'minKept',
      `minKept (${config.minKept}) is more than the ${total} samples a cycle draws (promptsPerCycle × samplesPerPrompt), so threshold selection would always keep every sample`,
    );
  }
  if (config.task === 'shapes' && config.model !== 'embedded') {
    add('model', `image tasks (${config.task}) train the embedded denoiser; model ${config.model} is for language tasks (a Hub diffusers UNet runs as task hub-images)`);
  }
  if (config.task === 'hub-images' && (config.model === 'embedded' || config.model === 'generalist')) {
    add('model', 'task hub-images needs a diffusers UNet2DModel from the Hub as its model (e.g. google/ddpm-cifar10-32, or a folder in the Hub\'s layout)');
  }
  const image = imageTaskOf(config);
  if (config.task === 'custom' && image !== null) imageDocumentChecks(config, image, add);
  else imageTaskChecks(config, add);
  if (config.imageInitAdapter !== '' && config.task !== 'hub-images') {
    add('imageInitAdapter', 'a run starts from a saved adapter on task hub-images only');
  }
  if (image !== null && config.method !== 'raft') {
    add('method', `image tasks (${config.task === 'custom' ? `custom, on model ${image}` : config.task}) run RAFT only; method ${config.method} is for language tasks`);
  }
  if (config.task === 'custom' && config.taskDoc === '') {
    add('taskDoc', 'task custom needs a task document (the lab\'s "Your task" editor; the CLI\'s --task-file, or --prompts with --reward-py)');
  }
  if (config.task !== 'custom' && config.taskDoc !== '') add('taskDoc', `a task document is for task custom, not ${config.task}`);
  const parsedTargets = parseFieldValue(fieldOf('loraTargets'), config.loraTargets);
  if (!parsedTargets.ok) add('loraTargets', parsedTargets.message);
  return problems;
}

type Add = (key: ConfigKey, message: string) => void;

/** What the document of a custom image task decides is not a setting: those settings stay at their defaults. */
function imageDocumentChecks(config: RunConfig, model: string, add: Add): void {
  const defaults = runDefaults(config.task, config.model, config.taskDoc);
  const what: Partial<Record<ConfigKey, string>> = {
    imageReward: 'its reward (reward.terms)', imageRewardModel: 'its reward (on model scenes, clip-score is the task\'s own CLIP)',
    imageRewardTarget: 'its reward (on model scenes, each image is matched with its own prompt)', scenePrompts: 'its prompts (prompts, evalPrompts)',
    imageSize: 'its image size (imageSize)',
  };
  for (const key of IMAGE_DOCUMENT_SETTINGS) {
    if (config[key] !== defaults[key]) add(key, `the custom image task's document decides ${what[key]}; leave ${fieldOf(key).label} at its default (${JSON.stringify(defaults[key])}) or change the document`);
  }
  if (config.model !== 'embedded') add('model', `an image task document runs on the embedded model it names (model ${model}), not ${config.model}`);
}

/** Checks of the built-in image tasks' reward, prompts and image size (and of those settings off the image tasks). */
function imageTaskChecks(config: RunConfig, add: Add): void {
  const weights = imageRewardWeights(config.imageReward);
  const usesClip = (weights?.['clip-score'] ?? 0) > 0;
  if (config.task === 'hub-images' && (weights?.count ?? 0) > 0) {
    add('imageReward', 'reward count compares shapes with the shapes task\'s labels; a Hub UNet\'s prompts are its classes (use a pixel reward without labels, or a learned one)');
  }
  if (config.task === 'shapes' && isLearnedImageReward(config.imageReward)) {
    add('imageReward', `reward ${config.imageReward} is for task hub-images (a learned reward on a Hub UNet's images); the shapes task has its pixel rewards`);
  }
  if (config.task === 'scenes' && (isLearnedImageReward(config.imageReward) || usesClip)) {
    // task scenes scores clip-score with its own shipped CLIP, each image against its own prompt
    if (!usesClip) add('imageReward', `reward ${config.imageReward} is for task hub-images (a Hub model's); task scenes has fidelity, clip-score (its own CLIP) and the pixel rewards`);
    else if (config.imageRewardModel !== 'embedded') add('imageRewardModel', `reward clip-score on task scenes uses the task's own CLIP model (embedded), which scores each image against its own prompt; a Hub CLIP (${config.imageRewardModel}) is for task hub-images`);
    else if (config.imageRewardTarget.trim() !== '') add('imageRewardTarget', 'reward clip-score on task scenes scores each image against its own prompt; a target text is for a Hub CLIP on task hub-images');
  }
  if (config.task !== 'scenes' && isLearnedImageReward(config.imageReward) && config.imageRewardModel === 'embedded') {
    add('imageRewardModel', `the embedded reward model is task scenes' own CLIP; reward ${config.imageReward} on ${config.task} needs a Hub model (org/name)`);
  }
  if (isImageTaskName(config.task) && config.task !== 'scenes' && (config.imageReward === 'clip-score' || config.imageReward === 'class-prob') && config.imageRewardTarget.trim() === '') {
    add('imageRewardTarget', `reward ${config.imageReward} needs its target: ${config.imageReward === 'clip-score' ? 'the text the images should match' : 'the class whose probability is the reward'} (--reward-target)`);
  }
  if (config.task !== 'scenes' && !isLearnedImageReward(config.imageReward) && weights && needsScenes(weights)) {
    add('imageReward', `reward ${config.imageReward} weighs ${usesClip ? 'clip-score (the scenes CLIP)' : 'fidelity'}, which reads a prompt of the scenes grammar: it is for task scenes, not ${config.task}${usesClip ? ' (a Hub CLIP is the reward clip-score alone, with --reward-model and --reward-target)' : ''}`);
  }
  if (config.task === 'scenes' && (config.model !== 'embedded')) {
    add('model', `task scenes trains its embedded text-conditioned denoiser; model ${config.model} is not one`);
  }
  if (config.scenePrompts !== '') {
    if (config.task !== 'scenes') add('scenePrompts', `scene prompts are for task scenes, not ${config.task}`);
    else {
      try {
        scenePromptList(config.scenePrompts);
      } catch (e) {
        if (!(e instanceof ScenePromptError)) throw e;
        add('scenePrompts', e.message);
      }
    }
  }
  if (config.imageSize !== 32 && config.task !== 'scenes') add('imageSize', `the image size is a setting of task scenes; ${config.task} draws at its model's own size`);
  if (config.imageSize % 16 !== 0) add('imageSize', `the image size must be a multiple of 16 (16, 32, 48 or 64), not ${config.imageSize}`);
}
