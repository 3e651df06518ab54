/**
 * The task of a run's config: a built-in task by name, or (task `custom`) the task document the config carries.
 * Also which embedded model the run's `model: embedded` means: the task's own, or the one a custom task names.
 */
import type { RunConfig } from '../config/schema';
import { parseTaskDocument, taskClassifiers, taskNeedsVerifiers, type TaskDocument } from './custom/document';
import { createCustomTask } from './custom/task';
import { arithmeticHeldOutText } from './arithmetic/index';
import { cProgramsHeldOutText } from './c-programs/index';
import { pythonFunctionsHeldOutText } from './python-functions/index';
import { createSentimentTask } from './sentiment/index';
import { createTask, taskNeedsVerifier } from './registry';
import type { Task, TaskContext } from './types';

let last: { json: string; doc: TaskDocument } | null = null;

/** The task document of a custom run (parsed once per document text). Throws TaskDocumentError when it is bad. */
export function runTaskDocument(config: Pick<RunConfig, 'task' | 'taskDoc'>): TaskDocument | null {
  if (config.task !== 'custom') return null;
  if (last?.json !== config.taskDoc) last = { json: config.taskDoc, doc: parseTaskDocument(config.taskDoc) };
  return last.doc;
}

/** The built-in task whose embedded model `model: embedded` loads for this run. */
export function embeddedModelTask(config: Pick<RunConfig, 'task' | 'taskDoc'>): string {
  return runTaskDocument(config)?.embeddedModel ?? config.task;
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
    default:
      throw new Error(`no embedded model ${JSON.stringify(name)}`);
  }
}

/** Does the run's task need the code verifiers (a built-in code task, or a custom task with Python or code terms)? */
export function runNeedsVerifier(config: Pick<RunConfig, 'task' | 'taskDoc'>): boolean {
  const doc = runTaskDocument(config);
  return doc ? taskNeedsVerifiers(doc) : taskNeedsVerifier(config.task);
}

/** Does the run's reward use a Hub text classifier? */
export function runNeedsClassifier(config: Pick<RunConfig, 'task' | 'taskDoc'>): boolean {
  const doc = runTaskDocument(config);
  return doc ? taskClassifiers(doc).length > 0 : false;
}

export function createRunTask(config: Pick<RunConfig, 'task' | 'taskDoc'>, ctx: TaskContext = {}): Task {
  const doc = runTaskDocument(config);
  if (!doc) return createTask(config.task, ctx);
  return createCustomTask(doc, { ...ctx, heldOutText: () => embeddedHeldOutText(doc.embeddedModel) });
}
