/**
 * Verifier load progress in words, for the page (no worker code here: the UI imports it without the verifiers).
 */
import type { VerifierLoadProgress } from './index';

/** One line: "C compiler (clang): downloading clang, 40.1 / 105.2 MB", "Python (Pyodide) ready (11.7 s)". */
export function describeVerifierProgress(p: VerifierLoadProgress): string {
  const name = p.part === 'python' ? 'Python (Pyodide)' : 'C compiler (clang)';
  if (p.state === 'ready') return `${name} ready${p.loadMs ? ` (${(p.loadMs / 1000).toFixed(1)} s)` : ''}`;
  if (p.state === 'failed') return `${name} failed to load: ${p.message ?? 'unknown error'}`;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return p.total > 0 ? `${name}: ${p.stage}, ${mb(p.loaded)} / ${mb(p.total)} MB` : `${name}: ${p.stage}`;
}
