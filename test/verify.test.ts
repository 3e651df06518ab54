/**
 * Verified rewards: the graduated scale, output comparison and the worker pool as pure units (fake workers), then
 * hostile samples against the real Node verifiers (Pyodide and @yowasp/clang in worker threads, one verifier shared
 * by the whole file). Every hostile sample must get its reward on the design's scale, and the verifier must answer
 * the next sample normally.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CappedText,
  cReward,
  firstLines,
  normalizeOutput,
  OUTPUT_CAP_BYTES,
  outputsMatch,
  pythonReward,
  REWARD,
  WorkerPool,
  type CallOutcome,
  type CompileReply,
  type ExecWorker,
  type PythonReply,
  type RunReply,
} from '../src/core/verify/index';
import { createNodeVerifiers, type NodeVerifiers } from '../src/node/verify/index';

// ---- pure units ------------------------------------------------------------------------------------------------

const compiled = (over: Partial<CompileReply> = {}): CompileReply => ({
  id: 1, ok: true, wasm: new Uint8Array(8), diagnostics: '', warnings: 0, errors: 0, internalError: null, ...over,
});
const ran = (over: Partial<RunReply> = {}): RunReply => ({
  id: 2, exitCode: 0, trap: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, ...over,
});
const pyReply = (over: Partial<PythonReply> = {}): PythonReply => ({
  id: 3, syntaxError: null, crashed: null, testsTotal: 0, testsPassed: 0, firstFailure: null, stdout: '', stderr: '',
  stdoutTruncated: false, stderrTruncated: false, heapBytes: 0, ...over,
});

describe('graduated reward scale (scale.ts)', () => {
  it('C: error 0, warnings 0.3, clean 0.5, runs 0.7, correct 1.0; timeouts and crashes keep the compile reward', () => {
    const diag = "main.c:1:1: error: expected ';'\n  1 | int main() { return 0 }\n  2 | x\n  3 | y\n  4 | z\n  5 | w\n  6 | more";
    const err = cReward(compiled({ ok: false, wasm: null, errors: 1, diagnostics: diag }), null, '1');
    expect(err.reward).toBe(0);
    expect(err.breakdown).toMatchObject({ stage: 'compile-error', compiled: false, errors: 1 });
    expect(String(err.breakdown.diagnostics)).toMatch(/^main\.c:1:1: error: expected ';'/);
    expect(String(err.breakdown.diagnostics)).toMatch(/\.\.\.$/); // only the first lines are kept
    expect(cReward({ timeout: true }, null, undefined).reward).toBe(0);
    const warn = compiled({ warnings: 2, diagnostics: 'main.c:2:7: warning: unused variable' });
    expect(cReward(warn, null, undefined).reward).toBe(0.3);
    expect(cReward(warn, { timeout: true }, '1').breakdown).toMatchObject({ stage: 'timeout', timeout: true, ran: false, warnings: 2 });
    expect(cReward(warn, { timeout: true }, '1').reward).toBe(0.3);
    expect(cReward(compiled(), { timeout: true }, '1').reward).toBe(0.5);
    expect(cReward(compiled(), { dead: 'worker exited' }, '1').reward).toBe(0.5);
    expect(cReward(compiled(), ran({ trap: 'RuntimeError: unreachable', exitCode: null }), '1')).toMatchObject({ reward: 0.5, breakdown: { stage: 'crashed', crash: 'RuntimeError: unreachable' } });
    expect(cReward(compiled(), ran({ exitCode: 3 }), undefined)).toMatchObject({ reward: 0.5, breakdown: { crash: 'exit code 3' } });
    expect(cReward(compiled(), ran({ stdout: '7\n' }), undefined)).toMatchObject({ reward: 0.7, breakdown: { stage: 'ran', checked: false } });
    expect(cReward(compiled(), ran({ stdout: '7\n' }), '8')).toMatchObject({ reward: 0.7, breakdown: { stage: 'wrong-output', correct: false } });
    expect(cReward(compiled(), ran({ stdout: '7  \r\n\n' }), '7')).toMatchObject({ reward: 1, breakdown: { stage: 'correct', correct: true } });
    // a warning does not cost a program that runs correctly
    expect(cReward(warn, ran({ stdout: '7' }), '7').reward).toBe(1);
    // output that hit the cap never matches
    expect(cReward(compiled(), ran({ stdout: 'x', stdoutTruncated: true }), 'x')).toMatchObject({ reward: 0.7, breakdown: { truncated: true } });
  });

  it('Python: syntax error or empty 0, did not run 0.3, runs 0.7 + 0.3 x fraction of asserts', () => {
    expect(pythonReward('', pyReply(), undefined)).toMatchObject({ reward: 0, breakdown: { stage: 'empty' } });
    expect(pythonReward('  \n ', pyReply(), undefined).reward).toBe(0);
    expect(pythonReward('def f(:', pyReply({ syntaxError: 'SyntaxError: invalid syntax (<sample>, line 1)' }), undefined))
      .toMatchObject({ reward: 0, breakdown: { stage: 'syntax-error' } });
    expect(pythonReward('x', { timeout: true }, undefined)).toMatchObject({ reward: 0.3, breakdown: { stage: 'timeout', timeout: true } });
    expect(pythonReward('x', { dead: 'worker exited' }, undefined)).toMatchObject({ reward: 0.3, breakdown: { stage: 'crashed' } });
    expect(pythonReward('x', pyReply({ crashed: 'MemoryError: ' }), undefined)).toMatchObject({ reward: 0.3, breakdown: { crash: 'MemoryError: ' } });
    const partial = pythonReward('x', pyReply({ testsTotal: 4, testsPassed: 3, firstFailure: 'assert f(2) == 5 -> AssertionError: ' }), undefined);
    expect(partial.reward).toBeCloseTo(REWARD.runs + 0.3 * 0.75, 10);
    expect(partial.breakdown).toMatchObject({ stage: 'tests', testsPassed: 3, testsTotal: 4, firstFailure: 'assert f(2) == 5 -> AssertionError: ' });
    expect(pythonReward('x', pyReply({ testsTotal: 3, testsPassed: 0 }), undefined).reward).toBe(0.7);
    expect(pythonReward('x', pyReply({ testsTotal: 3, testsPassed: 3 }), undefined)).toMatchObject({ reward: 1, breakdown: { stage: 'all-tests-pass' } });
    expect(pythonReward('x', pyReply({ stdout: '3\n' }), '3').reward).toBe(1);
    expect(pythonReward('x', pyReply({ stdout: '4\n' }), '3').reward).toBe(0.7);
  });
});

describe('output comparison (compare.ts)', () => {
  it('ignores trailing whitespace per line and at the end, and \\r\\n', () => {
    expect(normalizeOutput('a  \r\nb\t\n\n\n')).toBe('a\nb');
    expect(outputsMatch('1 2 3\n', '1 2 3')).toBe(true);
    expect(outputsMatch(' 1', '1')).toBe(false); // leading whitespace counts
    expect(outputsMatch('1\n\n2', '1\n2')).toBe(false); // blank lines inside count
  });

  it('firstLines keeps the first lines and marks a cut; CappedText stops at its cap', () => {
    expect(firstLines('a\nb\nc', 2)).toBe('a\nb\n...');
    expect(firstLines('a\nb\n\n', 2)).toBe('a\nb'); // only blank lines cut: no mark
    expect(firstLines('x'.repeat(50), 5, 10)).toBe(`${'x'.repeat(10)}\n...`);
    const t = new CappedText(5);
    t.push('abc');
    expect(t.truncated).toBe(false);
    t.push('defg');
    t.push('more');
    expect(t.text).toBe('abcde');
    expect(t.truncated).toBe(true);
  });
});

// ---- the pool, with fake workers ---------------------------------------------------------------------------------

/** A request to a fake worker: answer `value` after `ms`, or never (`hang`), or die. */
interface FakeReq { value: string; ms: number; hang?: boolean; die?: boolean }

