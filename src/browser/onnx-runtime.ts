/**
 * transformers.js in the trainer worker, for the learned rewards (text classifiers, image reward models): ONNX
 * Runtime Web's wasm files from the page's own origin (dist/ort/, vite.config.ts), never a CDN; downloads cached in
 * the browser's Cache API; and whether the worker has a WebGPU adapter (the models run there when it does).
 */
import { env } from '@huggingface/transformers';

/** Point ONNX Runtime Web at the lab's own copy of its wasm files and turn on transformers.js' browser cache. */
export function useLabOnnxRuntime(pageUrl: string): void {
  const ort = new URL('ort/', pageUrl).href;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown } };
  if (onnx.wasm) onnx.wasm.wasmPaths = { mjs: `${ort}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ort}ort-wasm-simd-threaded.asyncify.wasm` };
  env.useBrowserCache = true;
}

export async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
