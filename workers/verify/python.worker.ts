/**
 * Python verifier worker (browser): loads Pyodide from the app's own origin (`init.indexURL`, the `pyodide/` folder
 * the build copies from the pyodide npm package; never a CDN), with an empty `jsglobals`, applies the harness
 * (src/core/verify/python-harness.ts: `js`, `pyodide_js`, ... removed and blocked from import), unregisters the
 * `js`/`pyodide_js` modules, then locks the worker's global scope down (no fetch, IndexedDB, caches,
 * importScripts, WebSocket, navigator, ...: src/browser/verify/lockdown.ts) and runs one sample per `call`.
 * Load progress: the bytes of Pyodide's fetches (wasm, standard library, lock file) against their known total.
 * The first worker sends a memory snapshot of Pyodide made right after loading, before the harness and any sample;
 * a worker given one in `init` starts from it (Python's start-up skipped).
 */
import type { PyodideAPI } from 'pyodide';
import { PYTHON_HARNESS } from '../../src/core/verify/python-harness';
import type { PythonReply, PythonRequest } from '../../src/core/verify/types';
import { harnessReply, type HarnessRewardRun, type HarnessRun } from '../../src/core/verify/python-call.mjs';
import { lockdownGlobals } from '../../src/browser/verify/lockdown';
import type { FromWorker, ToWorker } from '../../src/browser/verify/protocol';

declare const __RAFTLAB_PYODIDE_BYTES__: number;

const post = (m: FromWorker<PythonReply>, transfer: Transferable[] = []) => self.postMessage(m, transfer);
let run: HarnessRun | null = null;
let rewardRun: HarnessRewardRun | null = null;
let pyodide: PyodideAPI | null = null;

/** fetch that reports the bytes of every response body as they stream in. */
function countingFetch(original: typeof fetch, onBytes: (n: number) => void): typeof fetch {
  return async (input, init) => {
    const res = await original(input, init);
    if (!res.body) return res;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          onBytes(chunk.byteLength);
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

async function load(indexURL: string, snapshot: Uint8Array | undefined): Promise<void> {
  const t0 = performance.now();
  const total = typeof __RAFTLAB_PYODIDE_BYTES__ === 'number' ? __RAFTLAB_PYODIDE_BYTES__ : 0;
  let loaded = 0;
  let lastPost = 0;
  const progress = (stage: string, force = false) => {
    const now = performance.now();
    if (!force && now - lastPost < 100) return;
    lastPost = now;
    post({ type: 'progress', stage, loaded, total: Math.max(total, loaded) });
  };
  progress('downloading Pyodide', true);
  const originalFetch = self.fetch.bind(self);
  self.fetch = countingFetch(originalFetch, (n) => {
    loaded += n;
    progress('downloading Pyodide');
  });
  const mod = (await import(/* @vite-ignore */ `${indexURL}pyodide.mjs`)) as typeof import('pyodide');
  const noop = () => undefined;
  const options = { indexURL, jsglobals: Object.create(null) as object, stdout: noop, stderr: noop, stdin: () => null, packages: [] };
  // `_makeSnapshot`/`_loadSnapshot`/`makeMemorySnapshot` are Pyodide's (private) memory snapshots; when they fail,
  // the worker loads the ordinary way
  let py: PyodideAPI | null = null;
  if (snapshot) {
    try {
      py = await mod.loadPyodide({ ...options, _loadSnapshot: snapshot });
    } catch {
      py = null;
    }
  }
  if (!py) {
    py = await mod.loadPyodide({ ...options, _makeSnapshot: !snapshot });
    if (!snapshot) {
      try {
        const bytes = py.makeMemorySnapshot();
        post({ type: 'snapshot', bytes });
      } catch {
        /* no snapshot: later workers load the ordinary way */
      }
    }
  }
  self.fetch = originalFetch;
  progress('starting Python', true);
  const ns = py.globals.get('dict')();
  py.runPython(PYTHON_HARNESS, { globals: ns });
  run = ns.get('run') as typeof run;
  rewardRun = ns.get('reward_run') as typeof rewardRun;
  for (const name of ['js', 'pyodide_js']) {
    try {
      py.unregisterJsModule(name);
    } catch {
      /* not registered */
    }
  }
  pyodide = py;
  lockdownGlobals();
  post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
}

self.onmessage = (e: MessageEvent<ToWorker<PythonRequest>>) => {
  const m = e.data;
  if (m.type === 'init') {
    load(m.indexURL ?? new URL('../pyodide/', self.location.href).href, m.snapshot).catch((err: unknown) => {
      post({ type: 'fatal', message: `pyodide did not load: ${String((err as Error)?.message ?? err).slice(0, 500)}` });
    });
    return;
  }
  if (!run) {
    post({ type: 'fatal', message: 'call before ready' });
    return;
  }
  try {
    post({ type: 'reply', reply: harnessReply(pyodide!, run, m.req, rewardRun ?? undefined) });
  } catch (err) {
    post({ type: 'fatal', message: String((err as Error)?.message ?? err).slice(0, 500) });
  }
};
