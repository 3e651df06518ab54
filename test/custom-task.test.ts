// Custom tasks as pure units: the task document (strict parsing, canonical form, limits), prompt files, the link
// form (round trip, size limits, damage, deflate bombs), built-in rewards, the held-out split, combined terms, and
// the schema's handling of task custom.
import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkConfig, DEFAULT_CONFIG, fieldOf, formatFieldValue, parseFieldValue, withTask, withTaskDoc } from '../src/core/config/schema';
import { decodeConfigHash, encodeConfigHash } from '../src/core/config/url';
import { decodeTaskLink, encodeTaskLink, MAX_TASK_LINK_CHARS } from '../src/core/config/task-link';
import { builtinScorer } from '../src/core/tasks/custom/builtins';
import { nestedQuantifier, parseTaskDocument, taskDocumentJson, type RewardTerm } from '../src/core/tasks/custom/document';
import { detectPromptFormat, parsePromptFile } from '../src/core/tasks/custom/prompts';
import { createCustomTask, splitRows } from '../src/core/tasks/custom/task';
import { cutAtStop } from '../src/core/lm/stop';
import { RaftEngine } from '../src/core/raft/engine';
import { charTokenizer, refusalOf, tinyConfig, tinyModel } from './helpers';

const doc = (over: Record<string, unknown> = {}) => ({
  raftlabTask: 1, name: 'mention a part', prompts: [{ prompt: 'the film', topic: 'plot' }, 'the cast', 'a story', 'we saw'], reward: { kind: 'builtin', name: 'json' }, ...over,
});
const problem = (v: unknown) => refusalOf(parseTaskDocument, v);

describe('task document', () => {
  it('fills the defaults and is canonical: parse(serialize(doc)) serializes the same', () => {
    const d = parseTaskDocument(doc());
    expect(d.prompts[0]).toEqual({ prompt: 'the film', topic: 'plot' });
    expect(d.prompts[1]).toEqual({ prompt: 'the cast' });
    expect(d.reward.terms).toEqual([{ kind: 'builtin', name: 'json', weight: 1 }]);
    expect(d.generation).toEqual({ maxNewTokens: 48, stop: [] });
    expect(d.embeddedModel).toBe('sentiment');
    expect(d.evalFraction).toBe(0.2);
    const json = taskDocumentJson(d);
    expect(taskDocumentJson(parseTaskDocument(json))).toBe(json);
  });

  it('names the first problem with its path', () => {
    expect(problem('{not json')).toMatch(/not valid JSON/);
    expect(problem(doc({ raftlabTask: 2 }))).toMatch(/raftlabTask must be 1.*newer RAFT Lab/);
    expect(problem(doc({ prompts: [{ prompt: 'a' }, { prompt: 7 }] }))).toBe('prompts[1].prompt must be a string');
    expect(problem(doc({ prompts: [{ prompt: 'a', completions: 1 }, 'b'] }))).toMatch(/prompts\[0\]\.completions is a name the reward itself takes/);
    expect(problem(doc({ prompts: [{ prompt: 'a', 'bad key': 1 }, 'b'] }))).toMatch(/not a field name/);
    expect(problem(doc({ prompts: ['only one'] }))).toMatch(/at least 2 rows/);
    expect(problem(doc({ name: 'x'.repeat(81) }))).toMatch(/name is longer than 80/);
    expect(problem(doc({ extra: 1 }))).toMatch(/unknown field "extra"/);
    expect(problem(doc({ reward: { kind: 'shell' } }))).toMatch(/reward.kind must be one of/);
    expect(problem(doc({ reward: { terms: [{ kind: 'builtin', name: 'regex', pattern: '(a+)+$' }] } }))).toMatch(/nests quantifiers/);
    expect(problem(doc({ reward: { terms: [{ kind: 'builtin', name: 'regex', pattern: '(' }] } }))).toMatch(/not a regular expression/);
    expect(problem(doc({ reward: { kind: 'classifier', model: '../../etc', label: 'POSITIVE' } }))).toMatch(/must be a Hub id/);
    expect(problem(doc({ reward: { terms: [{ kind: 'builtin', name: 'json', weight: 0 }] } }))).toMatch(/weight above 0/);
    expect(problem(doc({ generation: { maxNewTokens: 1000 } }))).toMatch(/generation.maxNewTokens must be between 1 and 256/);
    expect(problem(doc({ prompts: [{ prompt: 'a', x: { y: { z: { w: { v: [1] } } } } }, 'b'] }))).toMatch(/nested too deeply/);
  });

  it('spots nested quantifiers', () => {
    for (const p of ['(a+)+', '(\\w*)*x', '(ab|c+){2,}']) expect(nestedQuantifier(p)).toBe(true);
    for (const p of ['a+b*', '(ab)+', '\\(a+\\)+', 'colou?r']) expect(nestedQuantifier(p)).toBe(false);
  });
});

