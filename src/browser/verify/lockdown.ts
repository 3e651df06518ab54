/**
 * Removes what generated code could use to reach the network, storage or other workers from a Web Worker's global
 * scope, after the runtime (Pyodide, the WASI shim) has loaded: the browser twin of src/node/verify/lockdown.mjs,
 * with the browser-only names added. Each name is deleted wherever it is defined along the global object's
 * prototype chain (`DedicatedWorkerGlobalScope.prototype`, `WorkerGlobalScope.prototype`, ...), so code that
 * escapes to JavaScript finds no getter to call either. Then code generation from strings is disabled (`Function`,
 * `eval` and the constructors of async and generator functions throw, as in the Node lockdown), so code that
 * reaches a JS function cannot turn `f.constructor('return globalThis')` into the global scope or a dynamic
 * `import()`. Defence in depth: Python is also cut off from JavaScript by the harness and the unregistered
 * `js`/`pyodide_js` modules. What stays: `postMessage`/`onmessage`, the worker's own channel to the verifier.
 */
export const LOCKED_GLOBALS = [
  'fetch', 'fetchLater', 'Request', 'Response', 'Headers', 'WebSocket', 'WebSocketStream', 'WebTransport', 'EventSource',
  'XMLHttpRequest', 'indexedDB', 'IDBFactory', 'caches', 'CacheStorage', 'Cache', 'cookieStore', 'CookieStore',
  'localStorage', 'sessionStorage', 'importScripts', 'BroadcastChannel', 'Worker', 'SharedWorker', 'MessageChannel',
  'navigator', 'StorageManager', 'FileSystemHandle', 'FileSystemDirectoryHandle', 'FileSystemFileHandle',
  'FileSystemSyncAccessHandle', 'LockManager', 'open', 'opener',
] as const;

export function lockdownGlobals(scope: object = globalThis, names: readonly string[] = LOCKED_GLOBALS): void {
  for (const name of names) removeGlobal(scope, name);
  lockdownCodeGeneration(scope);
}

function removeGlobal(scope: object, name: string): void {
  for (let o: object | null = scope; o; o = Object.getPrototypeOf(o) as object | null) {
    try {
      if (Object.prototype.hasOwnProperty.call(o, name)) delete (o as Record<string, unknown>)[name];
    } catch {
      /* not configurable */
    }
  }
  try {
    if (name in scope) Object.defineProperty(scope, name, { value: undefined, configurable: false, writable: false });
  } catch {
    /* ignore */
  }
}

/**
 * `Function`, `eval` and the constructors of async and generator functions throw: no new code from strings, so no
 * `import()` either. `instanceof Function` still works (the stand-in keeps `Function.prototype`).
 */
function lockdownCodeGeneration(scope: object): void {
  const refuse = function Function() {
    throw new EvalError('code generation from strings is disabled in the verifier');
  };
  refuse.prototype = Function.prototype;
  const protos = [Function.prototype, ...[async function () {}, function* () {}, async function* () {}].map((f) => Object.getPrototypeOf(f) as object)];
  for (const proto of protos) {
    try {
      Object.defineProperty(proto, 'constructor', { value: refuse, configurable: false, writable: false });
    } catch {
      /* ignore */
    }
  }
  for (const name of ['Function', 'eval']) {
    try {
      Object.defineProperty(scope, name, { value: refuse, configurable: false, writable: false });
    } catch {
      /* ignore */
    }
  }
}
