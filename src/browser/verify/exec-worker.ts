/**
 * `BrowserExecWorker`: one verifier Web Worker behind the `ExecWorker` interface of the framework-free pool
 * (src/core/verify/pool.ts); the browser twin of `NodeExecWorker` (src/node/verify/index.ts). A call that runs past
 * its limit terminates the worker (`worker.terminate()`: without cross-origin isolation it is the only sure way to
 * stop Pyodide or a wasm loop) and answers `timeout`; the pool then starts a fresh worker in that slot.
 */
import { ExecWorkerBase } from '../../core/verify/exec-worker-base';
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

export class BrowserExecWorker<Q, R> extends ExecWorkerBase<Q, R> {
  private readonly worker: Worker;

  constructor(create: () => Worker, options: BrowserExecWorkerOptions = {}) {
    super();
    this.worker = create();
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
        this.markReady();
      } else if (m.type === 'reply') this.reply(m.reply);
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

  protected send(request: Q, transfer?: ArrayBuffer[]): void {
    this.post({ type: 'call', req: request }, transfer);
  }

  protected kill(): void {
    this.worker.terminate();
  }

  private post(m: ToWorker<Q>, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(m, transfer ?? []);
  }
}
