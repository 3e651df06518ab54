import type { PythonReply, PythonRequest } from './types';

/** The part of a Pyodide proxy that harnessReply uses. */
export interface PyProxyLike {
  toJs(options: { dict_converter: (entries: Iterable<[string, unknown]>) => unknown }): unknown;
  destroy(): void;
}

/** The harness's `run(source, test_sources, stdin, output_cap)`, as Pyodide hands it to JavaScript. */
export type HarnessRun = (code: string, tests: PyProxyLike, stdin: string, outputCap: number) => PyProxyLike;

/** Run one sample through the harness: its reply, with the request's id and the size of Pyodide's heap. */
export function harnessReply(pyodide: { toPy(value: unknown): unknown }, run: HarnessRun, req: PythonRequest): PythonReply;