describe('prompt files', () => {
  it('reads JSONL rows (other fields kept) and text lines, skipping blank lines', () => {
    expect(detectPromptFormat('\n{"prompt": "a"}\n')).toBe('jsonl');
    expect(detectPromptFormat('a review\nanother')).toBe('text');
    expect(parsePromptFile('{"prompt": "a", "label": 1}\n\n{"prompt": "b", "tests": ["assert f(1) == 2"]}\n')).toEqual([
      { prompt: 'a', label: 1 }, { prompt: 'b', tests: ['assert f(1) == 2'] },
    ]);
    expect(parsePromptFile('\uFEFFfirst line\r\nsecond line\r\n')).toEqual([{ prompt: 'first line' }, { prompt: 'second line' }]);
  });

  it('names the line of a bad row', () => {
    expect(() => parsePromptFile('{"prompt": "a"}\n{"prompt": }\n', 'jsonl', 'p.jsonl')).toThrow(/p.jsonl, line 2, is not JSON/);
    expect(() => parsePromptFile('{"prompt": "a"}\n{"text": "b"}\n', 'jsonl', 'p.jsonl')).toThrow(/p.jsonl, line 2.prompt must be a string/);
    expect(() => parsePromptFile('\n\n')).toThrow(/no rows/);
  });
});

