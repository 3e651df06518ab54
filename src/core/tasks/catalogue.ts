/**
 * The task catalogue: the names of the tasks and methods the lab offers and what kind each task is. Plain data with
 * no imports, so the config schema, the task documents and the UI can read it without TF.js or the tasks' code
 * (tasks/registry.ts builds the tasks themselves).
 */

/** Tasks the lab can train on. Add a task id here (and its implementation elsewhere) to offer it. */
export const TASKS = ['sentiment', 'arithmetic', 'c-programs', 'python-functions', 'answer-key', 'shapes', 'scenes', 'hub-images', 'custom'] as const;
export type TaskName = (typeof TASKS)[number];

/** What kind of model a task trains: a language model that writes text, or a denoiser that draws images. */
export type TaskKind = 'language' | 'image';

/** Each task's kind, typed by task name (a new task without a kind does not compile). */
export const TASK_KINDS: Readonly<Record<TaskName, TaskKind>> = {
  sentiment: 'language',
  arithmetic: 'language',
  'c-programs': 'language',
  'python-functions': 'language',
  'answer-key': 'language',
  shapes: 'image',
  /** The scenes world (core/scenes/): typed prompts of its grammar, a text-conditioned denoiser, the fidelity reward. */
  scenes: 'image',
  /** A diffusers UNet2DModel from the Hub (the `model` setting): its classes (or one unconditional prompt) as prompts. */
  'hub-images': 'image',
  custom: 'language',
};

/** Tasks that run on the diffusion engine (images) instead of a language model. */
export const IMAGE_TASKS: readonly TaskName[] = TASKS.filter((t) => TASK_KINDS[t] === 'image');

export function isImageTaskName(task: string): boolean {
  return (IMAGE_TASKS as readonly string[]).includes(task);
}

/** Tasks without a model of their own: `model: embedded` is this shared embedded model (public/models/<name>). */
export const TASK_SHARED_MODEL: Readonly<Partial<Record<TaskName, 'generalist'>>> = { 'answer-key': 'generalist' };

/** Built-in language tasks a run can measure as general capability (the `general` setting), in canonical order. */
export const GENERAL_TASKS = ['sentiment', 'arithmetic', 'python-functions', 'c-programs', 'answer-key'] as const satisfies readonly TaskName[];

/** Alignment methods the lab compares. */
export const METHODS = ['raft', 'uft', 'sft', 'best-of-k', 'ppo', 'grpo', 'rloo', 'online-dpo', 'domain-raft', 'raftpp', 'reinforce-rej'] as const;
export type Method = (typeof METHODS)[number];
