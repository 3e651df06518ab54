import { afterAll, describe, expect, it } from 'vitest';
import { createTask, taskNeedsVerifier } from '../src/core/tasks/registry';
import {
  createPythonFunctionsTask,
  pythonFunctionsCorpus,
  pythonFunctionsJob,
  pythonFunctionsSplit,
  PYTHON_FUNCTIONS_PRETRAIN_SEED,
} from '../src/core/tasks/python-functions/index';
import {
  allProblems,
  FAMILY_IDS,
  floorDiv,
  parseProblem,
  problemTests,
  promptText,
  pyMod,
  pyRepr,
  referenceCompletions,
} from '../src/core/tasks/python-functions/problems';
import type { Verifier } from '../src/core/verify/types';
import { loadTokenizer } from '../src/node/model-files';
import { createNodeVerifiers } from '../src/node/verify/index';

/** A verifier that must not be called (tests of the task's texts). */
const unused: Verifier = {
  verify: () => Promise.reject(new Error('not expected')),
  verifyMany: () => Promise.reject(new Error('not expected')),
  dispose: async () => undefined,
};

const promptOf = (doc: string) => doc.slice(0, doc.indexOf('"""', doc.indexOf('"""') + 3) + 3);

describe('python-functions problems', () => {
  it('is deterministic: prompts, asserts, corpus', () => {
    const a = createPythonFunctionsTask({ verifier: unused });
    const b = createPythonFunctionsTask({ verifier: unused });
    expect(a.trainPrompts).toEqual(b.trainPrompts);
    expect(a.evalPrompts).toEqual(b.evalPrompts);
    expect(a.heldOutText).toEqual(b.heldOutText);
    expect(a.demonstrations).toEqual(b.demonstrations);
    const p = parseProblem(a.evalPrompts[0]!)!;
    expect(problemTests(p)).toEqual(problemTests({ ...p }));
    expect(pythonFunctionsCorpus(7, 50)).toEqual(pythonFunctionsCorpus(7, 50));
    expect(pythonFunctionsCorpus(7, 50)).not.toEqual(pythonFunctionsCorpus(8, 50));
  });

  it('parses every prompt back to its problem, and has distinct prompts', () => {
    const all = allProblems();
    expect(new Set(all.map(promptText)).size).toBe(all.length);
    for (const p of all) expect(parseProblem(promptText(p))).toEqual(p);
    expect(parseProblem('def f(x):\n    """Do something."""')).toBeNull();
    expect(parseProblem('12 + 7 =')).toBeNull();
  });

  it('keeps held-out problems out of the corpus, the training prompts and the demonstrations', () => {
    const task = createPythonFunctionsTask({ verifier: unused });
    const heldOut = new Set(task.evalPrompts);
    expect(heldOut.size).toBe(task.evalPrompts.length);
    expect(task.evalPrompts.length).toBeGreaterThanOrEqual(FAMILY_IDS.length * 2);
    // every family is held out, and the first 64 eval prompts (the default) cover every family
    const famOf = (t: string) => parseProblem(t)!.family;
    expect(new Set(task.evalPrompts.slice(0, 64).map(famOf)).size).toBe(FAMILY_IDS.length);
    const corpus = pythonFunctionsCorpus(PYTHON_FUNCTIONS_PRETRAIN_SEED, 20000);
    for (const doc of corpus) expect(heldOut.has(promptOf(doc))).toBe(false);
    for (const p of task.trainPrompts) expect(heldOut.has(p)).toBe(false);
    for (const d of task.demonstrations!) expect(heldOut.has(d.prompt)).toBe(false);
    for (const t of task.heldOutText) expect(heldOut.has(promptOf(t))).toBe(true);
    expect(new Set(task.trainPrompts).size).toBe(task.trainPrompts.length);
    // every training family appears in the corpus
    expect(new Set(corpus.map((d) => famOf(promptOf(d)))).size).toBe(FAMILY_IDS.length);
    expect(pythonFunctionsSplit().trainByFamily.every((f) => f.length > 0)).toBe(true);
    expect(task.passThreshold).toBe(1);
  });

  it('computes expected values with Python semantics', () => {
    expect(floorDiv(-7, 2)).toBe(-4);
    expect(pyMod(-7, 2)).toBe(1);
    expect(pyMod(-28, 9)).toBe(8);
    expect(pyRepr([1, -2])).toBe('[1, -2]');
    expect(pyRepr(true)).toBe('True');
    expect(pyRepr('ab')).toBe("'ab'");
    const p = parseProblem('def floor_div_2(x):\n    """Return x divided by 2, rounded down."""')!;
    for (const t of problemTests(p)) expect(t).toMatch(/^assert floor_div_2\(-?\d+\) == -?\d+$/);
  });

  it('asks for a verifier', () => {
    expect(taskNeedsVerifier('python-functions')).toBe(true);
    expect(() => createTask('python-functions')).toThrow(/verifier/);
  });

  it('keeps prompts and completions short with the task tokenizer', async () => {
    const tok = await loadTokenizer('python-functions');
    for (const p of allProblems()) {
      const prompt = tok.encode(promptText(p));
      expect(prompt.length).toBeLessThanOrEqual(32); // blockSize 80 - maxNewTokens 48
      for (const c of referenceCompletions(p)) {
        const completion = tok.encode(c);
        expect(completion.length).toBeLessThanOrEqual(30);
        // the prompt/completion boundary is a token boundary: RAFT prompts tokenize as in pre-training
        expect(tok.encode(promptText(p) + c)).toEqual([...prompt, ...completion]);
      }
    }
  });
});

