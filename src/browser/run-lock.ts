/**
 * While a run is in a trainer's memory, that trainer worker holds the Web Lock `runLockName(runId)`; the browser
 * releases it when the worker or its tab goes away. So a page can tell a run another tab is training (lock held)
 * from one a reload or crash interrupted (lock free), and only the latter is offered for resuming.
 * Shared by the page and the trainer worker; no TF.js here.
 */
export function runLockName(runId: string): string {
  return `raftlab-run:${runId}`;
}