describe('a task in a link', () => {
  it('round trips through the link form and the URL hash', () => {
    const json = taskDocumentJson(parseTaskDocument(doc({ name: 'Ünïcode & <b>markup</b>' })));
    const link = encodeTaskLink(json);
    expect(link).toMatch(/^z[A-Za-z0-9_-]+$/);
    expect(decodeTaskLink(link)).toEqual({ ok: true, json });
    const config = { ...withTask(DEFAULT_CONFIG, 'custom'), taskDoc: json, cycles: 2 };
    const hash = encodeConfigHash(config);
    expect(hash).toContain('task=custom');
    expect(hash).toContain(`td=${link}`);
    const back = decodeConfigHash(hash);
    expect(back.problems).toEqual([]);
    expect(back.config).toEqual(config);
  });

  it('a built-in task chosen after a custom one leaves the document behind: its config checks clean and its link has no td', () => {
    const json = taskDocumentJson(parseTaskDocument(doc()));
    const custom = withTaskDoc(withTask(DEFAULT_CONFIG, 'custom'), json);
    expect(checkConfig(custom)).toEqual([]);
    for (const task of ['sentiment', 'scenes'] as const) {
      const built = withTask({ ...custom, seed: 4 }, task);
      expect(built.taskDoc).toBe('');
      expect(built.seed).toBe(4);
      expect(checkConfig(built)).toEqual([]);
      expect(encodeConfigHash(built)).not.toContain('td=');
      expect(built).toEqual({ ...withTask(DEFAULT_CONFIG, task), seed: 4 });
    }
    // a link that names a built-in task and a document is still refused: the document is for task custom
    expect(checkConfig({ ...withTask(DEFAULT_CONFIG, 'sentiment'), taskDoc: json }).map((p) => p.message)).toEqual([expect.stringMatching(/a task document is for task custom, not sentiment/)]);
  });

  it('refuses an over-long link, a damaged one and a deflate bomb, as text', () => {
    const big = `z${'A'.repeat(1024 * 1024)}`; // a 1 MB task link
    expect(decodeTaskLink(big)).toMatchObject({ ok: false, message: expect.stringMatching(/more than a link may carry/) });
    const hash = decodeConfigHash(`v=2&task=custom&td=${big}`);
    expect(hash.problems[0]!.message).toMatch(/too long/);
    expect(hash.config.task).toBe('sentiment');
    expect(decodeTaskLink('zA*B')).toMatchObject({ ok: false, message: expect.stringMatching(/damaged/) });
    expect(decodeTaskLink('zAAAAAAAA')).toMatchObject({ ok: false, message: expect.stringMatching(/damaged|not text/) });
    expect(decodeTaskLink('{"raftlabTask":1}')).toMatchObject({ ok: false, message: expect.stringMatching(/should start with "z"/) });
    // 20 MB of spaces deflate to about 20 KB: unpacking stops at the document limit
    const bomb = encodeTaskLink(' '.repeat(20_000_000));
    expect(bomb.length).toBeLessThan(MAX_TASK_LINK_CHARS);
    expect(decodeTaskLink(bomb)).toMatchObject({ ok: false, message: expect.stringMatching(/unpacks to more than/) });
    // a link whose task does not parse is a problem of the td key, and the run falls back to the defaults
    const notATask = decodeConfigHash(`v=2&task=custom&td=z${Buffer.from(deflateSync(strToU8('{"raftlabTask":1}'))).toString('base64url')}`);
    expect(notATask.problems.map((p) => p.message).join('\n')).toMatch(/taskDoc: name must be a string[\s\S]*task custom needs a task document/);
  });

  it('checks task and document together', () => {
    const json = taskDocumentJson(parseTaskDocument(doc()));
    expect(checkConfig({ ...DEFAULT_CONFIG, task: 'custom' }).map((p) => p.key)).toContain('taskDoc');
    expect(checkConfig({ ...DEFAULT_CONFIG, taskDoc: json }).map((p) => p.message).join()).toMatch(/for task custom, not sentiment/);
    expect(checkConfig({ ...DEFAULT_CONFIG, task: 'custom', taskDoc: json })).toEqual([]);
    // the CLI's --task-doc takes the link form or the JSON itself
    const field = fieldOf('taskDoc');
    expect(parseFieldValue(field, json)).toEqual({ ok: true, value: json });
    expect(parseFieldValue(field, formatFieldValue(field, json))).toEqual({ ok: true, value: json });
  });
});

