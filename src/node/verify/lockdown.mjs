// Removes what generated code could use to reach the network, storage or other workers from a worker's global
// scope (defence in depth: Python is also cut off from JavaScript by the harness). Run after the runtime loaded.
export function lockdownGlobals(scope = globalThis) {
  const names = ['fetch', 'Request', 'Response', 'Headers', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'indexedDB',
    'IDBFactory', 'caches', 'localStorage', 'sessionStorage', 'importScripts', 'BroadcastChannel', 'Worker', 'SharedWorker',
    'MessageChannel', 'navigator', 'open', 'opener'];
  for (const name of names) {
    for (let o = scope; o; o = Object.getPrototypeOf(o)) {
      try {
        if (Object.prototype.hasOwnProperty.call(o, name)) delete o[name];
      } catch { /* not configurable */ }
    }
    try {
      if (name in scope) Object.defineProperty(scope, name, { value: undefined, configurable: false, writable: false });
    } catch { /* ignore */ }
  }
}