class FakeWorker implements ExecWorker<FakeReq, string> {
  /** Calls in flight across all fake workers now, and the most seen at once. */
  static inFlight = 0;
  static maxInFlight = 0;
  readonly ready: Promise<void>;
  terminated = false;
  constructor(readonly serial: number, startMs: number, failStart = false) {
    this.ready = new Promise((res, rej) => setTimeout(() => (failStart ? rej(new Error('no start')) : res()), startMs));
  }
  call(req: FakeReq, timeoutMs: number): Promise<CallOutcome<string>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.terminate();
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      if (req.hang) return;
      FakeWorker.maxInFlight = Math.max(FakeWorker.maxInFlight, ++FakeWorker.inFlight);
      setTimeout(() => {
        FakeWorker.inFlight--;
        clearTimeout(timer);
        resolve(req.die ? { kind: 'dead', error: 'worker exited (code 1)' } : { kind: 'reply', reply: `${req.value}@${this.serial}` });
      }, req.ms);
    });
  }
  terminate(): void {
    this.terminated = true;
  }
}

function fakePool(size: number, opts: { startMs?: number; failFirst?: number } = {}) {
  const workers: FakeWorker[] = [];
  const pool = new WorkerPool<FakeReq, string>(() => {
    const w = new FakeWorker(workers.length, opts.startMs ?? 5, workers.length < (opts.failFirst ?? 0));
    workers.push(w);
    return w;
  }, size);
  return { pool, workers };
}

