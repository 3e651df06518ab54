/**
 * Browser adapter of the verifiers: the same `Verifier` as the Node adapter (src/node/verify/index.ts), over Web
 * Workers instead of worker threads. Created in the trainer worker (the verifier workers are then nested workers)
 * or on a page. Lazy: no worker starts and nothing is downloaded until the first sample of a language (or
 * `warm()`); load progress (bytes downloaded, then a stage) goes to `onProgress` so the page can show a bar.
 *
 * - Python: `pythonWorkers` Pyodide workers (workers/verify/python.worker.ts); Pyodide's runtime files are served
 *   from the app's own origin at `<baseUrl>pyodide/` (copied there by the build, served by `vite dev`: see
 *   vite.config.ts). ~12 MB to download per fresh worker (the HTTP cache serves repeats). The first worker also
 *   sends a memory snapshot of Pyodide taken right after loading (before any sample); later workers (after a
 *   timeout) start from it and skip Python's start-up.
 * - C: one compiler worker (workers/verify/c-compiler.worker.ts, @yowasp/clang, ~105 MB of wasm and headers,
 *   bundled by Vite as assets of the worker) kept warm between samples, and `cRunners` runner workers
 *   (workers/verify/c-runner.worker.ts, WASI shim with stdin/stdout/stderr only).
 * A sample that runs past its limit terminates its worker and the pool starts a fresh one (pool.ts).
 */
import {
  combineVerifiers,
  createCVerifier,
  createPythonVerifier,
  type CompileReply,
  type CompileRequest,
  type PythonReply,
  type PythonRequest,
  type RunReply,
  type RunRequest,
  type VerifierSet,
  type VerifierSetOptions,
} from '../../core/verify/index';
import { BrowserExecWorker } from './exec-worker';
import type { InitMessage, LoadProgressMessage } from './protocol';

export type VerifierPart = 'python' | 'clang';

/** Load progress of one part, summed over its workers that are loading now. */
export interface VerifierLoadProgress {
  part: VerifierPart;
  state: 'loading' | 'ready' | 'failed';
  /** For people: 'downloading', 'starting Python', 'warming up clang', ... */
  stage: string;
  /** Bytes downloaded and expected (total 0 when unknown). */
  loaded: number;
  total: number;
  /** Load time of the worker that became ready (ms, measured in the worker), or the failure. */
  loadMs?: number;
  message?: string;
}

/** Worker counts default to 1, or 2 with 4+ cores. */
export interface BrowserVerifierOptions extends VerifierSetOptions {
  /** The page's URL (or any URL of the app's folder): Pyodide is loaded from `pyodide/` next to it. */
  baseUrl?: string;
  onProgress?: (p: VerifierLoadProgress) => void;
}

export interface BrowserVerifiers extends VerifierSet {
  /** Start the workers of a part (or both) now and resolve when they are ready. */
  warm(part?: VerifierPart | 'all'): Promise<void>;
}

function defaultBase(): string {
  if (typeof document !== 'undefined') return document.baseURI;
  return self.location.href;
}

/** Sums the progress of the workers of one part that are loading at the same time (e.g. two Pyodide workers). */
function progressOf(part: VerifierPart, emit: ((p: VerifierLoadProgress) => void) | undefined) {
  const loading = new Map<number, LoadProgressMessage>();
  let next = 0;
  return () => {
    const id = next++;
    const report = (state: VerifierLoadProgress['state'], stage: string, extra: Partial<VerifierLoadProgress> = {}) => {
      let loaded = 0;
      let total = 0;
      for (const p of loading.values()) {
        loaded += p.loaded;
        total += p.total;
      }
      emit?.({ part, state, stage, loaded, total, ...extra });
    };
    return {
      onProgress: (p: LoadProgressMessage) => {
        loading.set(id, p);
        report('loading', p.stage);
      },
      onReady: (loadMs: number) => {
        const last = loading.get(id);
        loading.delete(id);
        if (loading.size > 0) report('loading', [...loading.values()].at(-1)?.stage ?? 'loading');
        else emit?.({ part, state: 'ready', stage: 'ready', loaded: last?.loaded ?? 0, total: last?.total ?? 0, loadMs });
      },
      onFailed: (message: string) => {
        if (!loading.delete(id)) return;
        if (message === 'terminated') return;
        emit?.({ part, state: 'failed', stage: 'failed', loaded: 0, total: 0, message });
      },
    };
  };
}

function defaultWorkers(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return cores >= 4 ? 2 : 1;
}

export function createBrowserVerifiers(opts: BrowserVerifierOptions = {}): BrowserVerifiers {
  const indexURL = new URL('pyodide/', opts.baseUrl ?? defaultBase()).href;
  const pyProgress = progressOf('python', opts.onProgress);
  const clangProgress = progressOf('clang', opts.onProgress);

  // the first Pyodide worker sends a memory snapshot of itself, taken before any sample; later ones start from it
  let pySnapshot: Uint8Array | null = null;

  function exec<Q, R>(create: () => Worker, track: ReturnType<typeof pyProgress> | null, init: Omit<InitMessage, 'type'> = {}): BrowserExecWorker<Q, R> {
    const w = new BrowserExecWorker<Q, R>(create, {
      init,
      onProgress: track?.onProgress,
      onReady: track?.onReady,
      onSnapshot: (bytes) => {
        pySnapshot ??= bytes;
      },
    });
    w.ready.catch((e: Error) => track?.onFailed(e.message));
    return w;
  }

  const python = createPythonVerifier(
    () => exec<PythonRequest, PythonReply>(
      () => new Worker(new URL('../../../workers/verify/python.worker.ts', import.meta.url), { type: 'module', name: 'raftlab-python' }),
      pyProgress(),
      pySnapshot ? { indexURL, snapshot: pySnapshot } : { indexURL },
    ),
    { workers: opts.pythonWorkers ?? defaultWorkers(), timeoutMs: opts.timeoutMs },
  );
  const c = createCVerifier(
    () => exec<CompileRequest, CompileReply>(
      () => new Worker(new URL('../../../workers/verify/c-compiler.worker.ts', import.meta.url), { type: 'module', name: 'raftlab-clang' }),
      clangProgress(),
    ),
    () => exec<RunRequest, RunReply>(
      () => new Worker(new URL('../../../workers/verify/c-runner.worker.ts', import.meta.url), { type: 'module', name: 'raftlab-c-runner' }),
      null,
    ),
    { runners: opts.cRunners ?? defaultWorkers(), timeoutMs: opts.timeoutMs, compileTimeoutMs: opts.compileTimeoutMs },
  );
  return {
    ...combineVerifiers(python, c),
    warm: async (part = 'all') => {
      const parts: Promise<void>[] = [];
      if (part !== 'clang') parts.push(python.pool.warm());
      if (part !== 'python') parts.push(c.compiler.warm(), c.runners.warm());
      await Promise.all(parts);
    },
  };
}
