import type { PythonReply, PythonRequest } from './types';

/** The part of a Pyodide proxy that harnessReply uses. */
export interface PyProxyLike {
  toJs(options: { dict_converter: (entries: Iterable<[string, unknown]>) => unknown }): unknown;
  destroy(): void;
}

/** The harness's `run(source, test_sources, stdin, output_cap)`, as Pyodide hands it to JavaScript. */
export type HarnessRun = (code: string, tests: PyProxyLike, stdin: string, outputCap: number) => PyProxyLike;

/** The harness's `reward_run(source, mode, payload, output_cap)` (custom tasks' reward functions). */
export type HarnessRewardRun = (code: string, mode: string, payload: string, outputCap: number) => PyProxyLike;

/**
 * Run one request through the harness: a sample (`run`) or, when the request has `reward`, a reward function over a
 * batch (`reward_run`). Its reply, with the request's id and the size of Pyodide's heap.
 */
export function harnessReply(pyodide: { toPy(value: unknown): unknown }, run: HarnessRun, req: PythonRequest, rewardRun?: HarnessRewardRun): PythonReply;