const replyOf = (o: CallOutcome<string>) => (o.kind === 'reply' ? o.reply : o.kind);

describe('WorkerPool (fake workers)', () => {
  it('runs requests concurrently on its workers and answers each caller', async () => {
    const { pool, workers } = fakePool(2);
    FakeWorker.maxInFlight = 0;
    const out = await Promise.all([60, 60, 60, 60].map((ms, i) => pool.run({ value: `r${i}`, ms }, 1000)));
    expect(out.map((o) => replyOf(o).split('@')[0])).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(workers).toHaveLength(2);
    expect(FakeWorker.maxInFlight).toBe(2); // two at a time, not one after the other, and never more than the pool's size
  });

  it('a request that times out costs its worker, not the others: quick requests finish before its limit', async () => {
    const { pool, workers } = fakePool(2);
    const t0 = performance.now();
    const done: Record<string, number> = {};
    const track = (name: string, p: Promise<CallOutcome<string>>) => p.then((o) => ((done[name] = performance.now() - t0), o));
    const hang = track('hang', pool.run({ value: 'hang', ms: 0, hang: true }, 400));
    const quick = Array.from({ length: 5 }, (_, i) => track(`q${i}`, pool.run({ value: `q${i}`, ms: 10 }, 400)));
    expect((await hang).kind).toBe('timeout');
    expect((await Promise.all(quick)).map(replyOf).every((r) => r.endsWith('@1'))).toBe(true);
    for (let i = 0; i < 5; i++) expect(done[`q${i}`]!).toBeLessThan(done.hang!);
    expect(workers[0]!.terminated).toBe(true);
    // the replacement answers the next requests
    const after = await Promise.all([pool.run({ value: 'a', ms: 5 }, 400), pool.run({ value: 'b', ms: 5 }, 400)]);
    expect(after.map(replyOf).sort()).toEqual(['a@1', 'b@2'].sort());
    expect(pool.started).toBe(3);
  });

  it('replaces a worker that died, failed to start, or asked to be recycled', async () => {
    const { pool, workers } = fakePool(1, { failFirst: 1 });
    expect(await pool.run({ value: 'x', ms: 1 }, 200)).toEqual({ kind: 'dead', error: 'no start' });
    expect(replyOf(await pool.run({ value: 'y', ms: 1 }, 200))).toBe('y@1');
    expect(await pool.run({ value: 'z', ms: 1, die: true }, 200)).toMatchObject({ kind: 'dead' });
    expect(replyOf(await pool.run({ value: 'w', ms: 1 }, 200, undefined, () => true))).toBe('w@2');
    expect(replyOf(await pool.run({ value: 'v', ms: 1 }, 200))).toBe('v@3');
    expect(workers.map((w) => w.terminated)).toEqual([true, true, true, false]);
  });

  it('refuses work after terminate()', async () => {
    const { pool, workers } = fakePool(2);
    await pool.warm();
    expect(workers).toHaveLength(2);
    pool.terminate();
    expect(workers.every((w) => w.terminated)).toBe(true);
    await expect(pool.run({ value: 'x', ms: 1 }, 100)).rejects.toThrow(/disposed/);
  });
});

// ---- hostile samples against the real verifiers ------------------------------------------------------------------

const LIMIT = 1500;
let v: NodeVerifiers;

beforeAll(async () => {
  v = createNodeVerifiers({ pythonWorkers: 2, cRunners: 2, timeoutMs: LIMIT });
  // load Pyodide (x2), clang and the runners before the clocks of the tests start
  await Promise.all([v.python.pool.warm(), v.c.compiler.warm(), v.c.runners.warm()]);
}, 180_000);

