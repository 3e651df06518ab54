/**
 * Learned rewards in the trainer worker: Hub text classifiers through transformers.js on ONNX Runtime Web, whose
 * wasm files the build serves from the page's own origin (dist/ort/, vite.config.ts), never a CDN. WebGPU where the
 * worker has an adapter, else WASM; a model that fails to start on WebGPU is loaded again on WASM. Downloads are
 * cached by transformers.js in the browser's Cache API; their progress goes to `onProgress`.
 */
import { env } from '@huggingface/transformers';
import { transformersClassifierLoader, type ClassifierRuntime } from '../core/hub/text-classifier';
import type { ClassifierLoader } from '../core/tasks/types';

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

export function browserClassifierLoader(pageUrl: string, endpoint: string, onProgress?: ClassifierRuntime['onProgress']): ClassifierLoader {
  const ort = new URL('ort/', pageUrl).href;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } };
  if (onnx.wasm) onnx.wasm.wasmPaths = { mjs: `${ort}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ort}ort-wasm-simd-threaded.asyncify.wasm` };
  env.useBrowserCache = true;
  const wasm = transformersClassifierLoader({ endpoint, device: 'wasm', ...(onProgress ? { onProgress } : {}) });
  const gpu = transformersClassifierLoader({ endpoint, device: 'webgpu', ...(onProgress ? { onProgress } : {}) });
  return async (model, revision) => {
    if (await hasWebGpu()) {
      try {
        return await gpu(model, revision);
      } catch {
        /* e.g. an operator WebGPU lacks: WASM runs every model */
      }
    }
    return wasm(model, revision);
  };
}
