// Python rewards of custom tasks against the real Node verifiers (Pyodide in worker threads): TRL's batch signature
// and the per-sample form with rows, the check before a run, and hostile reward code, each contained: the run goes
// on, the errors are counted per cycle with their first message and traceback, and the worker answers the next batch.
import { afterAll, describe, expect, it } from 'vitest';
import { RaftEngine, RewardFailureError } from '../src/core/raft/engine';
import { parseTaskDocument, taskDocumentJson, TaskDocumentError } from '../src/core/tasks/custom/document';
import { checkCustomTask, createCustomTask } from '../src/core/tasks/custom/task';
import { createNodeVerifiers } from '../src/node/verify/index';
import { charTokenizer, tinyConfig, tinyModel } from './helpers';

const verifier = createNodeVerifiers();
afterAll(() => verifier.dispose());

const PROMPTS = [{ prompt: 'the cat', topic: 'a' }, { prompt: 'a dog', topic: 'o' }, { prompt: 'my hat', topic: 'e' }, { prompt: 'so far', topic: 'i' }];
const docOf = (code: string, timeLimitMs = 5000) => parseTaskDocument({
  raftlabTask: 1, name: 'python reward', prompts: PROMPTS, evalPrompts: [{ prompt: 'one day', topic: 'a' }], reward: { kind: 'python', code, timeLimitMs },
});
const score = (code: string, completions: string[], timeLimitMs = 5000) => verifier.pythonReward!({
  code, mode: 'score', prompts: completions.map(() => 'p'), completions, rows: completions.map((_, i) => ({ topic: 'abc'[i % 3] })), timeoutMs: timeLimitMs,
});

/** Two cycles of RAFT on the tiny model with this reward: the stats of cycles 0-2 (13 samples in each training cycle). */
async function run(code: string, over: Record<string, unknown> = {}, timeLimitMs = 5000) {
  const doc = docOf(code, timeLimitMs);
  await checkCustomTask(doc, { verifier });
  const task = createCustomTask(doc, { verifier, heldOutText: () => ['a cat sat on a mat.'] });
  const engine = new RaftEngine({ model: tinyModel(3), tokenizer: charTokenizer, task, config: tinyConfig({ task: 'custom', taskDoc: taskDocumentJson(doc), ...over }) });
  try {
    const stats = [];
    for (let c = 0; c <= 2; c++) stats.push((await engine.runCycle()).stats);
    return stats;
  } finally {
    engine.dispose();
  }
}

describe('Python rewards (TRL signature)', () => {
  it('batch form: reward(prompts, completions, **kwargs) gets the rows\' fields as lists', async () => {
    const o = await score('def reward(prompts, completions, topic, **kwargs):\n    return [float(t in c) for c, t in zip(completions, topic)]', ['xa', 'xa', 'cc']);
    expect(o.error).toBeNull();
    expect(o.style).toBe('batch');
    expect(o.items).toEqual([{ reward: 1, breakdown: {} }, { reward: 0, breakdown: {} }, { reward: 1, breakdown: {} }]);
  });

  it('per-sample form: reward(prompt, completion, **row) -> float or a dict with a breakdown', async () => {
    const o = await score('import re, json\ndef reward(prompt, completion, topic):\n    n = len(re.findall(topic, completion))\n    return {"reward": min(1, n / 2), "hits": n, "why": json.dumps([topic])}', ['aaa', 'b', 'x']);
    expect(o.error).toBeNull();
    expect(o.style).toBe('per-sample');
    expect(o.items).toEqual([{ reward: 1, breakdown: { hits: 3, why: '["a"]' } }, { reward: 0.5, breakdown: { hits: 1, why: '["b"]' } }, { reward: 0, breakdown: { hits: 0, why: '["c"]' } }]);
  });

  it('refuses before the run: a syntax error, no reward(), the wrong signature, the sandbox\'s policy', async () => {
    const refused = async (code: string) => {
      const e = await checkCustomTask(docOf(code), { verifier }).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(TaskDocumentError);
      return (e as Error).message;
    };
    expect(await refused('def reward(prompts, completions:\n    return []')).toMatch(/does not compile: SyntaxError/);
    expect(await refused('def score(prompts, completions):\n    return []')).toMatch(/defines no top-level function reward/);
    expect(await refused('def reward(x, y):\n    return 1')).toMatch(/must take completions/);
    expect(await refused('def reward(prompt, completion):\n    return ().__class__')).toMatch(/PolicyError: attribute .__class__/);
    expect(await refused('def reward(prompt, completion):\n    return eval("1")')).toMatch(/PolicyError: eval/);
    await expect(checkCustomTask(docOf('def reward(prompt, completion):\n    return 1.0'), { verifier })).resolves.toBeUndefined();
  });
});

