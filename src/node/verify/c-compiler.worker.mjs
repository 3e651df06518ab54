// Node worker thread of the C verifier's compiler: @yowasp/clang, loaded once and kept warm (one warm-up compile
// before 'ready'), compiles one translation unit per message to wasm32-wasip1 with -Wall.
import { parentPort } from 'node:worker_threads';
import { runClang } from '@yowasp/clang';

const port = parentPort;
const post = (m, t) => port.postMessage(m, t);
const DIAG_CAP = 8192;
const ARGS = ['clang', '--target=wasm32-wasip1', '-Wall', '-O0', 'main.c', '-o', 'main.wasm'];

async function compile(source) {
  let diagnostics = '';
  const dec = new TextDecoder();
  const sink = (b) => { if (b && diagnostics.length < DIAG_CAP) diagnostics += dec.decode(b, { stream: true }); };
  let ok = false, wasm = null, internalError = null;
  try {
    const files = await runClang(ARGS, { 'main.c': source }, { stdout: sink, stderr: sink, fetchProgress: () => {} });
    const out = files?.['main.wasm'];
    if (out instanceof Uint8Array) {
      wasm = new Uint8Array(out);
      ok = true;
    }
  } catch (err) {
    const isExit = err && typeof err === 'object' && 'code' in err && 'files' in err;
    if (!isExit) internalError = String(err?.message ?? err).slice(0, 300);
  }
  diagnostics = diagnostics.slice(0, DIAG_CAP);
  const count = (re) => (diagnostics.match(re) ?? []).length;
  return { ok, wasm, diagnostics, warnings: count(/\bwarning:/g), errors: count(/\berror:/g) + (internalError ? 1 : 0), internalError };
}

try {
  await compile('int main(void) { return 0; }\n');
  port.on('message', async (msg) => {
    const r = await compile(msg.req.source);
    post({ type: 'reply', reply: { id: msg.req.id, ...r } }, r.wasm ? [r.wasm.buffer] : []);
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'fatal', message: `clang did not load: ${String(err?.message ?? err).slice(0, 500)}` });
}
