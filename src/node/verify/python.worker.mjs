// Node worker thread of the Python verifier: loads Pyodide once, cuts Python off from JavaScript (harness) and the
// worker's global scope off from network and storage (lockdown), then runs one sample per message.
import { parentPort, workerData } from 'node:worker_threads';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPyodide } from 'pyodide';
import { lockdownGlobals } from './lockdown.mjs';
import { harnessReply } from '../../core/verify/python-call.mjs';

const port = parentPort;

const post = (m) => port.postMessage(m);
try {
  const noop = () => {};
  const jsglobals = Object.create(null);
  // explicit indexURL: Pyodide guesses its folder from a stack trace, which source maps (tsx) send astray
  const indexURL = dirname(fileURLToPath(import.meta.resolve('pyodide'))) + '/';
  const options = { indexURL, jsglobals, stdout: noop, stderr: noop, stdin: () => null };
  // `_makeSnapshot`/`_loadSnapshot`/`makeMemorySnapshot` are Pyodide's (private) memory snapshots, as in the browser
  // worker: the first worker sends one taken right after loading, later workers start from it (0.2 s instead of
  // 1.7 s on an idle machine); when that fails, the worker loads the ordinary way
  const snapshot = workerData.snapshot ?? null;
  let pyodide = null;
  if (snapshot) {
    try { pyodide = await loadPyodide({ ...options, _loadSnapshot: snapshot }); } catch { pyodide = null; }
  }
  if (!pyodide) {
    pyodide = await loadPyodide({ ...options, _makeSnapshot: !snapshot });
    if (!snapshot) {
      try { post({ type: 'snapshot', bytes: pyodide.makeMemorySnapshot() }); } catch { /* later workers load the ordinary way */ }
    }
  }
  const ns = pyodide.globals.get('dict')();
  pyodide.runPython(workerData.harness, { globals: ns });
  const run = ns.get('run');
  const rewardRun = ns.get('reward_run');
  // Python code that removes the harness's import blocker must not find these JS modules again
  for (const name of ['js', 'pyodide_js']) {
    try { pyodide.unregisterJsModule(name); } catch { /* not registered */ }
  }
  lockdownGlobals();
  port.on('message', (msg) => {
    try {
      post({ type: 'reply', reply: harnessReply(pyodide, run, msg.req, rewardRun) });
    } catch (err) {
      post({ type: 'fatal', message: String(err?.message ?? err).slice(0, 500) });
    }
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'fatal', message: `pyodide did not load: ${String(err?.message ?? err).slice(0, 500)}` });
}
