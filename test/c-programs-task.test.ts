import { afterAll, describe, expect, it } from 'vitest';
import {
  C_PROGRAMS_PRETRAIN_SEED,
  cProgramsCorpus,
  cProgramsHeldOutText,
  cProgramsJob,
  createCProgramsTask,
  heldOutProblems,
} from '../src/core/tasks/c-programs/index';
import {
  allProblems,
  expectedStdout,
  FAMILY_IDS,
  parsePrompt,
  problemKey,
  promptText,
  referenceCompletion,
  styleCount,
  type Problem,
} from '../src/core/tasks/c-programs/problems';
import { createTask, pretrainRecipe, taskNeedsVerifier } from '../src/core/tasks/registry';
import type { Verifier } from '../src/core/verify/types';
import { loadTokenizer } from '../src/node/model-files';
import { createNodeVerifiers } from '../src/node/verify/index';

/** Offline checks do not run code: a verifier that must not be called. */
const noVerifier: Verifier = {
  verify: () => Promise.reject(new Error('not used')),
  verifyMany: () => Promise.reject(new Error('not used')),
  dispose: async () => undefined,
};

const promptOf = (doc: string) => doc.slice(0, doc.indexOf('{') + 1);

describe('c-programs task (offline)', () => {
  it('caches each program\'s result, except a wall-clock timeout, which runs again next time', async () => {
    const calls: string[] = [];
    let stage = 'timeout';
    const fake: Verifier = {
      verify: async (job) => {
        calls.push(job.code);
        return { reward: stage === 'timeout' ? 0.5 : 1, breakdown: { stage } };
      },
      verifyMany: () => Promise.reject(new Error('not used')),
      dispose: async () => undefined,
    };
    const task = createCProgramsTask(fake);
    const prompt = task.trainPrompts[0]!;
    const item = { prompt, completion: ' return 0; }' };
    expect((await task.rewardMany!([item]))[0]!.breakdown!.stage).toBe('timeout');
    await Promise.resolve();
    stage = 'correct';
    const again = (await task.rewardMany!([item]))[0]!;
    expect(again.breakdown).toEqual({ stage: 'correct' }); // ran again: the timeout was not kept
    const third = (await task.rewardMany!([item]))[0]!;
    expect(third.breakdown).toEqual({ stage: 'correct', cached: true }); // a real result is kept
    expect(calls).toHaveLength(2);
  });

  it('is deterministic', () => {
    const a = createCProgramsTask(noVerifier);
    const b = createCProgramsTask(noVerifier);
    expect(a.trainPrompts).toEqual(b.trainPrompts);
    expect(a.evalPrompts).toEqual(b.evalPrompts);
    expect(a.heldOutText).toEqual(b.heldOutText);
    expect(a.demonstrations).toEqual(b.demonstrations);
    expect(cProgramsCorpus(5, 300)).toEqual(cProgramsCorpus(5, 300));
    expect(cProgramsCorpus(5, 300)).not.toEqual(cProgramsCorpus(6, 300));
    expect(a.passThreshold).toBe(1);
  });

  it('keeps held-out problems out of the corpus, the training prompts and the demonstrations', () => {
    const task = createCProgramsTask(noVerifier);
    const heldOut = new Set(task.evalPrompts);
    expect(heldOut.size).toBe(task.evalPrompts.length);
    // every family is held out (and evaluated)
    expect(new Set(heldOutProblems().map((p) => p.family))).toEqual(new Set(FAMILY_IDS));
    const recipe = pretrainRecipe('c-programs');
    for (const doc of recipe.corpus(recipe.seed)) expect(heldOut.has(promptOf(doc))).toBe(false);
    for (const p of task.trainPrompts) expect(heldOut.has(p)).toBe(false);
    for (const d of task.demonstrations!) expect(heldOut.has(d.prompt)).toBe(false);
    for (const text of task.heldOutText) expect(heldOut.has(promptOf(text))).toBe(true);
    expect(new Set(task.trainPrompts).size).toBe(task.trainPrompts.length);
  });

  it('parses every prompt back into its problem', () => {
    for (const id of FAMILY_IDS) {
      for (const p of allProblems(id)) expect(parsePrompt(promptText(p))).toEqual(p);
    }
    expect(parsePrompt('/* print 3 apples */\n#include <stdio.h>\nint main(void) {')).toBeNull();
    expect(parsePrompt('print the sum of 1 to 5')).toBeNull();
    expect(cProgramsJob('hello', '}')).toBeNull();
  });

  it('computes the expected output from the problem', () => {
    const out = (family: Problem['family'], ...args: number[]) => expectedStdout({ family, args });
    expect(out('sum', 10)).toBe('55\n');
    expect(out('sumsq', 3)).toBe('14\n');
    expect(out('fact', 5)).toBe('120\n');
    expect(out('count', 3, 6)).toBe('3\n4\n5\n6\n');
    expect(out('down', 4, 1)).toBe('4\n3\n2\n1\n');
    expect(out('squares', 4)).toBe('1\n4\n9\n16\n');
    expect(out('mult', 3, 4)).toBe('3 6 9 12\n');
    expect(out('evens', 9)).toBe('2 4 6 8\n');
    expect(out('odds', 7)).toBe('1 3 5\n');
    expect(out('line', 3)).toBe('***\n');
    expect(out('tri', 3)).toBe('*\n**\n***\n');
    expect(out('rect', 2, 4)).toBe('****\n****\n');
    expect(out('pow2', 3)).toBe('1 2 4 8\n');
    expect(promptText({ family: 'pow2', args: [3] })).toContain('up to 8 on one line');
    expect(out('times', 12, 11)).toBe('132\n');
    expect(out('plus', 12, 11)).toBe('23\n');
  });

  it('fits the embedded model: prompt + solution within the context, completions within maxNewTokens', async () => {
    const tokenizer = await loadTokenizer('c-programs');
    const { blockSize } = pretrainRecipe('c-programs').model;
    for (const doc of [...cProgramsCorpus(C_PROGRAMS_PRETRAIN_SEED, 2000), ...cProgramsHeldOutText()]) {
      const at = doc.indexOf('{') + 1;
      expect(tokenizer.encode(doc).length + 2).toBeLessThanOrEqual(blockSize + 1);
      expect(tokenizer.encode(doc.slice(at)).length).toBeLessThanOrEqual(48);
    }
  });

  it('is a verifier task', () => {
    expect(taskNeedsVerifier('c-programs')).toBe(true);
    expect(() => createTask('c-programs')).toThrow(/verifier/);
  });
});

