// Removes what generated code could use to reach the network, storage, the file system or other workers from a
// worker thread (defence in depth: Python is also cut off from JavaScript by the harness, and the JS modules `js`
// and `pyodide_js` are unregistered). Run after the runtime loaded, before the first sample.
//
// Why all three parts: Python code that undoes the harness's import blocker can reach a JavaScript object, and from
// any JS function `f.constructor("return globalThis")()` gives the worker's global scope, where `process` and a
// dynamic `import()` reach all of Node (fs, child_process, net). So code generation from strings is disabled,
// `process` loses its module loaders and leaves the global scope, and web-style network and storage globals go.
export function lockdownGlobals(scope = globalThis) {
  const names = ['fetch', 'Request', 'Response', 'Headers', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'indexedDB',
    'IDBFactory', 'caches', 'localStorage', 'sessionStorage', 'importScripts', 'BroadcastChannel', 'Worker', 'SharedWorker',
    'MessageChannel', 'navigator', 'open', 'opener', 'require', 'module'];
  for (const name of names) removeGlobal(scope, name);
  lockdownProcess(scope);
  lockdownCodeGeneration(scope);
}

function removeGlobal(scope, name) {
  for (let o = scope; o; o = Object.getPrototypeOf(o)) {
    try {
      if (Object.prototype.hasOwnProperty.call(o, name)) delete o[name];
    } catch { /* not configurable */ }
  }
  try {
    if (name in scope) Object.defineProperty(scope, name, { value: undefined, configurable: false, writable: false });
  } catch { /* ignore */ }
}

/** `process` of this worker thread: its module loaders and native bindings are removed, then the global itself. */
function lockdownProcess(scope) {
  const p = scope.process;
  if (p) {
    for (const k of ['getBuiltinModule', 'binding', '_linkedBinding', 'dlopen', 'kill', 'chdir', 'setuid', 'setgid',
      'setegid', 'seteuid', 'setgroups', 'initgroups', 'mainModule', 'openStdin', 'reallyExit', 'abort', 'env']) {
      try {
        Object.defineProperty(p, k, { value: undefined, configurable: false, writable: false });
      } catch { /* not configurable */ }
    }
  }
  removeGlobal(scope, 'process');
}

/**
 * `Function`, `eval` and the constructors of async and generator functions throw: no new code from strings, so no
 * `import()` either. `instanceof Function` still works (the stand-in keeps `Function.prototype`).
 */
function lockdownCodeGeneration(scope) {
  const refuse = function Function() { throw new EvalError('code generation from strings is disabled in the verifier'); };
  refuse.prototype = Function.prototype;
  const protos = [Function.prototype, async function () {}, function* () {}, async function* () {}].map((f, i) => (i === 0 ? f : Object.getPrototypeOf(f)));
  for (const proto of protos) {
    try {
      Object.defineProperty(proto, 'constructor', { value: refuse, configurable: false, writable: false });
    } catch { /* ignore */ }
  }
  for (const name of ['Function', 'eval']) {
    try {
      Object.defineProperty(scope, name, { value: refuse, configurable: false, writable: false });
    } catch { /* ignore */ }
  }
}
