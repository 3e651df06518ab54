/**
 * The page's side of the saved runs: its own connection to the IndexedDB run store (lists, export, import, delete),
 * a version the Saved runs and Compare panels reload on, and the unfinished runs offered for resuming when the page
 * loads (a run another tab's trainer holds by its Web Lock is not offered).
 */
import { RunStore, type RunRecord } from '../../browser/store/run-store';
import { interruptedRuns } from '../../core/store/run-recorder';
import { runLockName } from '../../browser/run-lock';

export class SavedRuns {
  /** The page's own connection to the run store; null where IndexedDB is missing. */
  readonly store: RunStore | null = openStore();
  /** Bumped whenever the saved runs change (the Saved runs and Compare panels reload their lists). */
  version = $state(0);
  /** Unfinished runs found when the page loaded (a reload or crash interrupted them): offered for resuming. */
  resumeOffer = $state<RunRecord[]>([]);

  changed(): void {
    this.version++;
  }

  /**
   * Offer the interrupted runs that no trainer holds. The worker of the page before a reload may hold its lock for a
   * moment: look again for up to 2 s.
   */
  async findInterrupted(): Promise<void> {
    if (!this.store) return;
    const runs = await interruptedRuns(this.store).catch(() => []);
    let free = runs;
    for (let i = 0; i < 5; i++) {
      const held = await heldRunLocks();
      free = runs.filter((r) => !held.has(runLockName(r.id)));
      if (free.length === runs.length) break;
      await new Promise((r) => setTimeout(r, 400));
    }
    this.resumeOffer = free;
  }

  /** Not now: the offer goes away, the run stays in Saved runs (paused, resumable there; Delete run deletes it). */
  async dismissOffer(runId: string): Promise<void> {
    this.resumeOffer = this.resumeOffer.filter((r) => r.id !== runId);
    await this.store?.setStatus(runId, 'paused').catch(() => undefined);
    this.changed();
  }
}

/** Names of the Web Locks held now (the trainer worker holds `runLockName(id)` while a run is in its memory). */
async function heldRunLocks(): Promise<Set<string>> {
  const locks = (navigator as { locks?: { query?: () => Promise<{ held?: Array<{ name?: string }> }> } }).locks;
  try {
    const snapshot = await locks?.query?.();
    return new Set((snapshot?.held ?? []).map((l) => l.name ?? ''));
  } catch {
    return new Set();
  }
}

function openStore(): RunStore | null {
  try {
    return typeof indexedDB === 'undefined' ? null : new RunStore();
  } catch {
    return null;
  }
}