afterAll(async () => {
  await v?.dispose();
});

const py = (code: string, extra: { tests?: string[]; expectedStdout?: string; stdin?: string; timeoutMs?: number } = {}) => v.verify({ lang: 'python', code, ...extra });
const c = (code: string, extra: { expectedStdout?: string; stdin?: string; timeoutMs?: number } = {}) => v.verify({ lang: 'c', code, ...extra });
const HELLO_C = '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", n * 2); return 0; }\n';

/** The verifier still answers normally. */
async function answersNormally(lang: 'c' | 'python') {
  const r = lang === 'c' ? await c(HELLO_C, { stdin: '21', expectedStdout: '42' }) : await py('print(int(input()) * 2)', { stdin: '21', expectedStdout: '42' });
  expect(r, JSON.stringify(r)).toMatchObject({ reward: 1, breakdown: { stage: 'correct' } });
}

describe('Python verifier (Pyodide), hostile samples', () => {
  it('a clean sample: correct 1.0, wrong output 0.7, nothing to compare 0.7', async () => {
    await answersNormally('python');
    expect((await py('print(6 * 7)', { expectedStdout: '41' })).reward).toBe(0.7);
    expect((await py('x = 1')).breakdown).toMatchObject({ stage: 'ran', checked: false });
  });

  it('asserts: 0.7 + 0.3 x fraction passed, with the first failure in the breakdown', async () => {
    const code = 'def add(a, b):\n    return a + b if a < 10 else a - b\n';
    const tests = ['assert add(1, 2) == 3', 'assert add(2, 2) == 4', 'assert add(10, 1) == 11', 'assert add(0, 0) == 0'];
    const r = await py(code, { tests });
    expect(r.reward).toBeCloseTo(0.7 + 0.3 * 0.75, 10);
    expect(r.breakdown).toMatchObject({ stage: 'tests', testsPassed: 3, testsTotal: 4 });
    expect(String(r.breakdown.firstFailure)).toContain('assert add(10, 1) == 11');
    expect((await py(code, { tests: tests.filter((_, i) => i !== 2) })).reward).toBe(1);
    // the asserts see a fresh namespace each sample: names of the previous sample are gone
    expect((await py('y = 2', { tests: ['assert add(1, 2) == 3'] })).reward).toBe(0.7);
  });

  it('a syntax error is 0, an empty completion is 0', async () => {
    const r = await py('def f(:\n    return 1\n');
    expect(r).toMatchObject({ reward: 0, breakdown: { stage: 'syntax-error' } });
    expect(String(r.breakdown.syntaxError)).toMatch(/SyntaxError/);
    expect(await py('')).toMatchObject({ reward: 0, breakdown: { stage: 'empty' } });
    expect((await py(' \n\t\n')).reward).toBe(0);
    await answersNormally('python');
  });

  it('while True: pass times out (0.3), the worker is replaced, the next sample verifies normally', async () => {
    const started = v.python.pool.started;
    const r = await py('while True:\n    pass\n');
    expect(r).toMatchObject({ reward: 0.3, breakdown: { stage: 'timeout', timeout: true, ran: false } });
    expect(Number(r.breakdown.ms)).toBeGreaterThanOrEqual(LIMIT);
    expect(Number(r.breakdown.ms)).toBeLessThan(LIMIT + 3000);
    await answersNormally('python');
    expect(v.python.pool.started).toBe(started + 1);
  });

  it('a 10^9-element list is a MemoryError (0.3); the next sample verifies normally', async () => {
    expect(await py('x = [0] * (10**9)\nprint(len(x))')).toMatchObject({ reward: 0.3, breakdown: { stage: 'crashed', crash: expect.stringMatching(/^MemoryError/) } });
    await answersNormally('python');
  });

  it('a worker started after a timeout (from the first worker\'s memory snapshot) is as locked down as the first', async () => {
    const one = createNodeVerifiers({ pythonWorkers: 1, timeoutMs: LIMIT });
    try {
      expect((await one.verify({ lang: 'python', code: 'while True:\n    pass\n' })).breakdown.stage).toBe('timeout');
      for (const code of ['import js\nprint(js.fetch)', 'import pyodide_js\nprint(pyodide_js.FS)', 'import json\njson.dumps = lambda *a: 1\nprint(1)']) {
        const r = await one.verify({ lang: 'python', code, expectedStdout: '1' });
        expect(r.reward, `${code}: ${JSON.stringify(r)}`).toBeLessThanOrEqual(0.3);
      }
      expect((await one.verify({ lang: 'python', code: 'print(6 * 7)', expectedStdout: '42' })).reward).toBe(1);
      expect(one.python.pool.started).toBe(2);
    } finally {
      await one.dispose();
    }
  });

  it('cannot reach JavaScript: import js / js.fetch, pyodide.code.run_js, js.indexedDB, pyodide_js', async () => {
    const hostile = [
      'import js\njs.fetch("http://127.0.0.1:1/steal")',
      'from pyodide.code import run_js\nrun_js("fetch(\'http://127.0.0.1:1/\')")',
      'import js\nreq = js.indexedDB.open("raftlab")\nprint(req)',
      'import sys\nprint(sys.modules.get("js"))\nimport importlib\nprint(importlib.import_module("js").indexedDB)',
      'import pyodide_js\nprint(pyodide_js.FS)',
      'import pyodide.ffi\nprint(pyodide.ffi)',
      'import _pyodide_core',
    ];
    for (const code of hostile) {
      const r = await py(code);
      expect(r.reward, code).toBe(0.3);
      expect(r.breakdown.stage, code).toBe('crashed');
      expect(String(r.breakdown.crash), code).toMatch(/ImportError|ModuleNotFoundError|PolicyError/);
    }
    await answersNormally('python');
  });

  it('cannot fake its reward or tamper with later samples: the policy refuses such code before it runs', async () => {
    const tests = ['assert f(1) == 2', 'assert f(2) == 3'];
    const tampering = [
      // replace the function that used to build the reply
      'import json\n_d = json.dumps\njson.dumps = lambda r, *a, **k: _d(dict(r, testsPassed=r["testsTotal"]))\ndef f(x):\n    return 0',
      // an object equal to everything passes any == assert
      'class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return A()',
      // reach the harness's frame through a generator or a traceback
      'g = (i for i in [1])\ndef f(x):\n    return g.gi_frame',
      'try:\n    1/0\nexcept Exception as e:\n    t = e.__traceback__\ndef f(x):\n    return 0',
      'import sys\nh = sys._getframe(0)\ndef f(x):\n    return 0',
      'import gc\ndef f(x):\n    return 0',
      // change a module that later samples use
      'import math\nmath.floor = lambda x: 0\ndef f(x):\n    return x + 1',
      'def f(x):\n    return getattr(x, "real") + 1',
      'def f(x):\n    return eval("x + 1")',
    ];
    for (const code of tampering) {
      const r = await py(code, { tests });
      expect(r.reward, code).toBe(0.3);
      expect(String(r.breakdown.crash), code).toMatch(/not allowed in the verifier/);
    }
    // the same asserts still grade an honest sample, and math is untouched
    expect(await py('import math\ndef f(x):\n    return math.floor(x + 1.5)', { tests })).toMatchObject({ reward: 1 });
    expect(await py('def f(x):\n    return x', { tests })).toMatchObject({ reward: 0.7, breakdown: { testsPassed: 0 } });
  });

  it('undoing the import blocker does not help: the JS modules are unregistered and code generation is off', async () => {
    const undo = 'import sys\nsys.meta_path.pop(0)\nfor k in list(sys.modules):\n    if sys.modules[k] is None:\n        del sys.modules[k]\n';
    for (const attempt of ['import pyodide_js\nprint(pyodide_js.mountNodeFS)', 'import js\nprint(js)']) {
      const r = await py(undo + attempt);
      expect(r.reward, attempt).toBe(0.3);
      expect(String(r.breakdown.crash), attempt).toMatch(/ModuleNotFoundError|not allowed in the verifier/);
    }
    // files of the host are not visible (Pyodide's in-memory file system only)
    const files = await py(`print(open(${JSON.stringify(process.cwd() + '/package.json')}).read())`);
    expect(files).toMatchObject({ reward: 0.3, breakdown: { crash: expect.stringMatching(/open is not allowed/) } });
    const viaIo = await py(`import io\nprint(io.open(${JSON.stringify(process.cwd() + '/package.json')}).read())`);
    expect(viaIo).toMatchObject({ reward: 0.3, breakdown: { crash: expect.stringMatching(/FileNotFoundError/) } });
    await answersNormally('python');
  });

  it('1 MB of output is capped and flagged truncated, and never counts as correct', async () => {
    const r = await py('print("x" * 1_000_000)', { expectedStdout: 'x'.repeat(1_000_000) });
    expect(r).toMatchObject({ reward: 0.7, breakdown: { truncated: true, stage: 'wrong-output' } });
    expect(String(r.breakdown.stdout).length).toBeLessThanOrEqual(2100); // the breakdown keeps a short excerpt
    const loud = await py('import sys\nfor i in range(200000):\n    sys.stderr.write("e" * 10)\nprint("ok")', { expectedStdout: 'ok' });
    expect(loud).toMatchObject({ reward: 1, breakdown: { truncated: true } });
    await answersNormally('python');
  });
});

