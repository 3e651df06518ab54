/**
 * Verified rewards: what a verifier is asked (a `VerifyJob`), what it answers (a `VerifyResult`, the same shape as
 * the tasks' `RewardResult`), and the messages between a verifier and its workers. Framework-free: the Node
 * adapter (`src/node/verify/`) and browser workers speak the same protocol.
 */

/** Keys and values of a result's breakdown (matches `RewardResult.breakdown` of src/core/tasks/types.ts). */
export type Breakdown = Record<string, string | number | boolean | null>;

/** A reward in [0, 1] and why. */
export interface VerifyResult {
  reward: number;
  breakdown: Breakdown;
}

export type VerifyLang = 'python' | 'c';

export interface VerifyJob {
  lang: VerifyLang;
  /** The whole program (C: a translation unit with `main`; Python: a module, e.g. a function and its body). */
  code: string;
  /** Python only: assert statements, each run separately after the code (one string per statement). */
  tests?: readonly string[];
  /** Text on the program's standard input. */
  stdin?: string;
  /** Expected standard output; compared after trimming trailing whitespace per line and at the end. */
  expectedStdout?: string;
  /** Run-time limit of this sample in ms (default `DEFAULT_TIMEOUT_MS`). C compiles have their own limit. */
  timeoutMs?: number;
}

/**
 * A custom task's Python reward function over a batch (python-harness.ts `reward_run`): `check` compiles it and checks
 * its policy and signature without running anything; `score` calls it on the completions (rows: each sample's other
 * fields, without `prompt`). The whole batch has one time limit.
 */
export interface PythonRewardJob {
  code: string;
  mode: 'check' | 'score';
  prompts: readonly string[];
  completions: readonly string[];
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
  timeoutMs: number;
}

export type PythonRewardItem = { reward: number; breakdown: Breakdown } | { error: string; traceback: string | null };

export interface PythonRewardOutcome {
  /** `batch` (TRL's reward(prompts, completions, **kwargs)) or `per-sample` (reward(prompt, completion, **row)). */
  style: 'batch' | 'per-sample' | null;
  /** A failure of the whole batch (does not compile, refused by the policy, failed to load, raised, timed out, ...). */
  error: string | null;
  traceback: string | null;
  /** One per completion when `error` is null and the mode was `score`. */
  items: PythonRewardItem[];
  /** What the function printed (capped). */
  stdout: string;
  ms: number;
}

export interface Verifier {
  verify(job: VerifyJob): Promise<VerifyResult>;
  /** Run a custom task's Python reward function (Python verifiers only). */
  pythonReward?(job: PythonRewardJob): Promise<PythonRewardOutcome>;
  /** Verify jobs concurrently (as many at once as the verifier has workers); results in job order. */
  verifyMany(jobs: readonly VerifyJob[]): Promise<VerifyResult[]>;
  /** Terminate every worker. The verifier cannot be used afterwards. */
  dispose(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 2000;
/** Limit of one C compile (the compiler is warmed up before the clock starts). */
export const DEFAULT_COMPILE_TIMEOUT_MS = 10_000;
/** Bytes of stdout and of stderr kept per sample; more is dropped and the breakdown says `truncated`. */
export const OUTPUT_CAP_BYTES = 64 * 1024;

// ---- worker protocol -------------------------------------------------------------------------------------------

/** Python worker: run `code`, then each of `tests`; answer a `PythonReply`. Sent with an `id`. */
export interface PythonRequest {
  id: number;
  code: string;
  /** A reward function request instead of a sample: `code` is the reward module; payload JSON {prompts, completions, rows}. */
  reward?: { mode: 'check' | 'score'; payload: string };
  tests: string[];
  stdin: string;
  outputCap: number;
}

export interface PythonReply {
  id: number;
  /** The code does not compile (SyntaxError and friends): the first lines of the message. */
  syntaxError: string | null;
  /** The module body raised: exception type and message (`MemoryError: ...`), or the policy refused it. */
  crashed: string | null;
  /** Why the harness's policy refused to run the sample (it then counts as a crash), or null. */
  policy?: string | null;
  testsTotal: number;
  testsPassed: number;
  /** First failing assert and why, if any. */
  firstFailure: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Size of the Pyodide heap after the sample; the verifier recycles a worker whose heap grew large. */
  heapBytes: number;
  /** A reward request's result: JSON text of {style, error, traceback, items} (see PythonRewardOutcome). */
  rewardJson?: string;
}

/** C compiler worker: compile one translation unit to wasm32-wasip1 with -Wall. */
export interface CompileRequest {
  id: number;
  source: string;
}

export interface CompileReply {
  id: number;
  ok: boolean;
  /** The binary, when `ok`. */
  wasm: Uint8Array | null;
  /** Compiler output (warnings and errors), capped. */
  diagnostics: string;
  warnings: number;
  errors: number;
  /** The compiler itself failed (e.g. LLVM ran out of memory); the worker must be replaced. */
  internalError: string | null;
}

/** C runner worker: run a wasm32-wasip1 binary with stdin/stdout/stderr only. */
export interface RunRequest {
  id: number;
  wasm: Uint8Array;
  stdin: string;
  outputCap: number;
}

export interface RunReply {
  id: number;
  /** Exit code (`_start` returning normally is 0); null when it trapped or did not instantiate. */
  exitCode: number | null;
  /** A trap or instantiation error message. */
  trap: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}
