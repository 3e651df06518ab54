/**
 * The trainer worker's side of this machine: settings that belong to the machine, not the run (where Hub models come
 * from, a memory budget), what the current backend can hold, and download progress sent to the page.
 */
import * as tf from '@tensorflow/tfjs';
import type { DeviceLimits } from '../../src/core/hub/memory';
import type { BrowserModelPlace } from '../../src/browser/run-model';
import { DEFAULT_HF_ENDPOINT } from '../../src/core/hub/source';
import { send } from './events';

/** Settings of this machine, not of the run: where Hub models come from, and a memory budget (MiB) if the user set one. */
export interface MachineSettings {
  hfEndpoint?: string;
  memoryBudgetMiB?: number;
}

/** WASM's heap is 32-bit: what TF.js's WASM build can address at most. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** What the current backend can hold: WebGPU's buffer limits, WASM's heap, and the user's budget. */
export function deviceLimits(settings: MachineSettings): DeviceLimits {
  const out: DeviceLimits = {};
  const backend = tf.getBackend();
  if (backend === 'webgpu') {
    const limits = (tf.backend() as unknown as { device?: { limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number } } }).device?.limits;
    if (limits?.maxBufferSize && limits.maxStorageBufferBindingSize) out.maxBufferBytes = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  }
  if (backend === 'wasm') out.budgetBytes = WASM_HEAP_BYTES;
  if (settings.memoryBudgetMiB && settings.memoryBudgetMiB > 0) out.budgetBytes = Math.min(out.budgetBytes ?? Infinity, settings.memoryBudgetMiB * 2 ** 20);
  return out;
}

/** Download progress events, at most every 100 ms per file (and at each file's end). */
export function downloadSender(): (p: { file: string; loaded: number; total: number | null; fromCache: boolean }) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (p.total !== null && p.loaded < p.total && now - last < 100) return;
    last = now;
    send({ type: 'download', ...p });
  };
}

/** Where a run's model comes from in this worker, with the page told about each step (core/run/prepare.ts). */
export function modelPlace(pageUrl: string, model: string, settings: MachineSettings): BrowserModelPlace {
  return {
    pageUrl,
    hfEndpoint: settings.hfEndpoint,
    limits: deviceLimits(settings),
    onProgress: downloadSender(),
    onEstimate: (estimate) => send({ type: 'model-estimate', model, estimate }),
    onStatus: (message) => send({ type: 'status', message }),
    onLoaded: (task, params, meta) => send({ type: 'loaded', task, params, backend: tf.getBackend(), meta }),
  };
}

/** The Hub endpoint the task's learned rewards come from. */
export function endpointOf(settings: MachineSettings): string {
  return settings.hfEndpoint ?? DEFAULT_HF_ENDPOINT;
}
