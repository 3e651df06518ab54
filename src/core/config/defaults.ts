/**
 * Defaults and presets: the table's defaults, what each task recommends over them (TASK_DEFAULTS), what a Hub model
 * changes (HUB_MODEL_DEFAULTS), switching a config to another task or model while keeping what the user changed, and
 * the difference of a config from its defaults (what URLs and CLI argument lists write).
 */
import { isImageTaskName, type TaskName } from '../tasks/catalogue';
import { behavesAs, imageDocumentModel } from '../tasks/run-kind';
import { CONFIG_FIELDS, IMAGE_DOCUMENT_SETTINGS, fieldOf, type AnyConfigField, type ConfigKey, type ConfigValue, type RunConfig } from './fields';
import { sameValue } from './values';

export const DEFAULT_CONFIG: RunConfig = Object.freeze(
  Object.fromEntries(CONFIG_FIELDS.map((f) => [f.key, f.default])) as unknown as RunConfig,
) as RunConfig;

/**
 * A configuration read back from storage (a saved run, a run file, a run directory) with every setting it lacks at
 * its default: a run saved before a setting existed ran with the value that is now its default (DDIM steps, reward
 * chunk, ...), so it resumes, exports and shares as it ran.
 */
export function completeConfig(stored: Partial<RunConfig>): RunConfig {
  const out = { ...DEFAULT_CONFIG } as Record<string, ConfigValue>;
  for (const f of CONFIG_FIELDS) {
    const v = (stored as Record<string, ConfigValue | undefined>)[f.key];
    if (v !== undefined) out[f.key] = v;
  }
  // image runs saved before `evalImages` existed measured min(evalTexts, 256) held-out images
  if (stored.evalImages === undefined && stored.evalTexts !== undefined && isImageTaskName(String(stored.task))) {
    out.evalImages = Math.min(stored.evalTexts, fieldOf('evalImages').max!);
  }
  return out as unknown as RunConfig;
}

/** A fresh, mutable copy of the defaults. */
export function defaultConfig(): RunConfig {
  return { ...DEFAULT_CONFIG };
}

/**
 * Settings a task recommends over the global defaults: its defaults are DEFAULT_CONFIG with these on top (URLs and
 * CLI argument lists omit values equal to their task's defaults). Verifier tasks keep only fully correct samples
 * (threshold 1, no floor): per-prompt selection would also keep each prompt's best failure and teach "runs but
 * wrong". Set from measured runs; see the README's task sections.
 */
export const TASK_DEFAULTS: Readonly<Partial<Record<TaskName, Readonly<Partial<RunConfig>>>>> = {
  // binary reward: train only on right answers (per-prompt would keep each prompt's best wrong answer); 128 prompts x 8
  // samples a cycle (a cycle takes ~10 s), every eval prompt (128 x 4 samples)
  // (measured, seed 1: pass .379 -> .754 in 5 cycles; 32 x 6 gave .398 -> .559, lr 1e-3 stayed flat; see README)
  arithmetic: { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 128, samplesPerPrompt: 8, evalPrompts: 128 },
  // DART-style extra rounds for prompts with no passing sample help most (measured: pass .141 -> .293 in 5 cycles)
  'python-functions': { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 64, samplesPerPrompt: 8, quotaTrials: 4 },
  // only correct programs, a small rate with more steps, 64 x 8 samples (per-prompt selection or lr 1e-3 lower the
  // pass rate, see c-programs/index.ts); every held-out problem (66) x 8 eval samples: the pass rate's error
  // (evalPassRateSe) is 0.015-0.017 and a 5-point change between two runs 2 of their joint error (measured, seed 1:
  // pass .184 -> .256 in 5 cycles, 15 min on 2 busy cores, half of it evaluation; 32 x 4 had an error of 0.033)
  'c-programs': {
    select: 'threshold', rewardThreshold: 1, minKept: 1, promptsPerCycle: 64, samplesPerPrompt: 8, lr: 2e-4, epochsPerCycle: 4,
    batchSize: 32, evalPrompts: 66, evalSamplesPerPrompt: 8,
  },
  // image task: a cycle uses each of the 7 labels once; global selection of the reddest fifth and a small LoRA rate
  // (measured, seed 1: eval redness .085 -> .256 in 4 cycles, held-out denoising loss +17%; the language defaults,
  // per-prompt at 3e-3, pay more fidelity for the same reward)
  shapes: { select: 'global', loraLr: 0.00025, promptsPerCycle: 7, evalPrompts: 7 },
  // image task: the verified reward; global selection and the LoRA rate of shapes (on the shipped scenes model it
  // wears the model down from cycle 3 on and shows the clip-score/fidelity gap; 5e-5 holds it, with no clear gain:
  // docs/diffusion.md, "The two experiments on the crisp model"); a cycle
  // takes 8 of the 48 prompts, evaluation the first 16 (four of each kind: seen single, seen group, held-out, relation);
  // its learned reward clip-score is the task's own shipped scenes CLIP (`embedded`), not a Hub CLIP
  scenes: { imageReward: 'fidelity', imageRewardModel: 'embedded', select: 'global', loraLr: 0.00025, promptsPerCycle: 8, evalPrompts: 16 },
  // the domain-RAFT experiment on the generalist: like arithmetic (only right answers for RAFT), and the general
  // tasks whose metrics show forgetting measured every cycle
  'answer-key': { select: 'threshold', rewardThreshold: 1, minKept: 0, promptsPerCycle: 128, samplesPerPrompt: 8, evalPrompts: 128, general: 'sentiment,python-functions,c-programs' },
};

