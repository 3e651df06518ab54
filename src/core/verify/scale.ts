/**
 * The graduated reward scale of code samples (halo-forge, see design.md "Graduated code rewards"):
 *
 * | stage | C | Python |
 * |---|---|---|
 * | syntax / compile error, empty sample | 0 | 0 |
 * | compiles with warnings | 0.3 | - |
 * | compiles clean / Python: syntax OK but did not run to the end | 0.5 | 0.3 |
 * | runs without crash (exit 0, no trap, in time) | 0.7 | 0.7 |
 * | correct output / all tests pass | 1.0 | 1.0 |
 *
 * "Timeouts and crashes are 'did not run'": a C program that times out, traps, fails to instantiate or exits
 * non-zero keeps its compile reward (0.3 or 0.5). Python has no compile step with warnings, so a sample that
 * parses but then times out, raises at module level, runs out of memory or kills its worker gets 0.3 (the
 * "compiles" analogue). A Python sample that runs scores 0.7 + 0.3 x (asserts passed / asserts), each assert run
 * on its own so one failure does not hide the others; a timeout while running the asserts is a timeout (0.3).
 * With no asserts, a Python or C sample that runs scores 1.0 when its stdout matches `expectedStdout`, 0.7 when it
 * does not or when there is nothing to compare with (`checked: false`). Output that hit the cap never matches.
 *
 * C's `int main(){ return *(int*)0; }`: wasm has no unmapped page 0, so the load does not trap; the program exits
 * with whatever word is at address 0 (0 in practice: runs, 0.7). What counts is the exit code: non-zero = crash.
 */
import { firstLines, outputsMatch } from './compare';
import type { Breakdown, CompileReply, PythonReply, RunReply, VerifyResult } from './types';

export const REWARD = {
  syntaxError: 0,
  warnings: 0.3,
  clean: 0.5,
  pythonDidNotRun: 0.3,
  runs: 0.7,
  correct: 1,
} as const;

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** Reward of a C sample from its compile and (when it compiled) run. `run` null = not run. */
export function cReward(
  compile: CompileReply | { timeout: true },
  run: RunReply | { timeout: true } | { dead: string } | null,
  expectedStdout: string | undefined,
  extra: Breakdown = {},
): VerifyResult {
  const b: Breakdown = { lang: 'c', ...extra };
  if ('timeout' in compile) {
    return { reward: REWARD.syntaxError, breakdown: { ...b, stage: 'compile-timeout', compiled: false } };
  }
  b.compiled = compile.ok;
  b.warnings = compile.warnings;
  b.errors = compile.errors;
  if (compile.diagnostics) b.diagnostics = firstLines(compile.diagnostics);
  if (compile.internalError) b.compilerError = compile.internalError;
  if (!compile.ok) return { reward: REWARD.syntaxError, breakdown: { ...b, stage: 'compile-error' } };
  const compiled = compile.warnings > 0 ? REWARD.warnings : REWARD.clean;
  if (run === null) return { reward: compiled, breakdown: { ...b, stage: 'compiled' } };
  if ('timeout' in run) return { reward: compiled, breakdown: { ...b, stage: 'timeout', ran: false, timeout: true } };
  if ('dead' in run) return { reward: compiled, breakdown: { ...b, stage: 'crashed', ran: false, crash: run.dead } };
  Object.assign(b, outputFields(run));
  b.exitCode = run.exitCode;
  if (run.trap !== null || run.exitCode !== 0) {
    return { reward: compiled, breakdown: { ...b, stage: 'crashed', ran: false, crash: run.trap ?? `exit code ${run.exitCode}` } };
  }
  b.ran = true;
  return judgeOutput(b, run, expectedStdout);
}

/** Reward of a Python sample. `reply` is the worker's answer, or why there is none. */
export function pythonReward(
  code: string,
  reply: PythonReply | { timeout: true } | { dead: string },
  expectedStdout: string | undefined,
  extra: Breakdown = {},
): VerifyResult {
  const b: Breakdown = { lang: 'python', ...extra };
  if (code.trim() === '') return { reward: REWARD.syntaxError, breakdown: { ...b, stage: 'empty', empty: true } };
  if ('timeout' in reply) return { reward: REWARD.pythonDidNotRun, breakdown: { ...b, stage: 'timeout', ran: false, timeout: true } };
  if ('dead' in reply) return { reward: REWARD.pythonDidNotRun, breakdown: { ...b, stage: 'crashed', ran: false, crash: reply.dead } };
  Object.assign(b, outputFields(reply));
  if (reply.syntaxError !== null) {
    return { reward: REWARD.syntaxError, breakdown: { ...b, stage: 'syntax-error', syntaxError: firstLines(reply.syntaxError) } };
  }
  if (reply.crashed !== null) {
    return { reward: REWARD.pythonDidNotRun, breakdown: { ...b, stage: 'crashed', ran: false, crash: firstLines(reply.crashed, 3, 300) } };
  }
  b.ran = true;
  if (reply.testsTotal > 0) {
    const fraction = reply.testsPassed / reply.testsTotal;
    b.testsPassed = reply.testsPassed;
    b.testsTotal = reply.testsTotal;
    if (reply.firstFailure) b.firstFailure = firstLines(reply.firstFailure, 3, 300);
    return { reward: round(REWARD.runs + (REWARD.correct - REWARD.runs) * fraction), breakdown: { ...b, stage: fraction === 1 ? 'all-tests-pass' : 'tests' } };
  }
  return judgeOutput(b, reply, expectedStdout);
}

function outputFields(o: { stdout: string; stderr: string; stdoutTruncated: boolean; stderrTruncated: boolean }): Breakdown {
  const b: Breakdown = { stdout: firstLines(o.stdout, 20, 2000) };
  if (o.stderr) b.stderr = firstLines(o.stderr, 5, 600);
  if (o.stdoutTruncated || o.stderrTruncated) b.truncated = true;
  return b;
}

function judgeOutput(b: Breakdown, o: { stdout: string; stdoutTruncated: boolean }, expected: string | undefined): VerifyResult {
  if (expected === undefined) return { reward: REWARD.runs, breakdown: { ...b, stage: 'ran', checked: false } };
  const correct = !o.stdoutTruncated && outputsMatch(o.stdout, expected);
  return { reward: correct ? REWARD.correct : REWARD.runs, breakdown: { ...b, stage: correct ? 'correct' : 'wrong-output', checked: true, correct } };
}
