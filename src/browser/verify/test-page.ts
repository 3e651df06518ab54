/**
 * verify.html: the browser verifiers in a worker (workers/verify/test-host.worker.ts), so that the verifier workers
 * are nested workers as in the trainer worker. `window.raftVerify` is what test/e2e/verify.test.ts drives:
 * `verify(job)` (result and ms), `warm(part)` (ms) and `progress` (every load progress event so far).
 */
import * as Comlink from 'comlink';
import type { VerifyJob, VerifyResult } from '../../core/verify/types';
import type { VerifierLoadProgress, VerifierPart } from './index';
import type { TestHost } from '../../../workers/verify/test-host.worker';

const host = Comlink.wrap<TestHost>(
  new Worker(new URL('../../../workers/verify/test-host.worker.ts', import.meta.url), { type: 'module', name: 'raftlab-verify-host' }),
);
const progress: VerifierLoadProgress[] = [];

function show(p: VerifierLoadProgress): void {
  const bar = document.getElementById(p.part) as HTMLProgressElement | null;
  const text = document.getElementById(`${p.part}-text`);
  if (bar) bar.value = p.state === 'ready' ? 1 : p.total > 0 ? p.loaded / p.total : 0;
  if (text) text.textContent = `${p.stage} ${(p.loaded / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB${p.loadMs ? ` (${p.loadMs} ms)` : ''}`;
}

await host.init(
  location.href,
  Comlink.proxy((p: VerifierLoadProgress) => {
    progress.push(p);
    show(p);
  }),
);

const api = {
  progress,
  verify: (job: VerifyJob): Promise<{ result: VerifyResult; ms: number }> => host.verify(job),
  warm: (part: VerifierPart | 'all' = 'all'): Promise<number> => host.warm(part),
};
(globalThis as unknown as { raftVerify: typeof api }).raftVerify = api;
document.body.dataset.ready = 'true';
