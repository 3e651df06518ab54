/**
 * `BrowserExecWorker`: one verifier Web Worker behind the `ExecWorker` interface of the framework-free pool
 * (src/core/verify/pool.ts); the browser twin of `NodeExecWorker` (src/node/verify/index.ts). A call that runs past
 * its limit terminates the worker (`worker.terminate()`: without cross-origin isolation it is the only sure way to
 * stop Pyodide or a wasm loop) and answers `timeout`; the pool then starts a fresh worker in that slot.
 */
import type { CallOutcome, ExecWorker } from '../../core/verify/pool';
import type { FromWorker, InitMessage, LoadProgressMessage, ToWorker } from './protocol';

export interface BrowserExecWorkerOptions {
  /** Sent to the worker as its `init` message. */
  init?: Omit<InitMessage, 'type'>;
  /** Load progress of this worker (bytes and stage). */
  onProgress?: (p: LoadProgressMessage) => void;
  /** Called once when the worker is ready, with its load time in ms (measured in the worker). */
  onReady?: (loadMs: number) => void;
  /** Called when the worker sends a Pyodide memory snapshot. */
  onSnapshot?: (bytes: Uint8Array) => void;
  /**
   * A loading worker that sends no progress for this long is given up (ms, default 120 s). The clock restarts at
   * every progress message, so a slow download of clang's ~105 MB is not cut short while bytes still arrive.
   */
  loadStallMs?: number;
}

export class BrowserExecWorker<Q, R> implements ExecWorker<Q, R> {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private pending: { resolve: (o: CallOutcome<R>) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  private gone: string | null = null;
  private readyReject!: (e: Error) => void;

  constructor(create: () => Worker, options: BrowserExecWorkerOptions = {}) {
    this.worker = create();
    let readyResolve!: () => void;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => undefined);
    const stallMs = options.loadStallMs ?? 120_000;
    let loadTimer: ReturnType<typeof setTimeout> | undefined;
    const armLoadTimer = () => {
      clearTimeout(loadTimer);
      loadTimer = setTimeout(() => this.die(`worker stopped loading (no progress for ${stallMs / 1000} s)`), stallMs);
    };
    armLoadTimer();
    this.worker.onmessage = (e: MessageEvent<FromWorker<R>>) => {
      const m = e.data;
      if (m.type === 'progress') {
        armLoadTimer();
        options.onProgress?.(m);
      }
      else if (m.type === 'snapshot') options.onSnapshot?.(m.bytes);
      else if (m.type === 'ready') {
        clearTimeout(loadTimer);
        options.onReady?.(m.loadMs);
        readyResolve();
      } else if (m.type === 'reply') this.settle({ kind: 'reply', reply: m.reply });
      else {
        clearTimeout(loadTimer);
        this.die(m.message);
      }
    };
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      clearTimeout(loadTimer);
      this.die(`worker error: ${e.message || 'the worker script failed to load or threw'}`);
    };
    this.worker.onmessageerror = () => this.die('worker message could not be deserialized');
    this.post({ type: 'init', ...options.init });
  }

  call(request: Q, timeoutMs: number, transfer?: ArrayBuffer[]): Promise<CallOutcome<R>> {
    if (this.gone !== null) return Promise.resolve({ kind: 'dead', error: this.gone });
    if (this.pending) return Promise.reject(new Error('worker busy'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ kind: 'timeout' });
        this.terminate();
      }, timeoutMs);
      this.pending = { resolve, timer };
      this.post({ type: 'call', req: request }, transfer);
    });
  }

  terminate(): void {
    if (this.gone === null) this.gone = 'terminated';
    this.readyReject(new Error(this.gone));
    this.worker.terminate();
  }

  private post(m: ToWorker<Q>, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(m, transfer ?? []);
  }

  private settle(outcome: CallOutcome<R>): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(outcome);
  }

  private die(message: string): void {
    if (this.gone === null) this.gone = message;
    this.readyReject(new Error(message));
    this.settle({ kind: 'dead', error: message });
    this.worker.terminate();
  }
}
