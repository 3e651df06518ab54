/**
 * Saving runs from the trainer worker: the IndexedDB run store (opened once; a browser without IndexedDB runs
 * unsaved, with a message), recording a finished cycle (storage problems are told to the page and the run goes on),
 * and the run's Web Lock, held while the run is in this worker's memory (src/browser/run-lock.ts), so that a second
 * tab neither offers nor resumes it.
 */
import { RunStore, StoreError } from '../../src/browser/store/run-store';
import type { RunRecorder, CheckpointedEngine, RecordedCycle } from '../../src/core/store/run-recorder';
import { runLockName } from '../../src/browser/run-lock';
import { message, send } from './events';

let store: RunStore | null = null;

export function runStore(): RunStore | null {
  if (store) return store;
  try {
    store = new RunStore();
  } catch (e) {
    send({ type: 'storage', message: `Runs cannot be saved in this browser (IndexedDB: ${message(e)}).` });
  }
  return store;
}

/** Record a finished cycle (language or image: RunRecorder.record); storage problems are sent and the run goes on. */
export async function recordCycle(recorder: RunRecorder | null, runId: string | null, eng: CheckpointedEngine, result: RecordedCycle): Promise<void> {
  if (!recorder || !runId) return;
  try {
    const saved = await recorder.record(runId, eng, result);
    if (saved.warning) send({ type: 'storage', message: saved.warning });
  } catch (e) {
    const text = e instanceof StoreError && e.kind === 'quota' ? e.message : `Cycle ${result.stats.cycle} could not be saved: ${message(e)}`;
    send({ type: 'storage', message: `${text} The run goes on without saving.` });
  }
}

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, f: (lock: unknown) => Promise<void>): Promise<void>;
}

/** The Web Lock of the run in this worker's memory (none in browsers without the Web Locks API). */
export class RunLock {
  #release: (() => void) | null = null;
  readonly #locks = (navigator as unknown as { locks?: LockManagerLike }).locks;

  /**
   * Take the run's lock for as long as its engine is here (released by release(), or by the browser when this worker
   * ends). Waits up to `waitMs` (a worker the page just terminated may still hold it), then refuses: another trainer
   * (another tab) has the run.
   */
  async take(id: string, waitMs = 5000): Promise<void> {
    this.release();
    if (!this.#locks) return;
    let granted!: (ok: boolean) => void;
    const got = new Promise<boolean>((r) => (granted = r));
    void this.#locks
      .request(runLockName(id), { signal: AbortSignal.timeout(waitMs) }, () => {
        granted(true);
        return new Promise<void>((release) => (this.#release = release));
      })
      .catch((e: unknown) => {
        const name = (e as { name?: string } | null)?.name;
        granted(name !== 'AbortError' && name !== 'TimeoutError');
      });
    if (!(await got)) throw new Error('this run is being trained in another tab or window of the lab');
  }

  release(): void {
    this.#release?.();
    this.#release = null;
  }
}
