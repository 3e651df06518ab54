import { describe, expect, it } from 'vitest';
import { arithmeticCorpus, arithmeticReward, createArithmeticTask, ARITHMETIC_PRETRAIN_SEED } from '../src/core/tasks/arithmetic/index';
import { MISTAKE_RATE, OPS, parseProblem, pythonResult, typicalMistakes, type Op } from '../src/core/tasks/arithmetic/problems';
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

  it('keeps the held-out text out of the corpus and both prompt sets, and eval prompts out of the training prompts', () => {
    const task = createArithmeticTask();
    const corpusProblems = new Set(arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED, 30000).map((l) => l.slice(0, l.lastIndexOf('=') + 1)));
    const heldOutText = task.heldOutText.map((l) => l.slice(0, l.lastIndexOf('=') + 1));
    for (const p of heldOutText) {
      expect(corpusProblems.has(p)).toBe(false);
      expect(task.trainPrompts.includes(p)).toBe(false);
      expect(task.evalPrompts.includes(p)).toBe(false);
    }
    for (const p of task.evalPrompts) expect(task.trainPrompts.includes(p)).toBe(false);
    expect(task.passThreshold).toBe(1);
    expect(new Set(task.trainPrompts).size).toBe(task.trainPrompts.length);
  });

  it('writes the corpus as a sloppy student: about MISTAKE_RATE of the answers are typical mistakes', () => {
    const lines = arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED, 4000);
    let wrong = 0;
    for (const line of lines) {
      const at = line.lastIndexOf('=');
      const p = parseProblem(line.slice(0, at + 1))!;
      const answer = BigInt(line.slice(at + 1).trim());
      const right = pythonResult(BigInt(p.a), p.op, BigInt(p.b));
      if (answer !== right) {
        wrong++;
        expect(typicalMistakes(p)).toContain(answer);
      }
    }
    // a mistake can coincide with the right answer (e.g. 0 * b), so slightly fewer lines are wrong
    expect(wrong / lines.length).toBeGreaterThan(MISTAKE_RATE - 0.08);
    expect(wrong / lines.length).toBeLessThan(MISTAKE_RATE + 0.03);
  });
});
