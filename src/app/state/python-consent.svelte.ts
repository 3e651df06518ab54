/**
 * Consent to Python reward code: the code a task document carries runs only in the sandboxed verifier worker, and
 * only after the user allowed it in this page (their own code from the editor, or a link's after they read it). A run
 * whose task has other Python code waits (the PythonConsent component shows the code).
 */
import type { RunConfig } from '../../core/config/schema';
import { parseTaskDocument } from '../../core/tasks/custom/document';

export class PythonConsent {
  /** Python reward code allowed to run in this page. */
  approved = $state<string[]>([]);
  /** Python code of the configured task that has not been allowed yet. */
  readonly unapproved = $derived.by(() => pythonCodes(this.config().taskDoc).filter((c) => !this.approved.includes(c)));

  constructor(private readonly config: () => RunConfig) {}

  /** Allow the configured task's Python code. */
  allow(): void {
    this.approved = [...this.approved, ...this.unapproved];
  }

  /** Allow the Python code of a task document's JSON (the user's own task). */
  approveTask(taskDoc: string): void {
    this.approved = [...this.approved, ...pythonCodes(taskDoc)];
  }
}

/** The Python reward code of a task document's JSON ('' or unreadable: none). */
function pythonCodes(taskDoc: string): string[] {
  if (!taskDoc) return [];
  try {
    return parseTaskDocument(taskDoc).reward.terms.flatMap((t) => (t.kind === 'python' ? [t.code] : []));
  } catch {
    return [];
  }
}
