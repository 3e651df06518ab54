/**
 * Worker of the verifier test page (verify.html, src/browser/verify/test-page.ts): creates the browser verifiers
 * the way the trainer worker does (its verifier workers are nested workers) and exposes them with comlink.
 */
import * as Comlink from 'comlink';
import { createBrowserVerifiers, type BrowserVerifiers, type VerifierLoadProgress, type VerifierPart } from '../../src/browser/verify/index';
import type { VerifyJob, VerifyResult } from '../../src/core/verify/types';

let verifiers: BrowserVerifiers | null = null;

const host = {
  init(baseUrl: string, onProgress: (p: VerifierLoadProgress) => void): void {
    verifiers = createBrowserVerifiers({ baseUrl, onProgress: (p) => void onProgress(p) });
  },
  async verify(job: VerifyJob): Promise<{ result: VerifyResult; ms: number }> {
    const t0 = performance.now();
    const result = await verifiers!.verify(job);
    return { result, ms: Math.round(performance.now() - t0) };
  },
  async warm(part: VerifierPart | 'all'): Promise<number> {
    const t0 = performance.now();
    await verifiers!.warm(part);
    return Math.round(performance.now() - t0);
  },
};

export type TestHost = typeof host;
Comlink.expose(host);
