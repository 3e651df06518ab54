import { describe, expect, it } from 'vitest';
import { arithmeticCorpus, arithmeticReward, createArithmeticTask, ARITHMETIC_PRETRAIN_SEED } from '../src/core/tasks/arithmetic/index';
import { MISTAKE_RATE, MIXED_UP, OPS, parseAnswer, parseProblem, pythonResult, splitLine, typicalMistakes, type Op } from '../src/core/tasks/arithmetic/problems';
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

  it('rewards exactly the right final integer, with or without the working', () => {
    expect(arithmeticReward('12 - 7 =', ' 12 - 7 = 5').reward).toBe(1);
    expect(arithmeticReward('12 - 7 =', ' 12 + 7 = 19').reward).toBe(0);
    // only the final number counts, even when the working is inconsistent with it
    expect(arithmeticReward('12 - 7 =', ' 12 + 7 = 5').reward).toBe(1);
    expect(arithmeticReward('12 - 7 =', ' 12 - 7 = 5 = 5').reward).toBe(0);
    expect(arithmeticReward('12 - 7 =', ' 12 - 7 =').reward).toBe(0);
    expect(arithmeticReward('12 - 7 =', ' 12 - 7 = 5').breakdown).toMatchObject({ working: '12 - 7', answer: '5', correct: true });
    expect(parseAnswer(' 30 // 9 = 3')).toEqual({ working: '30 // 9', answer: '3' });
    expect(parseAnswer(' -6')).toEqual({ working: null, answer: '-6' });
    expect(parseAnswer(' 5 +')).toBeNull();
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
    const corpusProblems = new Set(arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED, 30000).map((l) => splitLine(l).prompt));
    const heldOutText = task.heldOutText.map((l) => splitLine(l).prompt);
    for (const p of heldOutText) {
      expect(corpusProblems.has(p)).toBe(false);
      expect(task.trainPrompts.includes(p)).toBe(false);
      expect(task.evalPrompts.includes(p)).toBe(false);
    }
    for (const p of task.evalPrompts) expect(task.trainPrompts.includes(p)).toBe(false);
    expect(task.passThreshold).toBe(1);
    // the demonstrations are worksheet lines (prompt, then working and answer), never from the held-out text
    for (const d of task.demonstrations!) {
      expect(parseProblem(d.prompt)).not.toBeNull();
      expect(parseAnswer(d.completion)?.working).toMatch(/^\d+ \S+ \d+$/);
      expect(heldOutText.includes(d.prompt)).toBe(false);
    }
    expect(new Set(task.trainPrompts).size).toBe(task.trainPrompts.length);
  });

  it('writes the corpus as a sloppy student: about MISTAKE_RATE of the lines copy the mixed-up operation', () => {
    const lines = arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED, 4000);
    let mixedUp = 0;
    for (const line of lines) {
      const { prompt, completion } = splitLine(line);
      const p = parseProblem(prompt)!;
      const m = /^ (\d+) (\S+) (\d+) = (-?\d+)$/.exec(completion)!;
      expect([Number(m[1]), Number(m[3])]).toEqual([p.a, p.b]);
      const used = m[2] as Op;
      expect([p.op, MIXED_UP[p.op]]).toContain(used);
      // the working is computed right: the mistake is only the copied operation
      expect(BigInt(m[4]!)).toBe(pythonResult(BigInt(p.a), used, BigInt(p.b)));
      if (used !== p.op) {
        mixedUp++;
        expect(typicalMistakes(p)).toContain(BigInt(m[4]!));
      }
    }
    expect(mixedUp / lines.length).toBeGreaterThan(MISTAKE_RATE - 0.03);
    expect(mixedUp / lines.length).toBeLessThan(MISTAKE_RATE + 0.03);
  });
});
