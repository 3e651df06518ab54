/**
 * One set-up of a language run, shared by the CLI (src/cli/run.ts) and the trainer worker
 * (workers/trainer/run-session.ts): a custom task's reward is checked before anything loads (Python that does not
 * compile, a classifier without the label), the task and the general tasks are built, the base model is loaded from
 * wherever this machine keeps model files (`ModelSource`: src/node/run-model.ts reads folders and the Hub cache,
 * src/browser/run-model.ts the page's files and the Cache API), and the engine is built on it. The config the run
 * records names the model as the source pinned it (a Hub id at the commit it resolved). An image run's set-up is
 * `prepareImageRun`: the task's denoiser (a custom image task's: its document's model), from where this machine
 * keeps it, and the diffusion engine on it.
 */
import type { RunConfig } from '../config/schema';
import { DiffusionRaftEngine, type DiffusionEngineOptions } from '../diffusion/engine';
import { SHAPE_LABELS } from '../diffusion/dataset';
import { imageRewardWeights } from '../diffusion/rewards';
import { DiffusersDenoiser } from '../diffusers/denoiser';
import type { DiffusersPipeline } from '../diffusers/pipeline';
import type { ImageRewardModels } from '../rewards/image-models';
import { learnedImageRewarder } from '../rewards/image-rewarder';
import type { PeftAdapterFiles } from '../diffusers/unet2d/lora';
import { isLearnedImageReward } from '../rewards/image-reward-names';
import { SceneDiT } from '../diffusion/dit/model';
import { modelLayout, scenesDenoiser } from '../diffusion/dit/scenes-denoiser';
import { UNet } from '../diffusion/unet';
import { scenePromptList } from '../scenes/prompt-list';
import { scenesRunRewarder, type SceneClipSource } from '../scenes/run-reward';
import { baseModelId } from '../store/base-model';
import type { LanguageModel } from '../lm/language-model';
import { RaftEngine, type Progress } from '../raft/engine';
import { checkCustomTask } from '../tasks/custom/task';
import { createGeneralTasks, createRunTask, runImageDocument, runTaskDocument } from '../tasks/run-task';
import { imageDocumentReward, type ImageTaskDocument } from '../tasks/custom/image-document';
import { imageTaskOf } from '../tasks/run-kind';
import type { Task, TaskContext, Tokenizer } from '../tasks/types';

/** What every model source gives; each adds what its side needs (labels, export files, save folders). */
export interface LoadedModel {
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** For stored runs and checkpoints: task, architecture, size and a fingerprint of the weights. */
  baseId: string;
  /** The `model` value the run records and its link names (a Hub id pinned to its commit where known). */
  linkModel: string;
}

/** Where a run's base model comes from: what differs between Node and the browser. */
export type ModelSource<M extends LoadedModel> = (config: RunConfig, task: Task) => Promise<M>;

export interface PreparedRun<M extends LoadedModel = LoadedModel> {
  /** The config as given, with `model` as the source pinned it. */
  config: RunConfig;
  task: Task;
  general: Task[];
  base: M;
}

/** Check, build the tasks of, and load the model of a language run. `onStatus` hears what is happening. */
export async function prepareRun<M extends LoadedModel>(
  asGiven: RunConfig,
  ctx: TaskContext,
  loadModel: ModelSource<M>,
  onStatus?: (text: string) => void,
): Promise<PreparedRun<M>> {
  const doc = runTaskDocument(asGiven);
  if (doc) {
    onStatus?.(`checking the reward of "${doc.name}"`);
    await checkCustomTask(doc, ctx);
  }
  const task = createRunTask(asGiven, ctx);
  const general = createGeneralTasks(asGiven, ctx);
  const base = await loadModel(asGiven, task);
  return { config: { ...asGiven, model: base.linkModel }, task, general, base };
}

/** The engine of a prepared run (at cycle 0); the model is disposed when the engine refuses the settings. */
export function createRunEngine(run: PreparedRun, onProgress?: (p: Progress) => void): RaftEngine {
  try {
    return new RaftEngine({ model: run.base.model, tokenizer: run.base.tokenizer, task: run.task, general: run.general, config: run.config, ...(onProgress ? { onProgress } : {}) });
  } catch (e) {
    run.base.model.dispose();
    throw e;
  }
}

/**
 * An image task's denoiser, however it was loaded (src/node/diffusion-files.ts, src/browser/diffusion-files.ts): the
 * shapes U-Net, or the scenes task's text-conditioned DiT.
 */
export interface LoadedDenoiser {
  model: UNet | SceneDiT;
  fingerprint: string;
  /** The model file's facts (scenes: the world layout it was trained on, read by modelLayout). */
  manifest?: { meta?: Readonly<Record<string, unknown>> };
}

/**
 * Load an image task's denoiser and build the diffusion engine on it (at cycle 0); `baseId` names the denoiser for
 * stored runs and checkpoints. `sceneClip` brings task scenes' own CLIP (its clip-score reward) where this runner
 * has it. A custom task's image document (tasks/custom/image-document.ts) runs as its model's task (scenes or
 * shapes) with the document's prompts, held-out prompts, image size, pass threshold and reward: its weighted terms
 * as the `--reward` mix they spell, scored by the same rewarder as that mix. The document is checked before the
 * model loads; the model is disposed when the engine refuses the settings.
 */
