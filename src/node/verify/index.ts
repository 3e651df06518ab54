/**
 * Node adapter of the verifiers: each `ExecWorker` is a `worker_threads` Worker running one of the plain-ESM
 * worker scripts next to this file (plain JS so that no TypeScript loader is needed inside the worker):
 * `python.worker.mjs` (Pyodide), `c-compiler.worker.mjs` (@yowasp/clang, kept warm) and `c-runner.worker.mjs`
 * (WASI shim). A call that runs past its limit terminates its worker; the pool starts a fresh one.
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  PYTHON_HARNESS,
  combineVerifiers,
  createCVerifier,
  createPythonVerifier,
  type VerifierSet,
  type VerifierSetOptions,
} from '../../core/verify/index';
import { ExecWorkerBase } from '../../core/verify/exec-worker-base';

type WorkerMessage<R> =
  | { type: 'ready' }
  | { type: 'reply'; reply: R }
  | { type: 'fatal'; message: string }
  | { type: 'snapshot'; bytes: Uint8Array };

export class NodeExecWorker<Q, R> extends ExecWorkerBase<Q, R> {
  private readonly worker: Worker;

  /** `onSnapshot`: the Python worker's memory snapshot of a freshly loaded Pyodide (see python.worker.mjs). */
  constructor(script: URL, options: { workerData?: unknown; maxOldGenerationSizeMb?: number; onSnapshot?: (bytes: Uint8Array) => void } = {}) {
    super();
    this.worker = new Worker(script, {
      workerData: options.workerData,
      stdout: true,
      stderr: true,
      resourceLimits: options.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } : undefined,
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (m: WorkerMessage<R>) => {
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'snapshot') options.onSnapshot?.(m.bytes);
      else if (m.type === 'reply') this.reply(m.reply);
      else this.die(m.message);
    });
    this.worker.on('error', (e) => this.die(`worker error: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`worker exited (code ${code})`));
  }

  protected send(request: Q, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage({ type: 'call', req: request }, transfer ?? []);
  }

  protected kill(): void {
    void this.worker.terminate();
  }
}

/** Worker counts default to min(2, cores). */
export type NodeVerifierOptions = VerifierSetOptions;
export type NodeVerifiers = VerifierSet;

const here = (name: string) => new URL(`./${name}`, import.meta.url);

/** Python and C verifiers on Node worker threads; workers start at first use. `verify` dispatches on `job.lang`. */
export function createNodeVerifiers(opts: NodeVerifierOptions = {}): NodeVerifiers {
  const n = Math.max(1, Math.min(2, cpus().length));
  // the first Pyodide worker sends a memory snapshot of itself, taken before the harness and any sample; workers
  // started later (after a timeout or a crash) load from it in a fraction of the time
  let pySnapshot: Uint8Array | null = null;
  const python = createPythonVerifier(
    () => new NodeExecWorker(here('python.worker.mjs'), {
      workerData: { harness: PYTHON_HARNESS, snapshot: pySnapshot },
      maxOldGenerationSizeMb: 512,
      onSnapshot: (bytes) => {
        pySnapshot ??= bytes;
      },
    }),
    { workers: opts.pythonWorkers ?? n, timeoutMs: opts.timeoutMs },
  );
  const c = createCVerifier(
    () => new NodeExecWorker(here('c-compiler.worker.mjs')),
    () => new NodeExecWorker(here('c-runner.worker.mjs'), { maxOldGenerationSizeMb: 256 }),
    { runners: opts.cRunners ?? n, timeoutMs: opts.timeoutMs, compileTimeoutMs: opts.compileTimeoutMs },
  );
  return combineVerifiers(python, c);
}
