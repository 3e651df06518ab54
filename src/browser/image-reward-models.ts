/**
 * Learned image rewards in the trainer worker (core/rewards/image-models.ts) on ONNX Runtime Web, whose wasm files
 * the build serves from the page's own origin (dist/ort/), as for the learned text reward (browser/reward-model.ts):
 * WebGPU where the worker has an adapter, else WASM; a model that fails to load on WebGPU (e.g. an operator WebGPU
 * lacks) is loaded again on WASM. Only load failures fall back: a refused label or a bad image is the caller's error
 * on either device. transformers.js caches the models' files in the browser's Cache API (the aesthetic head's two
 * small files are fetched once per worker).
 */
import { hasWebGpu, useLabOnnxRuntime } from './onnx-runtime';
import { imageRewardModelLoader, type ImageRewardModels, type ImageRewardRuntime } from '../core/rewards/image-models';

export function browserImageRewardModels(pageUrl: string, endpoint: string, onProgress?: ImageRewardRuntime['onProgress']): ImageRewardModels {
  useLabOnnxRuntime(pageUrl);
  const extra = onProgress ? { onProgress } : {};
  const wasm = imageRewardModelLoader({ endpoint, device: 'wasm', ...extra });
  const gpu = imageRewardModelLoader({ endpoint, device: 'webgpu', ...extra });
  let useGpu: Promise<boolean> | null = null;
  /** Models that did not load on WebGPU: they run on WASM from then on (not a WebGPU load per batch). */
  const wasmOnly = new Set<string>();
  async function on<T>(model: string, revision: string | undefined, f: (m: ImageRewardModels) => Promise<T>): Promise<T> {
    const key = `${model}@${revision ?? 'main'}`;
    if (!wasmOnly.has(key) && (await (useGpu ??= hasWebGpu()))) {
      try {
        return await f(gpu);
      } catch (e) {
        if (!/did not load/.test((e as Error).message)) throw e;
        wasmOnly.add(key);
      }
    }
    return f(wasm);
  }
  return {
    clip: (model, revision) => on(model, revision, (m) => m.clip(model, revision)),
    classifier: (model, revision) => on(model, revision, (m) => m.classifier(model, revision)),
    aestheticHead: (model, revision) => on(model, revision, (m) => m.aestheticHead(model, revision)),
    clipScore: (model, images, texts, revision) => on(model, revision, (m) => m.clipScore(model, images, texts, revision)),
    classProbability: (model, images, label, revision) => on(model, revision, (m) => m.classProbability(model, images, label, revision)),
    checkLabel: (model, label, revision) => on(model, revision, (m) => m.checkLabel(model, label, revision)),
    aesthetic: (model, images, revision) => on(model, revision, (m) => m.aesthetic(model, images, revision)),
    dispose: async () => void (await Promise.all([gpu.dispose(), wasm.dispose()])),
  };
}
