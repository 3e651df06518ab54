/**
 * Yield to the event loop (a macrotask, not a microtask): the engines call it between training steps and generation
 * batches. TF.js on the WASM and CPU backends resolves `data()` at once, so a whole cycle can otherwise run as one
 * chain of microtasks, and nothing queued as a task, e.g. a SIGINT in Node or a message to a worker, is handled until
 * the cycle ends. Node: setImmediate; elsewhere setTimeout(0).
 */
export function nextTask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