describe('C verifier (clang -> wasm32-wasip1, WASI shim), hostile samples', () => {
  it('the clean path: compiles clean 0.5 (crash), runs 0.7, correct 1.0', async () => {
    await answersNormally('c');
    expect(await c('int main(void) { return 4; }')).toMatchObject({ reward: 0.5, breakdown: { compiled: true, warnings: 0, stage: 'crashed', crash: 'exit code 4' } });
    expect(await c(HELLO_C, { stdin: '1', expectedStdout: '3' })).toMatchObject({ reward: 0.7, breakdown: { stage: 'wrong-output', stdout: '2\n' } });
    expect((await c(HELLO_C, { stdin: '1' })).breakdown).toMatchObject({ stage: 'ran', checked: false });
  });

  it('warnings: 0.3 when it does not run through, with the first diagnostic in the breakdown', async () => {
    const r = await c('int main(void) {\n  int unused;\n  return 1;\n}\n');
    expect(r).toMatchObject({ reward: 0.3, breakdown: { compiled: true, warnings: 1, errors: 0, stage: 'crashed' } });
    expect(String(r.breakdown.diagnostics).split('\n')[0]).toMatch(/^main\.c:2:7: warning: unused variable 'unused'/);
  });

  it('a syntax error is 0 with the error in the breakdown; an empty completion is 0', async () => {
    const r = await c('int main(void) { return 0 }\n');
    expect(r).toMatchObject({ reward: 0, breakdown: { compiled: false, stage: 'compile-error' } });
    expect(String(r.breakdown.diagnostics)).toMatch(/^main\.c:1:\d+: error: expected ';'/);
    expect(await c('')).toMatchObject({ reward: 0, breakdown: { stage: 'empty' } });
    expect((await c('\n  \n')).reward).toBe(0);
    await answersNormally('c');
  });

  it('while(1){} times out (0.5), the runner is replaced, the next sample verifies normally', async () => {
    const started = v.c.runners.started;
    const r = await c('int main(void) { while (1) {} }\n');
    expect(r).toMatchObject({ reward: 0.5, breakdown: { stage: 'timeout', timeout: true, ran: false } });
    expect(Number(r.breakdown.runMs)).toBeGreaterThanOrEqual(LIMIT);
    await answersNormally('c');
    expect(v.c.runners.started).toBe(started + 1);
  });

  it('int main(){ return *(int*)0; } runs (wasm has a readable page 0): 0.7', async () => {
    expect(await c('int main(){ return *(int*)0; }\n')).toMatchObject({ reward: 0.7, breakdown: { exitCode: 0, stage: 'ran' } });
    // a store far out of bounds traps: crashed, 0.5
    const trap = await c('int main(void) { volatile int *p = (int *)0xFFFFFFF0u; *p = 1; return 0; }\n');
    expect(trap).toMatchObject({ reward: 0.5, breakdown: { stage: 'crashed', ran: false } });
    expect(String(trap.breakdown.crash)).toMatch(/RuntimeError/);
    await answersNormally('c');
  });

  it('10^9-element allocations: malloc returns NULL (0.5), a static array makes clang run out of memory (0)', async () => {
    const checked = '#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n  int *p = malloc(sizeof(int) * 1000000000);\n  if (!p) { puts("no memory"); return 1; }\n  p[999999999] = 1;\n  return 0;\n}\n';
    expect(await c(checked)).toMatchObject({ reward: 0.5, breakdown: { stage: 'crashed', crash: 'exit code 1', stdout: 'no memory\n' } });
    const unchecked = '#include <stdlib.h>\nint main(void) {\n  int *p = malloc(sizeof(int) * 1000000000);\n  p[999999999] = 1;\n  return p[0];\n}\n';
    expect(await c(unchecked)).toMatchObject({ reward: 0.5, breakdown: { stage: 'crashed' } });
    const started = v.c.compiler.started;
    const big = await c('static int big[1000000000];\nint main(void) { big[999999999] = 1; return big[5]; }\n');
    expect(big).toMatchObject({ reward: 0, breakdown: { compiled: false } });
    expect(String(big.breakdown.diagnostics ?? big.breakdown.stage)).toMatch(/out of memory|compile-timeout/);
    expect(v.c.compiler.started).toBe(started + 1); // the compiler was replaced
    await answersNormally('c');
  });

  it('1 MB of output is capped and flagged truncated', async () => {
    const r = await c('#include <stdio.h>\nint main(void) { for (int i = 0; i < 20000; i++) puts("0123456789012345678901234567890123456789012345678"); return 0; }\n');
    expect(r).toMatchObject({ reward: 0.7, breakdown: { truncated: true, exitCode: 0 } });
    await answersNormally('c');
  });
});