export async function prepareImageRun<M extends LoadedDenoiser>(
  config: RunConfig,
  load: (task: string) => Promise<M>,
  onProgress?: (p: Progress) => void,
  sceneClip?: SceneClipSource,
): Promise<{ base: M; engine: DiffusionRaftEngine; baseId: string }> {
  const doc = runImageDocument(config);
  const task = imageTaskOf(config);
  if (task !== 'scenes' && task !== 'shapes') throw new Error(`task ${config.task} does not run on an embedded denoiser`);
  const base = await load(task);
  let engine: DiffusionRaftEngine;
  try {
    const progress = onProgress ? { onProgress } : {};
    if (task === 'scenes') {
      if (!(base.model instanceof SceneDiT)) throw new Error('task scenes runs on its text-conditioned denoiser (a DiT), not a U-Net');
      // the run's prompts (the document's, typed, or the task's 48), sampled and trained at the run's image size
      const denoiser = scenesDenoiser(base.model, {
        prompts: doc ? [...doc.prompts, ...(doc.evalPrompts ?? [])] : scenePromptList(config.scenePrompts), ddimSteps: config.ddimSteps,
        guidance: config.guidance, imageSize: doc?.imageSize ?? config.imageSize, heldOutImages: config.evalImages,
        layout: modelLayout(base.manifest?.meta),
      });
      // fidelity and pixel rewards from the pixels; clip-score from the task's own CLIP (loaded only when weighed)
      const rewarder = await scenesRunRewarder(imageRunReward(config), denoiser.prompts, sceneClip);
      engine = new DiffusionRaftEngine({ denoiser, config, rewarder, ...documentRun(doc, denoiser.prompts), ...progress });
    } else {
      if (!(base.model instanceof UNet)) throw new Error(`task ${task} runs on its U-Net`);
      const weights = doc ? imageRewardWeights(imageRunReward(config).imageReward) : undefined;
      engine = new DiffusionRaftEngine({ model: base.model, config, ...(weights ? { reward: weights } : {}), ...documentRun(doc, SHAPE_LABELS.map((l) => l.text)), ...progress });
    }
  } catch (e) {
    base.model.dispose();
    throw e;
  }
  return { base, engine, baseId: baseModelId(task, 'denoiser', base.model.numParams(), base.fingerprint) };
}

/**
 * The reward settings an embedded image run scores with: a custom image document's weighted terms as the `--reward`
 * mix they spell (on scenes, clip-score by the task's own CLIP), else the run's own settings.
 */
export function imageRunReward(config: RunConfig): Pick<RunConfig, 'imageReward' | 'imageRewardModel'> {
  const doc = runImageDocument(config);
  return doc ? { imageReward: imageDocumentReward(doc), imageRewardModel: 'embedded' } : config;
}

/** An image document's engine options: which of the denoiser's `prompts` are trained and evaluated, its pass threshold. */
function documentRun(doc: ImageTaskDocument | null, prompts: readonly string[]): Pick<DiffusionEngineOptions, 'promptSplit' | 'passThreshold'> {
  if (!doc) return {};
  const at = (p: string) => prompts.indexOf(p);
  return { promptSplit: { train: doc.prompts.map(at), eval: (doc.evalPrompts ?? doc.prompts).map(at) }, passThreshold: doc.passThreshold };
}

/** A diffusers pipeline from the Hub (or a folder), however it was loaded (src/node/diffusers-model.ts). */
export interface LoadedPipeline {
  pipeline: DiffusersPipeline;
  /** For people: the folder, or `org/name@revision`. */
  label: string;
  fingerprint: string;
  /** The `model` value the run records (pinned to the resolved commit where known). */
  linkModel: string;
}

/**
 * Task hub-images: the run's diffusers UNet (loaded by `load`) as the image engine's denoiser, with the run's reward:
 * a pixel reward, or a learned one on `rewardModels` (its model loaded and its target checked before cycle 0). The
 * pipeline is disposed when the engine or the reward refuses the settings.
 */
export async function prepareHubImageRun<M extends LoadedPipeline>(
  config: RunConfig,
  load: (model: string) => Promise<M>,
  rewardModels: () => ImageRewardModels,
  onProgress?: (p: Progress) => void,
  loadAdapter?: (adapter: string) => Promise<PeftAdapterFiles>,
): Promise<{ base: M; engine: DiffusionRaftEngine; baseId: string }> {
  const base = await load(config.model);
  let engine: DiffusionRaftEngine;
  try {
    const rewarder = isLearnedImageReward(config.imageReward) ? await learnedImageRewarder(config, rewardModels()) : undefined;
    // the run is recorded with the model pinned to the commit it resolved to
    const pinned = { ...config, model: base.linkModel };
    const denoiser = new DiffusersDenoiser(base.pipeline, pinned, `UNet2DModel ${base.label}`);
    engine = new DiffusionRaftEngine({ denoiser, config: pinned, ...(rewarder ? { rewarder } : {}), ...(onProgress ? { onProgress } : {}) });
    if (config.imageInitAdapter) {
      if (!loadAdapter) throw new Error('this runner cannot load an adapter to start from');
      // the run's adapters start from the saved ones (their own ranks and scales), before cycle 0
      base.pipeline.unet.attachPeft(await loadAdapter(config.imageInitAdapter), config.seed);
    }
  } catch (e) {
    base.pipeline.unet.dispose();
    throw e;
  }
  return { base, engine, baseId: baseModelId(config.task, 'unet2d', base.pipeline.unet.numParams(), base.fingerprint) };
}

