/**
 * Messages between a `BrowserExecWorker` (exec-worker.ts) and the verifier Web Workers in workers/verify/:
 * the page side sends `init` once, then one `call` at a time; the worker answers `progress` while it loads, then
 * `ready` (or `fatal`), then one `reply` per call. The requests and replies themselves are the framework-free
 * protocol of src/core/verify/types.ts, the same as the Node worker threads speak.
 */

/** Sent once, right after the worker is created. */
export interface InitMessage {
  type: 'init';
  /** Python worker: the folder the Pyodide runtime is served from (ends with '/'). */
  indexURL?: string;
  /**
   * Python worker: a memory snapshot of a freshly loaded Pyodide (made by the first worker before it ran any
   * sample); a worker started from it skips Python's start-up (~1 s instead of 6-15 s on a slow machine).
   */
  snapshot?: Uint8Array;
}

export type ToWorker<Q> = InitMessage | { type: 'call'; req: Q };

/** Load progress in bytes (`total` 0 when unknown) and a stage for people. */
export interface LoadProgressMessage {
  type: 'progress';
  stage: string;
  loaded: number;
  total: number;
}

export type FromWorker<R> =
  | LoadProgressMessage
  | { type: 'ready'; loadMs: number }
  /** Python worker: the snapshot it made of Pyodide right after loading, before any sample (see InitMessage). */
  | { type: 'snapshot'; bytes: Uint8Array }
  | { type: 'reply'; reply: R }
  | { type: 'fatal'; message: string };
