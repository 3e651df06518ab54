/**
 * The trainer worker's side of the browser verifiers that runs in Node: which tasks get a verifier (none is created
 * for the others) and the status line of load progress. The workers themselves are tested in Chromium
 * (test/e2e/verify.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { currentVerifiers, describeVerifierProgress, taskContextFor } from '../src/browser/verify/task-context';

describe('browser verifier task context', () => {
  it('gives tasks that run no code an empty context and creates no verifier', () => {
    expect(taskContextFor({ task: 'sentiment', taskDoc: '' }, 'http://localhost/', 'https://huggingface.co')).toEqual({});
    expect(currentVerifiers()).toBeNull();
  });

  it('describes load progress in one line', () => {
    expect(describeVerifierProgress({ part: 'clang', state: 'loading', stage: 'downloading clang', loaded: 40_100_000, total: 105_241_285 }))
      .toBe('C compiler (clang): downloading clang, 40.1 / 105.2 MB');
    expect(describeVerifierProgress({ part: 'python', state: 'ready', stage: 'ready', loaded: 1, total: 1, loadMs: 11_743 })).toBe('Python (Pyodide) ready (11.7 s)');
    expect(describeVerifierProgress({ part: 'python', state: 'failed', stage: 'failed', loaded: 0, total: 0, message: 'boom' })).toBe('Python (Pyodide) failed to load: boom');
    expect(describeVerifierProgress({ part: 'clang', state: 'loading', stage: 'warming up clang', loaded: 0, total: 0 })).toBe('C compiler (clang): warming up clang');
  });
});
