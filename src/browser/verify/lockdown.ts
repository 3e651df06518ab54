/**
 * Removes what generated code could use to reach the network, storage or other workers from a Web Worker's global
 * scope, after the runtime (Pyodide, the WASI shim) has loaded: the browser twin of src/node/verify/lockdown.mjs,
 * with the browser-only names added. Each name is deleted wherever it is defined along the global object's
 * prototype chain (`DedicatedWorkerGlobalScope.prototype`, `WorkerGlobalScope.prototype`, ...), so code that
 * escapes to JavaScript finds no getter to call either. Defence in depth: Python is also cut off from JavaScript
 * by the harness. What stays: `postMessage`/`onmessage` (the worker's own channel) and `import()`, which cannot be
 * removed without a Content-Security-Policy header (see DEVELOPERS.md).
 */
export const LOCKED_GLOBALS = [
  'fetch', 'fetchLater', 'Request', 'Response', 'Headers', 'WebSocket', 'WebSocketStream', 'WebTransport', 'EventSource',
  'XMLHttpRequest', 'indexedDB', 'IDBFactory', 'caches', 'CacheStorage', 'Cache', 'cookieStore', 'CookieStore',
  'localStorage', 'sessionStorage', 'importScripts', 'BroadcastChannel', 'Worker', 'SharedWorker', 'MessageChannel',
  'navigator', 'StorageManager', 'FileSystemHandle', 'FileSystemDirectoryHandle', 'FileSystemFileHandle',
  'FileSystemSyncAccessHandle', 'LockManager', 'open', 'opener',
] as const;

export function lockdownGlobals(scope: object = globalThis, names: readonly string[] = LOCKED_GLOBALS): void {
  for (const name of names) {
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
}