describe('python-functions rewards in Pyodide', () => {
  const verifier = createNodeVerifiers();
  afterAll(() => verifier.dispose());
  const task = createPythonFunctionsTask({ verifier });

  it('passes every assert with every reference solution (a sample of problems from every family)', async () => {
    const split = pythonFunctionsSplit();
    const items: Array<{ prompt: string; completion: string }> = [];
    for (const fam of split.trainByFamily) {
      for (const p of [fam[0]!, fam[fam.length - 1]!]) for (const c of referenceCompletions(p)) items.push({ prompt: promptText(p), completion: c });
    }
    for (const t of task.evalPrompts.slice(0, 40)) items.push({ prompt: t, completion: referenceCompletions(parseProblem(t)!)[0]! });
    const results = await task.rewardMany!(items);
    const failed = results.map((r, i) => ({ r, item: items[i]! })).filter(({ r }) => r.reward !== 1);
    expect(failed.map(({ r, item }) => ({ code: item.prompt + item.completion, tests: pythonFunctionsJob(item.prompt, item.completion)!.tests, breakdown: r.breakdown }))).toEqual([]);
  }, 240_000);

  it('scores a wrong body below 1, a crash 0.3, a syntax error 0, a docstring-only body 0.7', async () => {
    const prompt = 'def add_5(x):\n    """Return x plus 5."""';
    const [right, wrong, crash, syntax, empty, unknown] = await task.rewardMany!([
      { prompt, completion: '\n    return x + 5' },
      { prompt, completion: '\n    return x + 4' },
      { prompt, completion: '\n    return x + 5\nraise ValueError("no")' },
      { prompt, completion: '\n    return (x +' },
      { prompt, completion: '' },
      { prompt: 'def f(x):\n    """Do something."""', completion: '\n    return x' },
    ]);
    expect(right!.reward).toBe(1);
    expect(wrong!.reward).toBeGreaterThanOrEqual(0.7);
    expect(wrong!.reward).toBeLessThan(1);
    expect(crash!.reward).toBe(0.3);
    expect(syntax!.reward).toBe(0);
    // the docstring alone is a valid body returning None: it runs, and fails its asserts
    expect(empty!.reward).toBe(0.7);
    expect(unknown!.reward).toBe(0);
    expect(await task.reward(prompt, '\n    return x + 5')).toMatchObject({ reward: 1 });
  }, 120_000);
});