describe('hostile reward code is contained: the run goes on and the errors are counted', () => {
  it('an exception on every third sample: exactly those fail, with message and traceback', { timeout: 60_000 }, async () => {
    const stats = await run('n = [0]\ndef reward(prompt, completion, **row):\n    n[0] += 1\n    if n[0] % 3 == 0:\n        raise ValueError("every third")\n    return 0.5');
    // cycle 0: 2 eval samples (1 prompt x 2); cycles 1-2: 9 training samples (one batch) + 2 eval samples
    expect(stats.map((s) => s.rewardErrors)).toEqual([0, 3, 3]);
    expect(stats[1]!.rewardError).toMatch(/ValueError: every third[\s\S]*line 5, in reward/);
    expect(stats[2]!.evalReward).toBe(0.5);
  });

  it('an infinite loop: the batch that loops loses its worker after the time limit; the others score', { timeout: 120_000 }, async () => {
    const stats = await run('def reward(prompt, completion, **row):\n    while sum(map(ord, completion)) % 5 == 0:\n        pass\n    return 1.0', { rewardChunk: 1 }, 400);
    const errors = stats.reduce((n, s) => n + (s.rewardErrors ?? 0), 0);
    expect(errors).toBeGreaterThan(0);
    expect(stats.some((s) => /longer than its time limit \(400 ms/.test(s.rewardError ?? ''))).toBe(true);
    expect(stats[2]!.rewardMax).toBe(1);
    const after = await score('def reward(prompt, completion):\n    return 0.25', ['x']);
    expect(after.items).toEqual([{ reward: 0.25, breakdown: {} }]);
  });

  it('a 10^9-element list, import js, NaN, 7.0 and a string are errors of their samples', { timeout: 120_000 }, async () => {
    const cases: Array<[string, RegExp]> = [
      ['x = [0] * 10**9\n        return 1.0', /MemoryError|worker died/],
      ['import js\n        return 1.0', /ImportError: import of js is not allowed/],
      ['return float("nan")', /not finite \(got nan\)/],
      ['return 7.0', /outside \[0, 1\] \(got 7.0\)/],
      ['return "0.5"', /not a number \(got str\)/],
    ];
    for (const [bad, message] of cases) {
      const code = `def reward(prompt, completion, **row):\n    if len(completion) % 3 == 0:\n        ${bad}\n    return 0.5`;
      const stats = await run(code, { rewardChunk: 4 });
      const errors = stats.reduce((n, s) => n + (s.rewardErrors ?? 0), 0);
      expect(errors, bad).toBeGreaterThan(0);
      expect(stats.find((s) => s.rewardError)!.rewardError, bad).toMatch(message);
      expect(stats).toHaveLength(3);
    }
  });

  it('10 MB of output is capped, and a 10 MB string result is an error with a short message', { timeout: 60_000 }, async () => {
    const printed = await score('def reward(prompt, completion):\n    print("x" * 10_000_000)\n    return 1.0', ['a', 'b']);
    expect(printed.error).toBeNull();
    expect(printed.items).toEqual([{ reward: 1, breakdown: {} }, { reward: 1, breakdown: {} }]);
    expect(printed.stdout.length).toBeLessThanOrEqual(64 * 1024);
    const big = await score('def reward(prompt, completion):\n    return "y" * 10_000_000', ['a']);
    expect(big.items[0]).toMatchObject({ error: 'TypeError: the reward is not a number (got str)' });
  });

  it('when most of a cycle\'s samples fail, the run stops (resumable) with the first message', { timeout: 60_000 }, async () => {
    const e = await run('def reward(prompt, completion):\n    return {"score": 1}').then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(RewardFailureError);
    expect((e as Error).message).toMatch(/cycle 0: the reward failed for 2 of 2 samples \(first: Python reward: ValueError: a dict the reward returns needs a 'reward' key/);
  });
});
