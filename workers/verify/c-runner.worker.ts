/**
 * C runner worker (browser): executes a wasm32-wasip1 binary under @bjorn3/browser_wasi_shim with stdin, stdout
 * and stderr only (no preopened directories, no environment, args ['main']), like the Node worker
 * (src/node/verify/c-runner.worker.mjs). Its global scope is locked down before the first run. The verifier
 * terminates this worker when a run exceeds its time limit.
 */
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';
import type { RunReply, RunRequest } from '../../src/core/verify/types';
import { lockdownGlobals } from '../../src/browser/verify/lockdown';
import type { FromWorker, ToWorker } from '../../src/browser/verify/protocol';

const post = (m: FromWorker<RunReply>) => self.postMessage(m);

function capped(cap: number) {
  const dec = new TextDecoder();
  const o = {
    text: '',
    truncated: false,
    write(bytes: Uint8Array) {
      if (o.truncated) return;
      const s = dec.decode(bytes, { stream: true });
      const room = cap - o.text.length;
      if (s.length <= room) o.text += s;
      else {
        o.text += s.slice(0, Math.max(0, room));
        o.truncated = true;
      }
    },
  };
  return o;
}

async function run(req: RunRequest): Promise<RunReply> {
  const out = capped(req.outputCap);
  const err = capped(req.outputCap);
  const stdin = new OpenFile(new File(new TextEncoder().encode(req.stdin)));
  const wasi = new WASI(['main'], [], [stdin, new ConsoleStdout(out.write), new ConsoleStdout(err.write)]);
  let exitCode: number | null = null;
  let trap: string | null = null;
  try {
    const module = await WebAssembly.compile(req.wasm as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
    exitCode = wasi.start(instance as { exports: { memory: WebAssembly.Memory; _start: () => unknown } });
  } catch (e) {
    trap = `${(e as Error)?.constructor?.name ?? 'Error'}: ${String((e as Error)?.message ?? e)}`.slice(0, 300);
  }
  return { id: req.id, exitCode, trap, stdout: out.text, stderr: err.text, stdoutTruncated: out.truncated, stderrTruncated: err.truncated };
}

self.onmessage = async (e: MessageEvent<ToWorker<RunRequest>>) => {
  const m = e.data;
  if (m.type === 'init') {
    const t0 = performance.now();
    lockdownGlobals();
    post({ type: 'ready', loadMs: Math.round(performance.now() - t0) });
    return;
  }
  post({ type: 'reply', reply: await run(m.req) });
};