describe('verifyMany', () => {
  it('returns results in job order, across languages', async () => {
    const jobs = [
      { lang: 'c' as const, code: '#include <stdio.h>\nint main(void) { puts("c0"); return 0; }\n', expectedStdout: 'c0' },
      { lang: 'python' as const, code: 'print("p1")', expectedStdout: 'p1' },
      { lang: 'python' as const, code: 'def f(:' },
      { lang: 'c' as const, code: '#include <stdio.h>\nint main(void) { puts("c3"); return 0; }\n', expectedStdout: 'c3' },
      { lang: 'python' as const, code: 'import time\ntime.sleep(0.2)\nprint("p4")', expectedStdout: 'p4' },
      { lang: 'python' as const, code: 'print("p5")', expectedStdout: 'p5' },
    ];
    const out = await v.verifyMany(jobs);
    expect(out.map((r) => r.reward)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(out.map((r) => r.breakdown.stdout ?? null)).toEqual(['c0\n', 'p1\n', '', 'c3\n', 'p4\n', 'p5\n']);
  });

  it('a looping sample does not stall the others: with 2 workers the quick ones finish before its time limit', async () => {
    await v.python.pool.warm(); // both workers ready (earlier timeouts replaced some)
    const loopMs = 4000;
    const t0 = performance.now();
    const at: number[] = [];
    const jobs = [
      { lang: 'python' as const, code: 'while True:\n    pass', timeoutMs: loopMs },
      ...Array.from({ length: 5 }, (_, i) => ({ lang: 'python' as const, code: `print(${i} * ${i})`, expectedStdout: String(i * i) })),
    ];
    const out = await Promise.all(jobs.map((j, i) => v.verify(j).then((r) => ((at[i] = performance.now() - t0), r))));
    expect(out[0]).toMatchObject({ reward: 0.3, breakdown: { stage: 'timeout' } });
    expect(out.slice(1).map((r) => r.reward)).toEqual([1, 1, 1, 1, 1]);
    expect(at[0]!).toBeGreaterThanOrEqual(loopMs);
    for (const t of at.slice(1)) expect(t).toBeLessThan(loopMs);
    // the same in C: one looping program, the quick ones compile and run meanwhile on the other runner
    const cJobs = [
      { lang: 'c' as const, code: 'int main(void) { for (;;) {} }', timeoutMs: loopMs },
      ...Array.from({ length: 3 }, (_, i) => ({ lang: 'c' as const, code: `#include <stdio.h>\nint main(void) { printf("%d\\n", ${i} + 1); return 0; }`, expectedStdout: String(i + 1) })),
    ];
    const cOut = await Promise.all(cJobs.map((j) => v.verify(j)));
    expect(cOut.map((r) => r.reward)).toEqual([0.5, 1, 1, 1]);
    expect(cOut[0]!.breakdown.stage).toBe('timeout');
    // compiles are serial (one warm compiler) and share the CPU with the loop, so the clock of a quick job is its
    // run: it never waited for the looping runner
    for (const r of cOut.slice(1)) expect(Number(r.breakdown.runMs)).toBeLessThan(loopMs / 2);
    expect(Number(cOut[0]!.breakdown.runMs)).toBeGreaterThanOrEqual(loopMs);
  });
});

it('the default output cap is 64 kB', () => {
  expect(OUTPUT_CAP_BYTES).toBe(64 * 1024);
});
