/**
 * The worker pool behind the verifiers, independent of the environment: an `ExecWorker` is one worker (a Node
 * worker thread or a browser Web Worker) that answers requests; the pool keeps `size` of them, hands each request
 * to a free one, and replaces a worker that timed out, died or asked to be recycled. A replacement starts loading
 * at once and its slot is free again when it is ready, so one slow or hostile sample never stalls the others.
 */

export type CallOutcome<R> = { kind: 'reply'; reply: R } | { kind: 'timeout' } | { kind: 'dead'; error: string };

export interface ExecWorker<Q, R> {
  /** Resolves when the worker can take requests (Pyodide loaded, compiler warm); rejects if it cannot start. */
  readonly ready: Promise<void>;
  /** One request; on timeout the implementation terminates the worker and answers `timeout`. */
  call(request: Q, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<CallOutcome<R>>;
  terminate(): void;
}

export type WorkerFactory<Q, R> = () => ExecWorker<Q, R>;

interface Slot<Q, R> {
  worker: ExecWorker<Q, R> | null;
  busy: boolean;
}

export class WorkerPool<Q, R> {
  private readonly slots: Slot<Q, R>[];
  private readonly waiting: Array<(slot: Slot<Q, R>) => void> = [];
  private disposed = false;
  /** Workers started (the first ones and every replacement). */
  started = 0;

  constructor(private readonly factory: WorkerFactory<Q, R>, readonly size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({ worker: null, busy: false }));
  }

  /** Start every worker now instead of at first use. */
  warm(): Promise<void> {
    return Promise.all(this.slots.map((s) => this.workerOf(s).ready.catch(() => undefined))).then(() => undefined);
  }

  /**
   * Run one request on a free worker. The worker is replaced when the call timed out or died, when
   * `recycle(reply)` says so, or when it failed to start (answered as `dead`).
   */
  async run(request: Q, timeoutMs: number, transfer?: ArrayBuffer[], recycle?: (reply: R) => boolean): Promise<CallOutcome<R>> {
    const slot = await this.acquire();
    const worker = this.workerOf(slot);
    let outcome: CallOutcome<R>;
    try {
      await worker.ready;
      outcome = await worker.call(request, timeoutMs, transfer);
    } catch (err) {
      outcome = { kind: 'dead', error: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.kind !== 'reply' || (recycle?.(outcome.reply) ?? false)) this.replace(slot);
    else this.release(slot);
    return outcome;
  }

  terminate(): void {
    this.disposed = true;
    for (const s of this.slots) {
      s.worker?.terminate();
      s.worker = null;
    }
  }

  private workerOf(slot: Slot<Q, R>): ExecWorker<Q, R> {
    if (this.disposed) throw new Error('verifier disposed');
    if (!slot.worker) {
      slot.worker = this.factory();
      this.started++;
      slot.worker.ready.catch(() => undefined);
    }
    return slot.worker;
  }

  private replace(slot: Slot<Q, R>): void {
    slot.worker?.terminate();
    slot.worker = null;
    if (this.disposed) return;
    const fresh = this.workerOf(slot);
    fresh.ready.then(
      () => this.release(slot),
      () => {
        if (slot.worker === fresh) slot.worker = null;
        this.release(slot);
      },
    );
  }

  private acquire(): Promise<Slot<Q, R>> {
    if (this.disposed) return Promise.reject(new Error('verifier disposed'));
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot<Q, R>): void {
    const next = this.waiting.shift();
    if (next && !this.disposed) next(slot);
    else slot.busy = false;
  }
}

/** Verify a batch and time it: results in order, seconds, samples per second. */
export async function timedBatch<J, T>(jobs: readonly J[], verifyMany: (jobs: readonly J[]) => Promise<T[]>) {
  const t0 = performance.now();
  const results = await verifyMany(jobs);
  const seconds = (performance.now() - t0) / 1000;
  return { results, seconds, samplesPerSecond: seconds > 0 ? jobs.length / seconds : Infinity };
}
