/**
 * C compiler worker (browser): @yowasp/clang, loaded once and kept warm between samples (one warm-up compile
 * before 'ready'); compiles one translation unit per `call` to wasm32-wasip1 with -Wall, like the Node worker
 * (src/node/verify/c-compiler.worker.mjs). clang's wasm modules and its header/library tarball (~105 MB) are
 * fetched from URLs relative to its own module, which Vite turns into the build's assets (and serves from
 * node_modules in `vite dev`, where @yowasp/clang is kept out of dependency pre-bundling): same origin, no CDN.
 * Download progress comes from the package's `fetchProgress`. The compiler runs no generated code, so this worker
 * keeps its global scope.
 */
import * as yowasp from '@yowasp/clang';
import type { Command, ProgressCallback, RunOptions } from '@yowasp/clang';
import type { CompileReply, CompileRequest } from '../../src/core/verify/types';
import type { FromWorker, ToWorker } from '../../src/browser/verify/protocol';

// the package exports runClang (its bundle does) but its type declarations do not list it
const runClang = (yowasp as unknown as { runClang: Command }).runClang;
const post = (m: FromWorker<CompileReply>, transfer: Transferable[] = []) => self.postMessage(m, transfer);
const DIAG_CAP = 8192;
const ARGS = ['clang', '--target=wasm32-wasip1', '-Wall', '-O0', 'main.c', '-o', 'main.wasm'];
async function compile(source: string): Promise<Omit<CompileReply, 'id'>> {
  let diagnostics = '';
  const dec = new TextDecoder();
  const sink = (b: Uint8Array | null) => {
    if (b && diagnostics.length < DIAG_CAP) diagnostics += dec.decode(b, { stream: true });
  };
  let ok = false;
  let wasm: Uint8Array | null = null;
  let internalError: string | null = null;
  try {
    const files = await runClang(ARGS, { 'main.c': source }, { stdout: sink, stderr: sink });
    const out = (files as Record<string, unknown> | undefined)?.['main.wasm'];
    if (out instanceof Uint8Array) {
      wasm = new Uint8Array(out);
      ok = true;
    }
  } catch (err) {
    const isExit = err && typeof err === 'object' && 'code' in err && 'files' in err;
    if (!isExit) internalError = String((err as Error)?.message ?? err).slice(0, 300);
  }
  diagnostics = diagnostics.slice(0, DIAG_CAP);
  const count = (re: RegExp) => (diagnostics.match(re) ?? []).length;
  return { ok, wasm, diagnostics, warnings: count(/\bwarning:/g), errors: count(/\berror:/g) + (internalError ? 1 : 0), internalError };
}

/** Download and compile clang's modules, then one compile so that the first sample does not pay for warm-up. */
async function warmUp(): Promise<void> {
  const t0 = performance.now();
  let lastPost = 0;
  let total = 0;
  post({ type: 'progress', stage: 'downloading clang', loaded: 0, total: 0 });
  // runClang(null) only fetches the resources (its own first call, `clang -###`, would not pass fetchProgress on)
  await (runClang as (args: string[] | null, files: object, options: RunOptions) => unknown)(null, {}, {
    fetchProgress: (({ totalLength, doneLength }) => {
      total = totalLength;
      const now = performance.now();
      if (now - lastPost < 100 && doneLength < totalLength) return;
      lastPost = now;
      post({ type: 'progress', stage: 'downloading clang', loaded: doneLength, total: totalLength });
    }) satisfies ProgressCallback,
  });
  post({ type: 'progress', stage: 'warming up clang', loaded: total, total });
  const r = await compile('int main(void) { return 0; }\n');
  if (!r.ok) throw new Error(r.internalError ?? r.diagnostics.slice(0, 300));
  post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
}

self.onmessage = async (e: MessageEvent<ToWorker<CompileRequest>>) => {
  const m = e.data;
  if (m.type === 'init') {
    warmUp().catch((err: unknown) => post({ type: 'fatal', message: `clang did not load: ${String((err as Error)?.message ?? err).slice(0, 500)}` }));
    return;
  }
  const r = await compile(m.req.source);
  post({ type: 'reply', reply: { id: m.req.id, ...r } }, r.wasm ? [r.wasm.buffer] : []);
};