describe('c-programs task (compiled and run)', () => {
  const verifiers = createNodeVerifiers();
  afterAll(() => verifiers.dispose());

  it('every reference solution style prints the expected output (reward 1)', async () => {
    const task = createCProgramsTask(verifiers);
    // two problems of every family (a held-out one and a corpus one), every style, with and without `return 0;`
    const corpus = cProgramsCorpus(C_PROGRAMS_PRETRAIN_SEED, 500).map((d) => parsePrompt(promptOf(d))!);
    const problems = FAMILY_IDS.flatMap((id) => [heldOutProblems().find((p) => p.family === id)!, corpus.find((p) => p.family === id)!]);
    const items = problems.flatMap((p) =>
      Array.from({ length: styleCount(p) }, (_, s) => ({ prompt: promptText(p), completion: referenceCompletion(p, s, s % 2 === 1) })),
    );
    const results = await task.rewardMany!(items);
    const failed = results
      .map((r, i) => ({ r, item: items[i]!, key: problemKey(parsePrompt(items[i]!.prompt)!) }))
      .filter(({ r }) => r.reward !== 1)
      .map(({ r, item, key }) => `${key}: ${r.reward} ${JSON.stringify(r.breakdown)}\n${item.prompt}${item.completion}`);
    expect(failed).toEqual([]);
  }, 300_000);

  it('scores wrong programs below 1 on the graduated scale', async () => {
    const task = createCProgramsTask(verifiers);
    const p: Problem = { family: 'sum', args: [10] };
    const prompt = promptText(p);
    const [offByOne, noSemicolon, warnsAndFails, failsClean, empty, right] = await task.rewardMany!([
      { prompt, completion: '\n int s = 0;\n for (int i = 1; i < 10; i++) s += i;\n printf("%d\\n", s);\n}' },
      { prompt, completion: '\n int s = 0\n printf("%d\\n", s);\n}' },
      { prompt, completion: '\n int s = 55, t;\n printf("%d\\n", s);\n return 1;\n}' },
      { prompt, completion: '\n printf("55\\n");\n return 1;\n}' },
      { prompt, completion: '' },
      { prompt, completion: referenceCompletion(p, 2) },
    ]);
    expect(offByOne!.reward).toBe(0.7);
    expect(offByOne!.breakdown).toMatchObject({ stage: 'wrong-output', stdout: '45\n', correct: false });
    expect(noSemicolon!.reward).toBe(0);
    expect(warnsAndFails!.reward).toBe(0.3); // -Wall: unused variable; exit code 1 counts as a crash
    expect(failsClean!.reward).toBe(0.5);
    expect(empty!.reward).toBe(0);
    expect(right!.reward).toBe(1);
    expect(await task.reward('/* not ours */', '}')).toMatchObject({ reward: 0 });
  }, 120_000);
});
