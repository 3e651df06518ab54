/**
 * What the browser's and Node's `ExecWorker`s share: one call at a time; a call past its limit answers `timeout` and
 * kills the worker (the only sure way to stop Pyodide or a wasm loop); a worker that died or was terminated answers
 * every later call with its reason, and its `ready` rejects. Subclasses own the actual worker: they post requests
 * (`send`), stop it (`kill`), and report what it says (`markReady`, `reply`, `die`).
 */
import type { CallOutcome, ExecWorker } from './pool';

export abstract class ExecWorkerBase<Q, R> implements ExecWorker<Q, R> {
  readonly ready: Promise<void>;
  private pending: { resolve: (o: CallOutcome<R>) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  private gone: string | null = null;
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;

  constructor() {
    this.ready = new Promise<void>((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => undefined);
  }

  /** Post one request to the worker. */
  protected abstract send(request: Q, transfer?: ArrayBuffer[]): void;
  /** Stop the worker now (called more than once is fine). */
  protected abstract kill(): void;

  call(request: Q, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<CallOutcome<R>> {
    if (this.gone !== null) return Promise.resolve({ kind: 'dead', error: this.gone });
    if (this.pending) return Promise.reject(new Error('worker busy'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ kind: 'timeout' });
        this.terminate();
      }, timeoutMs);
      this.pending = { resolve, timer };
      this.send(request, transfer);
    });
  }

  terminate(): void {
    if (this.gone === null) this.gone = 'terminated';
    this.readyReject(new Error(this.gone));
    this.kill();
  }

  /** The worker loaded and takes requests. */
  protected markReady(): void {
    this.readyResolve();
  }

  /** The worker answered the pending call. */
  protected reply(reply: R): void {
    this.settle({ kind: 'reply', reply });
  }

  /** The worker failed (fatal message, error, exit): the pending call and every later one answer `dead`. */
  protected die(message: string): void {
    if (this.gone === null) this.gone = message;
    this.readyReject(new Error(message));
    this.settle({ kind: 'dead', error: message });
    this.kill();
  }

  private settle(outcome: CallOutcome<R>): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(outcome);
  }
}
