/**
 * The task context of the trainer worker: `taskContextFor(config, pageUrl, endpoint)` is the `TaskContext` to pass
 * to `createRunTask` (src/core/tasks/run-task.ts). A task that runs code (a code task, or a custom task with a
 * Python or code reward) gets `{verifier}`: one set of browser verifiers (createBrowserVerifiers) per trainer
 * worker, created at the first such task and kept for later runs, so clang stays warm and Pyodide stays loaded
 * across Reset and new runs. A custom task with a learned reward gets `{classifier}` (reward-model.ts), one per
 * Hub endpoint. Nothing loads before the first sample. Load progress goes to the listener set with
 * `onVerifierProgress` (the trainer worker forwards it to the page, which words it with progress-text.ts).
 */
import type { RunConfig } from '../../core/config/schema';
import type { ClassifierRuntime } from '../../core/hub/text-classifier';
import { runNeedsClassifier, runNeedsVerifier } from '../../core/tasks/run-task';
import type { ClassifierLoader, TaskContext } from '../../core/tasks/types';
import { browserClassifierLoader } from '../reward-model';
import { createBrowserVerifiers, type BrowserVerifiers, type VerifierLoadProgress } from './index';

export { describeVerifierProgress } from './progress-text';

let verifiers: BrowserVerifiers | null = null;
let listener: ((p: VerifierLoadProgress) => void) | null = null;
let classifiers: { endpoint: string; load: ClassifierLoader } | null = null;
let classifierListener: ClassifierRuntime['onProgress'] | null = null;

/** Where verifier load progress goes (replaces the previous listener; null to drop it). */
export function onVerifierProgress(fn: ((p: VerifierLoadProgress) => void) | null): void {
  listener = fn;
}

/** Where reward-model download progress goes. */
export function onClassifierProgress(fn: ClassifierRuntime['onProgress'] | null): void {
  classifierListener = fn;
}

/** The browser verifiers (created at first use). */
export function browserVerifiers(pageUrl: string): BrowserVerifiers {
  verifiers ??= createBrowserVerifiers({ baseUrl: pageUrl, onProgress: (p) => listener?.(p) });
  return verifiers;
}

/** The context for `createRunTask(config, ctx)`: the verifiers and the classifier loader the run's task needs. */
export function taskContextFor(config: Pick<RunConfig, 'task' | 'taskDoc'>, pageUrl: string, endpoint: string): TaskContext {
  const ctx: TaskContext = {};
  if (runNeedsVerifier(config)) ctx.verifier = browserVerifiers(pageUrl);
  if (runNeedsClassifier(config)) {
    if (classifiers?.endpoint !== endpoint) classifiers = { endpoint, load: browserClassifierLoader(pageUrl, endpoint, (p) => classifierListener?.(p)) };
    ctx.classifier = classifiers.load;
  }
  return ctx;
}

/** The verifiers, if a code task created them. */
export function currentVerifiers(): BrowserVerifiers | null {
  return verifiers;
}

/** Terminate every verifier worker (the next code task creates fresh ones). */
export async function disposeVerifiers(): Promise<void> {
  const v = verifiers;
  verifiers = null;
  await v?.dispose();
}
