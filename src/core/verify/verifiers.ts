/**
 * The Python and C verifiers over environment-specific workers (see pool.ts). The Node adapter
 * (src/node/verify/) supplies worker factories; a browser adapter supplies Web Worker ones.
 *
 * - Python: `pythonWorkers` Pyodide workers; a sample that times out or kills its worker gets its reward
 *   (scale.ts) and the worker is replaced by a fresh one. A worker whose heap grew past `recycleHeapBytes`
 *   (after a memory bomb) is replaced too.
 * - C: one warm compiler worker (clang is ~100 MB of wasm; loading it takes seconds, a compile ~0.1-0.5 s) and
 *   `cRunners` runner workers that execute the binary under a WASI shim with stdin/stdout/stderr only.
 */
import { WorkerPool, type WorkerFactory } from './pool';
import { cReward, pythonReward } from './scale';
import {
  type Breakdown,
  DEFAULT_COMPILE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  OUTPUT_CAP_BYTES,
  type CompileReply,
  type CompileRequest,
  type PythonReply,
  type PythonRequest,
  type PythonRewardJob,
  type PythonRewardOutcome,
  type RunReply,
  type RunRequest,
  type Verifier,
  type VerifyJob,
  type VerifyResult,
} from './types';

export interface PythonVerifierOptions {
  workers?: number;
  /** Default run-time limit when a job has none. */
  timeoutMs?: number;
  outputCap?: number;
  recycleHeapBytes?: number;
}

export interface CVerifierOptions {
  runners?: number;
  timeoutMs?: number;
  compileTimeoutMs?: number;
  outputCap?: number;
}

let nextId = 1;

function verifyAll(verify: (job: VerifyJob) => Promise<VerifyResult>) {
  return (jobs: readonly VerifyJob[]) => Promise.all(jobs.map((j) => verify(j)));
}

export function createPythonVerifier(factory: WorkerFactory<PythonRequest, PythonReply>, opts: PythonVerifierOptions = {}): Verifier & { pool: WorkerPool<PythonRequest, PythonReply> } {
  const pool = new WorkerPool(factory, opts.workers ?? 1);
  const recycleAt = opts.recycleHeapBytes ?? 768 * 1024 * 1024;
  const verify = async (job: VerifyJob): Promise<VerifyResult> => {
    const timeoutMs = job.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (job.code.trim() === '') return pythonReward(job.code, { timeout: true }, job.expectedStdout);
    const t0 = performance.now();
    const req: PythonRequest = {
      id: nextId++, code: job.code, tests: [...(job.tests ?? [])], stdin: job.stdin ?? '', outputCap: opts.outputCap ?? OUTPUT_CAP_BYTES,
    };
    const out = await pool.run(req, timeoutMs, undefined, (r) => r.heapBytes > recycleAt);
    const ms = Math.round(performance.now() - t0);
    const reply = out.kind === 'reply' ? out.reply : out.kind === 'timeout' ? { timeout: true as const } : { dead: out.error };
    return pythonReward(job.code, reply, job.expectedStdout, { ms, timeoutMs });
  };
  const runRewardFunction = async (job: PythonRewardJob): Promise<PythonRewardOutcome> => {
    const t0 = performance.now();
    const payload = job.mode === 'score' ? JSON.stringify({ prompts: job.prompts, completions: job.completions, rows: job.rows }) : '{}';
    const req: PythonRequest = { id: nextId++, code: job.code, tests: [], stdin: '', outputCap: opts.outputCap ?? OUTPUT_CAP_BYTES, reward: { mode: job.mode, payload } };
    const out = await pool.run(req, job.timeoutMs, undefined, (r) => r.heapBytes > recycleAt);
    const ms = Math.round(performance.now() - t0);
    const failed = (error: string): PythonRewardOutcome => ({ style: null, error, traceback: null, items: [], stdout: '', ms });
    if (out.kind === 'timeout') return failed(`the reward function ran longer than its time limit (${job.timeoutMs} ms for ${job.completions.length} samples)`);
    if (out.kind === 'dead') return failed(`the Python worker died running the reward function (${out.error.slice(0, 200)}); it was replaced`);
    try {
      const r = JSON.parse(out.reply.rewardJson ?? '') as Omit<PythonRewardOutcome, 'stdout' | 'ms'>;
      return { ...r, stdout: out.reply.stdout, ms };
    } catch {
      return failed('the Python worker sent no reward result');
    }
  };
  return {
    pool,
    verify,
    pythonReward: runRewardFunction,
    verifyMany: verifyAll(verify),
    dispose: async () => pool.terminate(),
  };
}

