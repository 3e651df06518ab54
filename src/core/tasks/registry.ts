/** Task ids -> tasks, and the embedded base model's architecture and pre-training recipe for each. */
import type { GptConfig } from '../models/gpt2/config';
import { ARITHMETIC_PRETRAIN_SEED, arithmeticCorpus, createArithmeticTask } from './arithmetic/index';
import { C_PROGRAMS_PRETRAIN_SEED, cProgramsCorpus, createCProgramsTask } from './c-programs/index';
import { createPythonFunctionsTask, PYTHON_FUNCTIONS_PRETRAIN_SEED, pythonFunctionsCorpus } from './python-functions/index';
import { createSentimentTask, sentimentCorpus, SENTIMENT_PRETRAIN_SEED } from './sentiment/index';
import { createAnswerKeyTask } from './answer-key/index';
import { GENERALIST_PRETRAIN_SEED, generalistCorpus, generalistHeldOutText } from './generalist';
import type { Task, TaskContext } from './types';
import { isImageTaskName, TASK_SHARED_MODEL, type TaskName } from './catalogue';

export interface PretrainRecipe {
  /** Architecture; vocabSize comes from the task's tokenizer. */
  model: Omit<GptConfig, 'vocabSize'>;
  /** Pre-training documents for a seed. */
  corpus: (seed: number) => string[];
  /** Vocabulary size of the task's byte-level BPE tokenizer (256 bytes + special tokens + merges). */
  tokenizerVocab: number;
  /** Held-out text for the pre-training log; default: the task's heldOutText. */
  heldOutText?: () => string[];
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
}

interface TaskEntry {
  create: (ctx: TaskContext) => Task;
  pretrain: PretrainRecipe;
  /** The task's reward runs generated code: callers pass a verifier in the TaskContext. */
  needsVerifier?: boolean;
  /** The task has no model of its own: `model: embedded` is this shared one (public/models/<name>). */
  embeddedModel?: EmbeddedModel;
}

/**
 * Embedded models not tied to one task: `generalist`, pre-trained on the mixture of the language tasks' corpora
 * (generalist.ts); the answer-key task runs on it, and `model: generalist` runs any language task on it.
 */
export const SHARED_MODELS = ['generalist'] as const;
export type EmbeddedModel = (typeof SHARED_MODELS)[number];

const GENERALIST_RECIPE: PretrainRecipe = {
  // four tasks in one model: wider than each task's own, and as long a context as the code tasks'
  model: { blockSize: 80, nLayer: 4, nHead: 4, nEmbd: 96 },
  corpus: (seed) => generalistCorpus(seed),
  tokenizerVocab: 768,
  heldOutText: generalistHeldOutText,
  seed: GENERALIST_PRETRAIN_SEED,
  steps: 2000,
  batchSize: 32,
  lr: 2e-3,
  warmup: 100,
};

const MODEL_RECIPES: Record<EmbeddedModel, PretrainRecipe> = { generalist: GENERALIST_RECIPE };

/** The built-in language tasks of the catalogue: each has an entry here (a task added to the catalogue without one does not compile). */
type BuiltInLanguageTask = Exclude<TaskName, 'shapes' | 'scenes' | 'hub-images' | 'custom'>;

const TASKS: Readonly<Record<BuiltInLanguageTask, TaskEntry>> = {
  sentiment: {
    create: () => createSentimentTask(),
    pretrain: {
      model: { blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 96 },
      corpus: (seed) => sentimentCorpus(seed, 20000),
      tokenizerVocab: 512,
      seed: SENTIMENT_PRETRAIN_SEED,
      steps: 1500,
      batchSize: 32,
      lr: 2e-3,
      warmup: 100,
    },
  },
  arithmetic: {
    create: () => createArithmeticTask(),
    pretrain: {
      // learns the sloppy worksheet (problems.ts MISTAKE_RATE): right sometimes, wrong often
      model: { blockSize: 24, nLayer: 3, nHead: 4, nEmbd: 96 },
      corpus: (seed) => arithmeticCorpus(seed, 30000),
      tokenizerVocab: 272, // bytes + a few merges: digits stay (mostly) single tokens
      seed: ARITHMETIC_PRETRAIN_SEED,
      steps: 2000,
      batchSize: 64,
      lr: 3e-3,
      warmup: 50,
    },
  },
  'c-programs': {
    create: (ctx) => createCProgramsTask(ctx.verifier),
    needsVerifier: true,
    pretrain: {
      // prompt + program fit in 80 tokens; small and briefly trained so that the base model is right sometimes
      model: { blockSize: 80, nLayer: 2, nHead: 4, nEmbd: 64 },
      corpus: (seed) => cProgramsCorpus(seed, 20000),
      tokenizerVocab: 512,
      seed: C_PROGRAMS_PRETRAIN_SEED,
      steps: 500,
      batchSize: 32,
      lr: 3e-3,
      warmup: 30,
    },
  },
  'answer-key': {
    create: () => createAnswerKeyTask(),
    embeddedModel: TASK_SHARED_MODEL['answer-key'],
    pretrain: GENERALIST_RECIPE,
  },
  'python-functions': {
    create: (ctx) => createPythonFunctionsTask(ctx),
    needsVerifier: true,
    pretrain: {
      // small and briefly trained on purpose: the base model should pass sometimes and fail often
      model: { blockSize: 80, nLayer: 3, nHead: 4, nEmbd: 96 },
      corpus: (seed) => pythonFunctionsCorpus(seed, 20000),
      tokenizerVocab: 512,
      seed: PYTHON_FUNCTIONS_PRETRAIN_SEED,
      steps: 175,
      batchSize: 32,
      lr: 3e-3,
      warmup: 30,
    },
  },
};

export function taskNames(): string[] {
  return Object.keys(TASKS);
}

/**
 * Image (diffusion) tasks: their RAFT runs on a denoiser with LoRA (src/core/diffusion/, DiffusionRaftEngine), not
 * on a language model, so they have no entry above (no Task, no GPT recipe). The list lives in the task catalogue
 * (catalogue.ts: IMAGE_TASKS), which the page imports without the tasks' code.
 */
export function isImageTask(name: string): boolean {
  return isImageTaskName(name);
}

function entry(name: string): TaskEntry {
  const e = Object.hasOwn(TASKS, name) ? TASKS[name as BuiltInLanguageTask] : undefined;
  if (!e && isImageTask(name)) throw new Error(`task "${name}" is an image task: it runs on the diffusion engine (src/core/diffusion), not on a language model`);
  if (!e) throw new Error(`unknown task "${name}" (known: ${taskNames().join(', ')})`);
  return e;
}

/** Does the task run generated code (and so need `ctx.verifier`)? */
export function taskNeedsVerifier(name: string): boolean {
  return entry(name).needsVerifier ?? false;
}

export function createTask(name: string, ctx: TaskContext = {}): Task {
  return entry(name).create(ctx);
}

/** The recipe of an embedded model: a task's own, or a shared model's (`generalist`). */
export function pretrainRecipe(name: string): PretrainRecipe {
  if (isSharedModel(name)) return MODEL_RECIPES[name];
  return entry(name).pretrain;
}

export function isSharedModel(name: string): name is EmbeddedModel {
  return (SHARED_MODELS as readonly string[]).includes(name);
}

/** The embedded model (public/models/<name>) a built-in task's `model: embedded` loads: its own or a shared one. */
export function taskEmbeddedModel(task: string): string {
  return entry(task).embeddedModel ?? task;
}