describe('rewards of custom tasks', () => {
  const b = (t: Record<string, unknown>) => builtinScorer(parseTaskDocument(doc({ reward: { kind: 'builtin', ...t } })).reward.terms[0] as Extract<RewardTerm, { kind: 'builtin' }>);

  it('built-ins: sentiment, length, regex, keywords, json', () => {
    expect(b({ name: 'sentiment' })('a wonderful , superb film')).toBeGreaterThan(0.7);
    expect(b({ name: 'sentiment' })('an awful , boring mess')).toBeLessThan(0.3);
    const len = b({ name: 'length', target: 4, tolerance: 0.5 });
    expect(len('one two three four')).toBe(1);
    expect(len('one two')).toBeCloseTo(Math.exp(-0.5), 10);
    expect(b({ name: 'regex', pattern: 'colou?r', flags: 'i' })('What a COLOR')).toBe(1);
    expect(b({ name: 'regex', pattern: 'colou?r' })('none')).toBe(0);
    expect(b({ name: 'keywords', words: ['red', 'blue'] })('a bored man')).toBe(0); // whole words only
    expect(b({ name: 'keywords', words: ['red', 'blue'] })('a Red car')).toBe(1);
    expect(b({ name: 'keywords', words: ['red', 'blue'], mode: 'fraction' })('red, not green')).toBe(0.5);
    expect(b({ name: 'json' })(' {"a": [1, 2]} ')).toBe(1);
    expect(b({ name: 'json' })('{"a": ')).toBe(0);
  });

  it('holds out a fixed fraction when there are no evalPrompts, the same for every run', () => {
    const d = parseTaskDocument(doc({ prompts: Array.from({ length: 50 }, (_, i) => `prompt ${i}`) }));
    const a = splitRows(d);
    expect(a.eval).toHaveLength(10);
    expect(a.train).toHaveLength(40);
    expect(new Set([...a.train, ...a.eval].map((r) => r.prompt)).size).toBe(50);
    expect(splitRows(d)).toEqual(a);
    const withEval = parseTaskDocument(doc({ evalPrompts: ['held out'] }));
    expect(splitRows(withEval).eval).toEqual([{ prompt: 'held out' }]);
    expect(splitRows(withEval).train).toHaveLength(4);
  });

  it('weights the terms and passes rows to the reward; a failing term makes an error of the sample', async () => {
    const d = parseTaskDocument(doc({
      reward: { terms: [{ kind: 'builtin', name: 'keywords', words: ['red'], weight: 3 }, { kind: 'builtin', name: 'json', weight: 1 }] },
    }));
    const task = createCustomTask(d, { heldOutText: () => ['x'] });
    const [r] = await task.rewardMany!([{ prompt: 'p', completion: 'red' }]);
    expect(r).toEqual({ reward: 0.75, breakdown: { keywords: 1, json: 0 } });
    expect(() => createCustomTask(parseTaskDocument(doc({ reward: { kind: 'python', code: 'def reward(prompt, completion): return 1' } })), { heldOutText: () => [] })).toThrow(/needs the Python verifier/);
    const code = createCustomTask(parseTaskDocument(doc({ reward: { kind: 'code', lang: 'python' } })), {
      heldOutText: () => [], verifier: { verify: async () => ({ reward: 1, breakdown: {} }), verifyMany: async (jobs) => jobs.map(() => ({ reward: 1, breakdown: {} })), dispose: async () => {} },
    });
    const [noTests, withTests] = await code.rewardMany!([{ prompt: 'p', completion: 'c' }, { prompt: 'p', completion: 'c', row: { prompt: 'p', tests: ['assert True'] } }]);
    expect(noTests!.error).toMatch(/no "tests"/);
    expect(withTests).toEqual({ reward: 1, breakdown: {} });
  });

  it('cuts a completion after its first stop string, as if it ended', () => {
    const tokens = charTokenizer.encode('ab. cd. ef');
    const cut = cutAtStop({ tokens, ended: false }, charTokenizer.decode, ['. ']);
    expect(charTokenizer.decode(cut.tokens)).toBe('ab. ');
    expect(cut.ended).toBe(true);
    expect(cutAtStop({ tokens, ended: false }, charTokenizer.decode, ['zz'])).toEqual({ tokens, ended: false });
  });

  it('runs in the engine: rows reach the reward, stop strings cut the samples, tensors stay flat', async () => {
    const d = parseTaskDocument(doc({
      prompts: ['the cat', 'a dog', 'my hat', 'so far', 'big sea'], evalPrompts: ['one day'],
      reward: { kind: 'builtin', name: 'keywords', words: ['a'], mode: 'any' }, generation: { maxNewTokens: 8, stop: ['a'] },
    }));
    const task = createCustomTask(d, { heldOutText: () => ['a cat sat on a mat.'] });
    const engine = new RaftEngine({ model: tinyModel(1), tokenizer: charTokenizer, task, config: tinyConfig({ task: 'custom', taskDoc: taskDocumentJson(d) }) });
    const tf = await import('@tensorflow/tfjs');
    await engine.runCycle();
    await engine.runCycle(); // the optimizer's moments exist from the first training cycle on
    const before = tf.memory().numTensors;
    const r = await engine.runCycle();
    expect(tf.memory().numTensors).toBe(before);
    for (const s of r.samples) {
      const at = s.completion.indexOf('a');
      expect(at === -1 || at === s.completion.length - 1).toBe(true);
      expect(s.reward).toBe(at === -1 ? 0 : 1);
    }
    engine.dispose();
  });
});