export function createCVerifier(
  compilerFactory: WorkerFactory<CompileRequest, CompileReply>,
  runnerFactory: WorkerFactory<RunRequest, RunReply>,
  opts: CVerifierOptions = {},
): Verifier & { compiler: WorkerPool<CompileRequest, CompileReply>; runners: WorkerPool<RunRequest, RunReply> } {
  const compiler = new WorkerPool(compilerFactory, 1);
  const runners = new WorkerPool(runnerFactory, opts.runners ?? 1);
  const verify = async (job: VerifyJob): Promise<VerifyResult> => {
    const timeoutMs = job.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (job.code.trim() === '') {
      return { reward: 0, breakdown: { lang: 'c', stage: 'empty', empty: true, compiled: false } };
    }
    const t0 = performance.now();
    const c = await compiler.run({ id: nextId++, source: job.code }, opts.compileTimeoutMs ?? DEFAULT_COMPILE_TIMEOUT_MS, undefined, (r) => r.internalError !== null);
    const compileMs = Math.round(performance.now() - t0);
    if (c.kind !== 'reply') {
      const breakdown: Breakdown = c.kind === 'timeout' ? { compileMs } : { compileMs, compilerError: c.error };
      return cReward(c.kind === 'timeout' ? { timeout: true } : { id: 0, ok: false, wasm: null, diagnostics: '', warnings: 0, errors: 0, internalError: c.error }, null, job.expectedStdout, breakdown);
    }
    const compiled = c.reply;
    if (!compiled.ok || !compiled.wasm) return cReward(compiled, null, job.expectedStdout, { compileMs });
    const t1 = performance.now();
    const wasm = compiled.wasm;
    const r = await runners.run(
      { id: nextId++, wasm, stdin: job.stdin ?? '', outputCap: opts.outputCap ?? OUTPUT_CAP_BYTES }, timeoutMs, [wasm.buffer as ArrayBuffer],
    );
    const runMs = Math.round(performance.now() - t1);
    const run = r.kind === 'reply' ? r.reply : r.kind === 'timeout' ? { timeout: true as const } : { dead: r.error };
    return cReward(compiled, run, job.expectedStdout, { compileMs, runMs, timeoutMs });
  };
  return {
    compiler,
    runners,
    verify,
    verifyMany: verifyAll(verify),
    dispose: async () => {
      compiler.terminate();
      runners.terminate();
    },
  };
}

/** How many workers and which limits an environment's set of verifiers gets (each environment has its defaults). */
export interface VerifierSetOptions {
  /** Pyodide workers. */
  pythonWorkers?: number;
  /** C runner workers. */
  cRunners?: number;
  /** Default run-time limit per sample (ms). */
  timeoutMs?: number;
  compileTimeoutMs?: number;
}

/** The Python and the C verifier together; `verify` dispatches on `job.lang`. */
export interface VerifierSet extends Verifier {
  python: ReturnType<typeof createPythonVerifier>;
  c: ReturnType<typeof createCVerifier>;
}

/** One verifier over both languages (the Node and browser sets are this over their own workers). */
export function combineVerifiers(python: VerifierSet['python'], c: VerifierSet['c']): VerifierSet {
  const verify = (job: VerifyJob): Promise<VerifyResult> => (job.lang === 'c' ? c : python).verify(job);
  return {
    python,
    c,
    verify,
    pythonReward: python.pythonReward,
    verifyMany: verifyAll(verify),
    dispose: async () => {
      await python.dispose();
      await c.dispose();
    },
  };
}