/**
 * What a Hub model changes in the defaults: LoRA (rank 8) instead of full fine-tuning, since a real model's weights,
 * gradients and Adam moments rarely fit a browser tab. A run that sets `lora` keeps its value.
 */
export const HUB_MODEL_DEFAULTS: Readonly<Partial<RunConfig>> = { lora: 8 };

/**
 * The defaults of a task on a model: DEFAULT_CONFIG, TASK_DEFAULTS[task], and HUB_MODEL_DEFAULTS for a Hub model. A
 * custom task whose document (`taskDoc`) is an image task takes its model's task's defaults (tasks/run-kind.ts).
 */
export function runDefaults(task: TaskName, model = 'embedded', taskDoc = ''): RunConfig {
  const preset = TASK_DEFAULTS[behavesAs({ task, taskDoc })] ?? {};
  return { ...DEFAULT_CONFIG, ...preset, ...(isEmbeddedModel(model) ? {} : HUB_MODEL_DEFAULTS), task, model };
}

/** `embedded` (the task's shipped model) and `generalist` (the shared model of the language tasks) are shipped models, not Hub ids. */
export function isEmbeddedModel(model: string): boolean {
  return model === 'embedded' || model === 'generalist';
}

/** The defaults of one task (DEFAULT_CONFIG plus TASK_DEFAULTS[task]) on the embedded model. */
export function taskDefaults(task: TaskName): RunConfig {
  return runDefaults(task);
}

/** `config` with the fields still at `from`'s defaults moved to `to`'s; fields the user changed keep their values. */
function rebase(config: RunConfig, from: RunConfig, to: RunConfig, set: Partial<RunConfig>): RunConfig {
  const next = { ...config, ...set } as Record<ConfigKey, ConfigValue>;
  for (const field of CONFIG_FIELDS) {
    if (field.key === 'task' || field.key === 'model' || field.key in set) continue;
    if (sameValue(field, config[field.key], from[field.key])) next[field.key] = to[field.key];
  }
  return next as unknown as RunConfig;
}

/**
 * The config switched to another task: fields still at the old task's defaults take the new task's defaults; fields
 * the user changed keep their values. A built-in task leaves the task document behind (a document is task custom's
 * only; the lab's editor and saved tasks keep theirs).
 */
export function withTask(config: RunConfig, task: TaskName): RunConfig {
  const taskDoc = task === 'custom' ? config.taskDoc : '';
  return rebase(config, runDefaults(config.task, config.model, config.taskDoc), runDefaults(task, config.model, taskDoc), { task, taskDoc });
}

/** The config switched to another model, the same way (a Hub model brings LoRA with it, unless lora was set). */
export function withModel(config: RunConfig, model: string): RunConfig {
  return rebase(config, runDefaults(config.task, config.model, config.taskDoc), runDefaults(config.task, model, config.taskDoc), { model });
}

/**
 * The config with another task document (canonical JSON, '' for none), the same way: a custom task's image document
 * brings its model's task's defaults (an image document on scenes: scenes' selection and LoRA rate), and a text one
 * takes them back. The settings an image document decides (its reward, prompts and image size) are set to their
 * defaults: the document's win. Settings given after it (a flag, a URL key) are checked against it (checks.ts).
 */
export function withTaskDoc(config: RunConfig, taskDoc: string): RunConfig {
  const to = runDefaults(config.task, config.model, taskDoc);
  const next = rebase(config, runDefaults(config.task, config.model, config.taskDoc), to, { taskDoc }) as unknown as Record<ConfigKey, ConfigValue>;
  if (config.task === 'custom' && imageDocumentModel(taskDoc) !== null) for (const key of IMAGE_DOCUMENT_SETTINGS) next[key] = to[key];
  return next as unknown as RunConfig;
}

/** Fields whose value differs from its task's defaults (the task from the global default), in table order. */
export function configDiff(config: RunConfig): Array<[AnyConfigField, ConfigValue]> {
  const diff: Array<[AnyConfigField, ConfigValue]> = [];
  const defaults = runDefaults(config.task, config.model, config.taskDoc);
  for (const field of CONFIG_FIELDS) {
    const value = config[field.key];
    const base = field.key === 'task' || field.key === 'model' ? field.default : defaults[field.key];
    if (!sameValue(field, value, base)) diff.push([field, value]);
  }
  return diff;
}
