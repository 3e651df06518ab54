/**
 * The browser verifiers of the trainer worker: `taskContextFor(task, pageUrl)` is the `TaskContext` to pass to
 * `createTask` (src/core/tasks/registry.ts). A task that runs code gets `{verifier}`: one set of browser verifiers
 * (createBrowserVerifiers) per trainer worker, created at the first code task and kept for later runs, so clang
 * stays warm and Pyodide stays loaded across Reset and new runs. Other tasks get `{}` and nothing is created.
 * Nothing loads before the first code sample. Load progress goes to the listener set with
 * `onVerifierProgress` (the trainer worker forwards it to the page, which words it with progress-text.ts).
 */
import type { TaskContext } from '../../core/tasks/types';
import { taskNeedsVerifier } from '../../core/tasks/registry';
import { createBrowserVerifiers, type BrowserVerifiers, type VerifierLoadProgress } from './index';

export { describeVerifierProgress } from './progress-text';

let verifiers: BrowserVerifiers | null = null;
let listener: ((p: VerifierLoadProgress) => void) | null = null;

/** Where verifier load progress goes (replaces the previous listener; null to drop it). */
export function onVerifierProgress(fn: ((p: VerifierLoadProgress) => void) | null): void {
  listener = fn;
}

/** The context for `createTask(task, ctx)`: `{verifier}` when the task runs code, else `{}`. */
export function taskContextFor(task: string, pageUrl: string): TaskContext {
  if (!taskNeedsVerifier(task)) return {};
  verifiers ??= createBrowserVerifiers({ baseUrl: pageUrl, onProgress: (p) => listener?.(p) });
  return { verifier: verifiers };
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
