// Node worker thread of the C verifier's runner: executes a wasm32-wasip1 binary under @bjorn3/browser_wasi_shim
// with stdin, stdout and stderr only (no preopened directories, no environment, args ['main']). The verifier
// terminates this worker when a run exceeds its time limit.
import { parentPort } from 'node:worker_threads';
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';
import { lockdownGlobals } from './lockdown.mjs';

const port = parentPort;

function capped(cap) {
  const dec = new TextDecoder();
  const o = { text: '', truncated: false };
  o.write = (bytes) => {
    if (o.truncated) return;
    const s = dec.decode(bytes, { stream: true });
    const room = cap - o.text.length;
    if (s.length <= room) o.text += s;
    else { o.text += s.slice(0, Math.max(0, room)); o.truncated = true; }
  };
  return o;
}

async function run(req) {
  const out = capped(req.outputCap);
  const err = capped(req.outputCap);
  const stdin = new OpenFile(new File(new TextEncoder().encode(req.stdin)));
  const wasi = new WASI(['main'], [], [stdin, new ConsoleStdout(out.write), new ConsoleStdout(err.write)]);
  let exitCode = null, trap = null;
  try {
    const module = await WebAssembly.compile(req.wasm);
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
    exitCode = wasi.start(instance);
  } catch (e) {
    trap = `${e?.constructor?.name ?? 'Error'}: ${String(e?.message ?? e)}`.slice(0, 300);
  }
  return { id: req.id, exitCode, trap, stdout: out.text, stderr: err.text, stdoutTruncated: out.truncated, stderrTruncated: err.truncated };
}

lockdownGlobals();
port.on('message', async (msg) => port.postMessage({ type: 'reply', reply: await run(msg.req) }));
port.postMessage({ type: 'ready' });
