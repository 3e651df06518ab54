/**
 * Learned rewards in the trainer worker: Hub text classifiers through transformers.js on ONNX Runtime Web, whose
 * wasm files the build serves from the page's own origin (dist/ort/, vite.config.ts), never a CDN. WebGPU where the
 * worker has an adapter, else WASM; a model that fails to start on WebGPU is loaded again on WASM. Downloads are
 * cached by transformers.js in the browser's Cache API; their progress goes to `onProgress`.
 */
import { hasWebGpu, useLabOnnxRuntime } from './onnx-runtime';
import { transformersClassifierLoader, type ClassifierRuntime } from '../core/hub/text-classifier';
import type { ClassifierLoader } from '../core/tasks/types';

export function browserClassifierLoader(pageUrl: string, endpoint: string, onProgress?: ClassifierRuntime['onProgress']): ClassifierLoader {
  useLabOnnxRuntime(pageUrl);
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
