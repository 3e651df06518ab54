/**
 * The task of a run's config: a built-in task by name, or (task `custom`) the task document the config carries (an
 * image document runs as an image run: run/prepare.ts). Also which embedded model the run's `model: embedded`
 * means: the task's own, or the one a custom task names.
 */
import type { RunConfig } from '../config/schema';
import { isImageDocument, parseAnyTaskDocument, type AnyTaskDocument } from './custom/any-document';
import { taskClassifiers, taskNeedsVerifiers, type TaskDocument } from './custom/document';
import type { ImageTaskDocument } from './custom/image-document';
import { createCustomTask } from './custom/task';
import { arithmeticHeldOutText } from './arithmetic/index';
import { cProgramsHeldOutText } from './c-programs/index';
import { pythonFunctionsHeldOutText } from './python-functions/index';
import { createSentimentTask } from './sentiment/index';
import { createTask, taskEmbeddedModel, taskNeedsVerifier } from './registry';
import { generalistHeldOutText } from './generalist';
import type { Task, TaskContext } from './types';

let last: { json: string; doc: AnyTaskDocument } | null = null;

function runDocument(config: Pick<RunConfig, 'task' | 'taskDoc'>): AnyTaskDocument | null {
  if (config.task !== 'custom') return null;
  if (last?.json !== config.taskDoc) last = { json: config.taskDoc, doc: parseAnyTaskDocument(config.taskDoc) };
  return last.doc;
}

/**
 * The text task document of a custom run (parsed once per document text), null for a built-in task or an image
 * document (an image run: runImageDocument). Throws TaskDocumentError when it is bad.
 */
export function runTaskDocument(config: Pick<RunConfig, 'task' | 'taskDoc'>): TaskDocument | null {
  const doc = runDocument(config);
  return doc && !isImageDocument(doc) ? doc : null;
}

/** The image task document of a custom run (kind image), else null. Throws TaskDocumentError when it is bad. */
export function runImageDocument(config: Pick<RunConfig, 'task' | 'taskDoc'>): ImageTaskDocument | null {
  const doc = runDocument(config);
  return doc && isImageDocument(doc) ? doc : null;
}

/**
 * The embedded model (public/models/<name>) a run on a shipped model loads: `model: generalist` the shared one,
 * `model: embedded` the task's own (a custom task names one; answer-key runs on the generalist).
 */
export function embeddedModelTask(config: Pick<RunConfig, 'task' | 'taskDoc'> & { model?: string }): string {
  if (config.model === 'generalist') return 'generalist';
  return runTaskDocument(config)?.embeddedModel ?? taskEmbeddedModel(config.task);
}

/** Held-out text of an embedded model's pre-training distribution (perplexity of custom tasks without their own). */
export function embeddedHeldOutText(name: string): string[] {
  switch (name) {
    case 'sentiment':
      return [...createSentimentTask().heldOutText];
    case 'arithmetic':
      return arithmeticHeldOutText();
    case 'c-programs':
      return cProgramsHeldOutText();
    case 'python-functions':
      return pythonFunctionsHeldOutText();
    case 'generalist':
      return generalistHeldOutText();
    default:
      throw new Error(`no embedded model ${JSON.stringify(name)}`);
  }
}

/** The names of the run's general tasks (the `general` setting), without the run's own task. */
export function generalTaskNames(config: Pick<RunConfig, 'task'> & { general?: string }): string[] {
  return (config.general ?? '').split(',').filter((t) => t !== '' && t !== config.task);
}

/** Does the run need the code verifiers (a built-in code task, a custom task with Python or code terms, a general code task)? */
export function runNeedsVerifier(config: Pick<RunConfig, 'task' | 'taskDoc'> & { general?: string }): boolean {
  const doc = runTaskDocument(config);
  const own = doc ? taskNeedsVerifiers(doc) : taskNeedsVerifier(config.task);
  return own || generalTaskNames(config).some((t) => taskNeedsVerifier(t));
}

/** The run's general tasks, created with the same context (code tasks need its verifier). */
export function createGeneralTasks(config: Pick<RunConfig, 'task'> & { general?: string }, ctx: TaskContext = {}): Task[] {
  return generalTaskNames(config).map((t) => createTask(t, ctx));
}

/** Does the run's reward use a Hub text classifier? */
export function runNeedsClassifier(config: Pick<RunConfig, 'task' | 'taskDoc'>): boolean {
  const doc = runTaskDocument(config);
  return doc ? taskClassifiers(doc).length > 0 : false;
}

export function createRunTask(config: Pick<RunConfig, 'task' | 'taskDoc'>, ctx: TaskContext = {}): Task {
  const image = runImageDocument(config);
  if (image) throw new Error(`task "${image.name}" is an image task (model ${image.model}): it runs on the diffusion engine (src/core/diffusion), not on a language model`);
  const doc = runTaskDocument(config);
  if (!doc) return createTask(config.task, ctx);
  return createCustomTask(doc, { ...ctx, heldOutText: () => embeddedHeldOutText(doc.embeddedModel) });
}
