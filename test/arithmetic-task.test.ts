import { describe, expect, it } from 'vitest';
import { arithmeticCorpus, arithmeticReward, createArithmeticTask, ARITHMETIC_PRETRAIN_SEED } from '../src/core/tasks/arithmetic/index';
import { OPS, pythonResult, type Op } from '../src/core/tasks/arithmetic/problems';
import { Rng } from '../src/core/rng';

describe('arithmetic task', () => {
  it('computes answers with Python\'s semantics (checked against Pyodide)', async () => {
    const rng = new Rng(9);
    const cases: Array<[bigint, Op, bigint]> = [];
    for (let i = 0; i < 200; i++) {
      const op = rng.pick(OPS);
      const b = BigInt(rng.int(41) - 20);
      cases.push([BigInt(rng.int(201) - 100), op, (op === '//' || op === '%') && b === 0n ? 7n : b]);
    }
    // hand-checked Python facts first
    expect(pythonResult(-7n, '//', 2n)).toBe(-4n);
    expect(pythonResult(-7n, '%', 2n)).toBe(1n);
    expect(pythonResult(7n, '%', -2n)).toBe(-1n);
    expect(() => pythonResult(1n, '//', 0n)).toThrow(/ZeroDivisionError/);
    const { loadPyodide } = await import('pyodide');
    const py = await loadPyodide({ jsglobals: {} });
    const exprs = cases.map(([a, op, b]) => `(${a}) ${op} (${b})`).join(', ');
    const fromPython = String(py.runPython(`' '.join(str(x) for x in [${exprs}])`)).split(' ');
    expect(cases.map(([a, op, b]) => pythonResult(a, op, b).toString())).toEqual(fromPython);
  }, 60_000);

  it('rewards exactly the right integer', () => {
    expect(arithmeticReward('12 + 7 =', ' 19').reward).toBe(1);
    expect(arithmeticReward('12 + 7 =', ' 18').reward).toBe(0);
    expect(arithmeticReward('3 - 9 =', ' -6').reward).toBe(1);
    expect(arithmeticReward('17 // 5 =', ' 3').reward).toBe(1);
    expect(arithmeticReward('17 % 5 =', '2').reward).toBe(1);
    expect(arithmeticReward('12 + 7 =', ' 19 + 1').reward).toBe(0);
    expect(arithmeticReward('12 + 7 =', '').reward).toBe(0);
    expect(arithmeticReward('not a problem', ' 1').breakdown).toMatchObject({ error: 'prompt is not an arithmetic problem' });
    expect(arithmeticReward('12 + 7 =', ' 19').breakdown).toMatchObject({ expected: '19', correct: true });
  });

  it('keeps held-out problems out of the corpus and the training prompts', () => {
    const task = createArithmeticTask();
    const corpusProblems = new Set(arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED, 30000).map((l) => l.slice(0, l.lastIndexOf('=') + 1)));
    const heldOut = [...task.evalPrompts, ...task.heldOutText.map((l) => l.slice(0, l.lastIndexOf('=') + 1))];
    for (const p of heldOut) {
      expect(corpusProblems.has(p)).toBe(false);
      expect(task.trainPrompts.includes(p)).toBe(false);
    }
    expect(task.passThreshold).toBe(1);
    expect(new Set(task.trainPrompts).size).toBe(task.trainPrompts.length);
  });
});
