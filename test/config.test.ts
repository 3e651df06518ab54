/**
 * Tests for the run-configuration schema (src/core/config): the table, strict parsing, URL hash and CLI round trips,
 * and that hostile or malformed input is reported as problems rather than thrown or applied.
 */
import { describe, expect, it } from 'vitest';
import { parseTaskDocument, taskDocumentJson } from '../src/core/tasks/custom/document';
import {
  CONFIG_FIELDS,
  DEFAULT_CONFIG,
  LORA_TARGETS,
  checkConfig,
  completeConfig,
  configDiff,
  fieldOf,
  parseFieldValue,
  resolveConfig,
  taskDefaults,
  withModel,
  withTask,
  type AnyConfigField,
  type ConfigValue,
  type RunConfig,
} from '../src/core/config/schema';
import { MAX_CONFIG_HASH_LENGTH, decodeConfigHash, encodeConfigHash, migrateLegacyLink } from '../src/core/config/url';
import { cliHelp, configToCliArgs, parseCliArgs } from '../src/core/config/cli';
import { encodeLesson } from '../src/core/config/lesson';

const NO_LESSON = { lesson: null, presenter: false };

const ALL_KEYS = [
  'task', 'taskDoc', 'model', 'chatTemplate', 'seed', 'cycles', 'promptsPerCycle', 'samplesPerPrompt', 'select', 'method', 'softBeta', 'quotaTrials',
  'uftBeta', 'uftDemoRatio', 'uftScored', 'keepPerPrompt', 'keepTopPercent',
  'rewardThreshold', 'minKept', 'temperature', 'topK', 'topP', 'maxNewTokens', 'lr', 'lrDecay', 'epochsPerCycle',
  'batchSize', 'gradClip', 'lora', 'loraLr', 'loraAlpha', 'loraTargets', 'evalPrompts', 'evalSamplesPerPrompt', 'evalTexts', 'earlyStop', 'imageReward',
  'patience', 'minDelta', 'ddimSteps', 'guidance', 'noiseDraws', 'rewardChunk', 'genBatch',
  'grpoBeta', 'epsilon', 'epsilonHigh', 'scaleRewards', 'lossType', 'maskTruncatedCompletions', 'filterGroups', 'filterGroupsMaxDraws', 'rlooBeta', 'rlooEpochs', 'dpoBeta', 'ppoEpochs', 'gamma', 'lam', 'cliprange', 'cliprangeValue', 'vfCoef',
  'initKlCoef', 'klTarget', 'klHorizon', 'adapKlCtrl',
  'drRewrite', 'drFilter', 'drDistill', 'drTopK', 'drTau', 'drBalance', 'drEmaDecay', 'general',
  'generalPrompts', 'generalSamplesPerPrompt', 'generalTexts', 'evalImages', 'imageLoraRank', 'rewardFailureLimit',
  'imageRewardModel', 'imageRewardTarget', 'imageLoraTargets', 'imageInitAdapter', 'scenePrompts', 'imageSize',
].sort();

/** A valid value different from the default, derived from the table; null when the field has only one valid value. */
function nonDefault(field: AnyConfigField): ConfigValue | null {
  switch (field.type) {
    case 'int': {
      const min = field.min!;
      const max = field.max!;
      let v = min + Math.floor((max - min) / 3);
      if (v === field.default) v = v + 1 <= max ? v + 1 : v - 1;
      return v;
    }
    case 'number': {
      const v = field.min! + (field.max! - field.min!) / 3; // a "long" decimal, to test exact round trips
      return v === field.default ? field.max! : v;
    }
    case 'boolean':
      return !field.default;
    case 'choice':
      return field.choices!.find((c) => c !== field.default) ?? null;
    case 'list':
      if (field.key === 'general') return 'sentiment,c-programs';
      if (field.key === 'imageLoraTargets') return 'to_q,conv1';
      return field.default === 'up,down' ? 'q' : 'up,down';
    case 'model':
      return 'HuggingFaceTB/SmolLM2-135M@main';
    case 'text':
      return 'a photo of a red square';
    case 'task':
      return taskDocumentJson(parseTaskDocument({ raftlabTask: 1, name: 'two prompts', prompts: ['a', 'b'], reward: { kind: 'builtin', name: 'json' } }));
  }
}

/** The defaults with one field changed (a task brings its own defaults with it). */
function withField(field: AnyConfigField, value: ConfigValue): RunConfig {
  if (field.key === 'task') return withTask(DEFAULT_CONFIG, value as RunConfig['task']);
  if (field.key === 'model') return withModel(DEFAULT_CONFIG, value as string);
  return { ...DEFAULT_CONFIG, [field.key]: value } as RunConfig;
}

const FIELDS_WITH_ALTERNATIVE = CONFIG_FIELDS.filter((f) => nonDefault(f) !== null);

/** Every field changed at once. */
function allChanged(): RunConfig {
  const c = { ...DEFAULT_CONFIG } as Record<string, ConfigValue>;
  for (const f of FIELDS_WITH_ALTERNATIVE) c[f.key] = nonDefault(f)!;
  return c as unknown as RunConfig;
}

describe('schema table and defaults', () => {
  it('has exactly one row per RunConfig field', () => {
    expect(CONFIG_FIELDS.map((f) => f.key).sort()).toEqual(ALL_KEYS);
    expect(Object.keys(DEFAULT_CONFIG).sort()).toEqual(ALL_KEYS);
  });

  it('has unique, well-formed URL keys and CLI flags, and a group, label and help for every field', () => {
    const urlKeys = CONFIG_FIELDS.map((f) => f.urlKey);
    const flags = CONFIG_FIELDS.map((f) => f.cliFlag);
    expect(new Set(urlKeys).size).toBe(urlKeys.length);
    expect(new Set(flags).size).toBe(flags.length);
    for (const f of CONFIG_FIELDS) {
      expect(f.urlKey).toMatch(/^[a-z0-9]+$/);
      expect(f.urlKey).not.toBe('v');
      expect(f.cliFlag).toMatch(/^--[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['--out', '--url', '--help']).not.toContain(f.cliFlag);
      expect(['run', 'sampling', 'selection', 'training', 'lora', 'eval']).toContain(f.group);
      expect(f.label.length).toBeGreaterThan(0);
      expect(f.help).toMatch(/^[A-Z].*\.$/);
      if (f.type === 'int' || f.type === 'number') {
        expect(f.min).toBeTypeOf('number');
        expect(f.max).toBeTypeOf('number');
      }
      if (f.type === 'choice' || f.type === 'list') expect(f.choices!.length).toBeGreaterThan(0);
    }
  });

  it('uses the documented names and defaults', () => {
    expect(fieldOf('samplesPerPrompt')).toMatchObject({ urlKey: 'k', cliFlag: '--samples-per-prompt', default: 6, min: 1, max: 64 });
    expect(fieldOf('select')).toMatchObject({ urlKey: 'sel', cliFlag: '--select', default: 'per-prompt' });
    expect(fieldOf('keepTopPercent').cliFlag).toBe('--keep-top-percent');
    expect(fieldOf('lora').cliFlag).toBe('--lora');
    expect(DEFAULT_CONFIG).toEqual({
      task: 'sentiment', taskDoc: '', model: 'embedded', chatTemplate: false, seed: 1, cycles: 4, promptsPerCycle: 32, samplesPerPrompt: 6, select: 'per-prompt', method: 'raft', softBeta: 0.1, quotaTrials: 0,
      uftBeta: 0.01, uftDemoRatio: 1, uftScored: 'all',
      keepPerPrompt: 1, keepTopPercent: 20, rewardThreshold: 0.7, minKept: 4, temperature: 1, topK: 0, topP: 1,
      maxNewTokens: 48, lr: 3e-4, lrDecay: 1, epochsPerCycle: 2, batchSize: 16, gradClip: 1, lora: 0, loraLr: 3e-3, loraAlpha: 16,
      loraTargets: 'q,k,v,o', evalPrompts: 64, evalSamplesPerPrompt: 4, evalTexts: 256, earlyStop: false, imageReward: 'redness',
      patience: 1, minDelta: 0, ddimSteps: 20, guidance: 2, noiseDraws: 16, rewardChunk: 32, genBatch: 64,
      grpoBeta: 0.04, epsilon: 0.2, epsilonHigh: 0, scaleRewards: 'group', lossType: 'grpo', maskTruncatedCompletions: false, filterGroups: false, filterGroupsMaxDraws: 3, rlooBeta: 0.05, rlooEpochs: 1, dpoBeta: 0.1, ppoEpochs: 4, gamma: 1, lam: 0.95, cliprange: 0.2,
      cliprangeValue: 0.2, vfCoef: 0.1, initKlCoef: 0.2, klTarget: 6, klHorizon: 10000, adapKlCtrl: true,
      drRewrite: true, drFilter: true, drDistill: true, drTopK: 8, drTau: 1, drBalance: 'ema', drEmaDecay: 0.9, general: '',
      generalPrompts: 32, generalSamplesPerPrompt: 2, generalTexts: 128, evalImages: 256, imageLoraRank: 4, rewardFailureLimit: 0.5,
      imageRewardModel: 'Xenova/clip-vit-base-patch32', imageRewardTarget: '', imageLoraTargets: 'to_q,to_k,to_v,to_out.0', imageInitAdapter: '',
      scenePrompts: '', imageSize: 32,
    });
  });

  it('defaults are valid field by field and together', () => {
    for (const f of CONFIG_FIELDS) {
      expect(parseFieldValue(f, String(f.default))).toEqual({ ok: true, value: f.default });
      if (f.min !== undefined) expect(f.default as number).toBeGreaterThanOrEqual(f.min);
      if (f.max !== undefined) expect(f.default as number).toBeLessThanOrEqual(f.max);
    }
    expect(checkConfig(DEFAULT_CONFIG)).toEqual([]);
  });

  it('can generate a non-default value for every field', () => {
    const without = CONFIG_FIELDS.filter((f) => nonDefault(f) === null).map((f) => f.key);
    expect(without).toEqual([]);
    for (const f of FIELDS_WITH_ALTERNATIVE) {
      const v = nonDefault(f)!;
      expect(v).not.toEqual(f.default);
      expect(parseFieldValue(f, String(v))).toEqual({ ok: true, value: v });
    }
  });
});

describe('settings that were constants of the engines are rows', () => {
  // the general tasks' measurement (was GENERAL_EVAL), the reward-failure stop (REWARD_FAILURE_LIMIT), the image
  // adapters' rank at lora 0 (SHAPES_RAFT.loraRank) and the held-out image count (was min(evalTexts, 256))
  const ROWS = {
    generalPrompts: { urlKey: 'gp', cliFlag: '--general-prompts', default: 32, other: 8 },
    generalSamplesPerPrompt: { urlKey: 'gk', cliFlag: '--general-samples-per-prompt', default: 2, other: 3 },
    generalTexts: { urlKey: 'gt', cliFlag: '--general-texts', default: 128, other: 16 },
    evalImages: { urlKey: 'evi', cliFlag: '--eval-images', default: 256, other: 12 },
    imageLoraRank: { urlKey: 'ilr', cliFlag: '--image-lora-rank', default: 4, other: 2 },
    rewardFailureLimit: { urlKey: 'rfl', cliFlag: '--reward-failure-limit', default: 0.5, other: 0.25 },
  } as const;

  it('have URL keys, CLI flags and the values the engines used as defaults', () => {
    for (const [key, want] of Object.entries(ROWS)) {
      expect(fieldOf(key as keyof typeof ROWS)).toMatchObject({ urlKey: want.urlKey, cliFlag: want.cliFlag, default: want.default });
    }
  });

  it('round-trip through the URL hash and the command line, and are left out at their defaults', () => {
    for (const [key, want] of Object.entries(ROWS)) {
      const task = key === 'evalImages' || key === 'imageLoraRank' ? 'shapes' : 'answer-key';
      const config = { ...withTask(DEFAULT_CONFIG, task), [key]: want.other } as RunConfig;
      const hash = encodeConfigHash(config);
      expect(hash).toContain(`&${want.urlKey}=${want.other}`);
      expect(decodeConfigHash(`#${hash}`)).toEqual({ config, problems: [], presentation: NO_LESSON });
      const args = configToCliArgs(config);
      expect(args).toContain(want.cliFlag);
      expect(parseCliArgs(['run', ...args]).config).toEqual(config);
      expect(encodeConfigHash(withTask(DEFAULT_CONFIG, task))).not.toContain(`&${want.urlKey}=`);
    }
  });

  it('a stored image run from before evalImages resumes with the held-out images it measured', () => {
    const { evalImages: _, ...old } = { ...withTask(DEFAULT_CONFIG, 'shapes'), evalTexts: 4 };
    expect(completeConfig(old).evalImages).toBe(4);
    expect(completeConfig({ ...old, evalTexts: 4096 }).evalImages).toBe(256);
    expect(completeConfig({ ...DEFAULT_CONFIG, evalTexts: 4 }).evalImages).toBe(256);
  });
});

describe('parseFieldValue', () => {
  const k = fieldOf('samplesPerPrompt');
  const lr = fieldOf('lr');

  it('gives clear messages for bad integers', () => {
    expect(parseFieldValue(k, 'abc')).toEqual({ ok: false, message: 'samplesPerPrompt must be an integer between 1 and 64 (got "abc")' });
    expect(parseFieldValue(k, '65')).toEqual({ ok: false, message: 'samplesPerPrompt must be an integer between 1 and 64 (got "65")' });
    for (const bad of ['0', '-1', '2.5', '1e1', '0x10', ' 8', '8 ', '', 'Infinity', 'NaN', '8abc', '+']) {
      expect(parseFieldValue(k, bad).ok, bad).toBe(false);
    }
    expect(parseFieldValue(k, '08')).toEqual({ ok: true, value: 8 });
    expect(parseFieldValue(fieldOf('seed'), String(2 ** 31 - 1))).toEqual({ ok: true, value: 2 ** 31 - 1 });
    expect(parseFieldValue(fieldOf('seed'), String(2 ** 31)).ok).toBe(false);
  });

  it('accepts finite decimal numbers in range, including exponent form', () => {
    expect(parseFieldValue(lr, '3e-4')).toEqual({ ok: true, value: 3e-4 });
    expect(parseFieldValue(lr, '0.001')).toEqual({ ok: true, value: 0.001 });
    expect(parseFieldValue(lr, '.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseFieldValue(lr, '1e-7')).toEqual({ ok: false, message: 'lr must be a number between 0.000001 and 1 (got "1e-7")' });
    for (const bad of ['2', 'Infinity', '-Infinity', 'NaN', '0x1', '1/2', '', 'e5', '1e', '1,5']) {
      expect(parseFieldValue(lr, bad).ok, bad).toBe(false);
    }
    expect(parseFieldValue(fieldOf('rewardThreshold'), '-0')).toEqual({ ok: true, value: 0 });
    expect(Object.is((parseFieldValue(fieldOf('rewardThreshold'), '-0') as { value: number }).value, -0)).toBe(false);
  });

  it('parses booleans and choices exactly', () => {
    const es = fieldOf('earlyStop');
    expect(parseFieldValue(es, 'true')).toEqual({ ok: true, value: true });
    expect(parseFieldValue(es, '1')).toEqual({ ok: true, value: true });
    expect(parseFieldValue(es, 'false')).toEqual({ ok: true, value: false });
    expect(parseFieldValue(es, '0')).toEqual({ ok: true, value: false });
    for (const bad of ['yes', 'TRUE', '', '2']) expect(parseFieldValue(es, bad).ok, bad).toBe(false);
    const sel = fieldOf('select');
    expect(parseFieldValue(sel, 'global')).toEqual({ ok: true, value: 'global' });
    expect(parseFieldValue(sel, 'GLOBAL')).toEqual({
      ok: false,
      message: 'select must be one of per-prompt, global, threshold, soft (got "GLOBAL")',
    });
  });

  it('validates LoRA target lists and stores them in canonical order', () => {
    const t = fieldOf('loraTargets');
    expect(parseFieldValue(t, 'v,q')).toEqual({ ok: true, value: 'q,v' });
    expect(parseFieldValue(t, [...LORA_TARGETS].reverse().join(','))).toEqual({ ok: true, value: LORA_TARGETS.join(',') });
    for (const bad of ['', 'q,q', 'q,,k', 'x', 'q,K', ',']) {
      const r = parseFieldValue(t, bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toContain('loraTargets must be a non-empty comma-separated list of q, k, v, o, up, down');
    }
    const dup = parseFieldValue(t, 'q,k,q');
    expect(!dup.ok && dup.message).toContain('"q" appears twice');
  });

  it('shortens and escapes long or odd raw values in messages', () => {
    const r = parseFieldValue(k, 'x'.repeat(500));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeLessThan(150);
    const q = parseFieldValue(k, 'a"b\n');
    expect(!q.ok && q.message).toContain('(got "a\\"b\\n")');
  });
});

describe('resolveConfig and checkConfig', () => {
  it('applies entries by CLI flag or URL key and reports unknown keys and bad values, keeping defaults', () => {
    const r = resolveConfig(
      [['--cycles', '9'], ['--nope', '1'], ['--seed', 'abc'], ['--select', 'global']],
      'cliFlag',
    );
    expect(r.config).toEqual({ ...DEFAULT_CONFIG, cycles: 9, select: 'global' });
    expect(r.problems).toEqual([
      { key: '--nope', value: '1', message: 'unknown flag "--nope"' },
      { key: 'seed', value: 'abc', message: 'seed must be an integer between 0 and 2147483647 (got "abc")' },
    ]);
    const u = resolveConfig([['k', '8'], ['samplesPerPrompt', '9']], 'urlKey');
    expect(u.config.samplesPerPrompt).toBe(8);
    expect(u.problems).toEqual([{ key: 'samplesPerPrompt', value: '9', message: 'unknown URL key "samplesPerPrompt"' }]);
  });

  it('does not let keys like __proto__ touch anything', () => {
    const r = resolveConfig([['__proto__', '1'], ['constructor', '2'], ['toString', '3']], 'urlKey');
    expect(r.config).toEqual(DEFAULT_CONFIG);
    expect(r.problems.map((p) => p.key)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports cross-field problems', () => {
    expect(checkConfig({ ...DEFAULT_CONFIG, keepPerPrompt: 7, samplesPerPrompt: 6 }).map((p) => p.key)).toEqual(['keepPerPrompt']);
    expect(checkConfig({ ...DEFAULT_CONFIG, keepPerPrompt: 7, samplesPerPrompt: 6, select: 'global' })).toEqual([]);
    // image tasks run RAFT only: another method is a clear problem, not an engine error later
    expect(checkConfig({ ...DEFAULT_CONFIG, task: 'shapes', method: 'uft' }).map((p) => p.message)).toEqual([
      'image tasks (shapes) run RAFT only; method uft is for language tasks',
    ]);
    expect(checkConfig({ ...DEFAULT_CONFIG, task: 'shapes' })).toEqual([]);
    expect(checkConfig({ ...DEFAULT_CONFIG, keepPerPrompt: 6, samplesPerPrompt: 6 })).toEqual([]);
    expect(checkConfig({ ...DEFAULT_CONFIG, topK: 1 }).map((p) => p.key)).toEqual(['topK']);
    expect(checkConfig({ ...DEFAULT_CONFIG, topK: 1, samplesPerPrompt: 1 })).toEqual([]);
    expect(checkConfig({ ...DEFAULT_CONFIG, topK: 2 })).toEqual([]);
    expect(checkConfig({ ...DEFAULT_CONFIG, minKept: 193 }).map((p) => p.key)).toEqual(['minKept']); // 32 × 6 = 192
    expect(checkConfig({ ...DEFAULT_CONFIG, minKept: 192 })).toEqual([]);
    expect(checkConfig({ ...DEFAULT_CONFIG, loraTargets: 'q,zz' }).map((p) => p.key)).toEqual(['loraTargets']);
    const p = checkConfig({ ...DEFAULT_CONFIG, keepPerPrompt: 7 })[0]!;
    expect(p).toEqual({ key: 'keepPerPrompt', value: '7', message: expect.stringContaining('keepPerPrompt (7) must be at most samplesPerPrompt (6)') });
  });
});

describe('configDiff', () => {
  it('is empty for the defaults', () => {
    expect(configDiff(DEFAULT_CONFIG)).toEqual([]);
  });

  it('lists exactly the changed fields, in table order, and omits defaults', () => {
    const c = { ...DEFAULT_CONFIG, topP: 0.9, cycles: 10, earlyStop: true };
    expect(configDiff(c).map(([f, v]) => [f.key, v])).toEqual([['cycles', 10], ['topP', 0.9], ['earlyStop', true]]);
    // Setting a field explicitly to its default is not a difference.
    expect(configDiff({ ...DEFAULT_CONFIG, seed: 1, select: 'per-prompt' })).toEqual([]);
    // The same LoRA targets in another order are not a difference.
    expect(configDiff({ ...DEFAULT_CONFIG, loraTargets: 'o,v,k,q' })).toEqual([]);
  });

  it('lists every field when all are changed', () => {
    expect(configDiff(allChanged()).map(([f]) => f.key)).toEqual(FIELDS_WITH_ALTERNATIVE.map((f) => f.key));
  });
});

describe('lesson links', () => {
  it('take the lesson keys out of the hash: shown settings by URL key, title and text as plain text, the presenter layout', () => {
    const d = decodeConfigHash(`#v=2&seed=3&k=8&lesson=1&show=k,temp,sel,k,zz&title=${encodeURIComponent('<b>K</b> & you')}&text=${encodeURIComponent('Change K.\nWatch.')}&present=1`);
    expect(d.config).toEqual({ ...DEFAULT_CONFIG, seed: 3, samplesPerPrompt: 8 }); // a lesson never changes the run
    expect(d.presentation).toEqual({ lesson: { show: ['samplesPerPrompt', 'temperature', 'select'], title: '<b>K</b> & you', text: 'Change K.\nWatch.' }, presenter: true });
    expect(d.problems.map((p) => p.message)).toEqual(['show: "zz" is not a setting\'s URL key; it was left out']);
    const long = decodeConfigHash(`#v=2&seed=1&lesson=1&title=${'x'.repeat(200)}`);
    expect(long.presentation.lesson!.title).toHaveLength(80);
    expect(long.problems[0]!.message).toMatch(/200 characters long \(at most 80\); it was cut/);
    expect(decodeConfigHash('#v=2&seed=1&show=k').problems[0]!.message).toMatch(/belongs to a lesson link/);
    const p = { lesson: { show: ['samplesPerPrompt', 'select'] as const, title: 'K', text: 'a&b' }, presenter: false };
    expect(encodeLesson({ ...p, lesson: { ...p.lesson, show: [...p.lesson.show] } })).toBe('&lesson=1&show=k%2Csel&title=K&text=a%26b');
    expect(decodeConfigHash(`#v=2&seed=1${encodeLesson({ lesson: { show: ['select'], title: 'K', text: 'a&b' }, presenter: true })}`).presentation)
      .toEqual({ lesson: { show: ['select'], title: 'K', text: 'a&b' }, presenter: true });
  });
});

describe('the model setting', () => {
  it('accepts embedded, Hub ids with a revision, URLs and folders; refuses what is none of them', () => {
    const f = fieldOf('model');
    for (const ok of ['embedded', 'distilgpt2', 'HuggingFaceTB/SmolLM2-135M@main', 'org/m@0123abc', 'https://example.org/models/tiny/', './out/model', '/abs/dir']) {
      expect(parseFieldValue(f, ok)).toEqual({ ok: true, value: ok });
    }
    for (const bad of ['', 'a b', '<script>', 'x'.repeat(301), '@@@', 'org/m\n']) expect(parseFieldValue(f, bad).ok).toBe(false);
  });

  it('a Hub model brings LoRA (rank 8) unless lora is set; links and flags omit it and read it back', () => {
    const hub = withModel(DEFAULT_CONFIG, 'distilgpt2');
    expect(hub).toMatchObject({ model: 'distilgpt2', lora: 8 });
    expect(withModel({ ...DEFAULT_CONFIG, lora: 4 }, 'distilgpt2').lora).toBe(4);
    expect(withModel(hub, 'embedded').lora).toBe(0);
    expect(encodeConfigHash(hub)).toBe('v=2&seed=1&model=distilgpt2');
    expect(decodeConfigHash('#v=2&seed=1&model=distilgpt2').config).toEqual(hub);
    const full = { ...hub, lora: 0 };
    expect(decodeConfigHash(`#${encodeConfigHash(full)}`).config).toEqual(full);
    expect(parseCliArgs(['run', '--model', 'distilgpt2']).config.lora).toBe(8);
    expect(parseCliArgs(['run', '--lora', '0', '--model', 'distilgpt2']).config.lora).toBe(0);
    // image tasks train the embedded denoiser only
    expect(checkConfig({ ...DEFAULT_CONFIG, task: 'shapes', model: 'distilgpt2' }).map((p) => p.key)).toContain('model');
  });
});

describe('URL hash', () => {
  it('always writes v and seed, and nothing else for the defaults', () => {
    expect(encodeConfigHash(DEFAULT_CONFIG)).toBe('v=2&seed=1');
    expect(encodeConfigHash({ ...DEFAULT_CONFIG, samplesPerPrompt: 8, select: 'global', loraTargets: 'q,v' })).toBe('v=2&seed=1&k=8&sel=global&tgt=q%2Cv');
    expect(decodeConfigHash('#v=1&seed=1')).toEqual({ config: DEFAULT_CONFIG, problems: [], presentation: NO_LESSON });
    expect(decodeConfigHash('v=1&seed=1')).toEqual({ config: DEFAULT_CONFIG, problems: [], presentation: NO_LESSON });
    expect(decodeConfigHash('')).toEqual({ config: DEFAULT_CONFIG, problems: [], presentation: NO_LESSON });
  });

  it('round-trips every field', () => {
    for (const f of FIELDS_WITH_ALTERNATIVE) {
      const expected = withField(f, nonDefault(f)!);
      const hash = encodeConfigHash(expected);
      expect(hash, f.key).toContain(`${f.urlKey}=`);
      const decoded = decodeConfigHash(`#${hash}`);
      expect(decoded.config, f.key).toEqual(expected);
      // The only problems allowed are the cross-field ones of that config (e.g. keepPerPrompt > samplesPerPrompt).
      expect(decoded.problems, f.key).toEqual(checkConfig(expected));
    }
  });

  it('round-trips all fields changed at once', () => {
    const expected = allChanged();
    const decoded = decodeConfigHash(encodeConfigHash(expected));
    expect(decoded.config).toEqual(expected);
    expect(decoded.problems).toEqual(checkConfig(expected));
  });

  it('reports unknown keys, bad values and wrong types without applying them', () => {
    const d = decodeConfigHash('#v=1&seed=5&zz=3&k=999&c=abc&es=yes&sel=GLOBAL&lr=3e-4');
    expect(d.config).toEqual({ ...DEFAULT_CONFIG, seed: 5, lr: 3e-4 });
    expect(d.problems).toEqual([
      { key: 'zz', value: '3', message: 'unknown URL key "zz"' },
      { key: 'samplesPerPrompt', value: '999', message: 'samplesPerPrompt must be an integer between 1 and 64 (got "999")' },
      { key: 'cycles', value: 'abc', message: 'cycles must be an integer between 0 and 200 (got "abc")' },
      { key: 'earlyStop', value: 'yes', message: 'earlyStop must be true or false (or 1 or 0) (got "yes")' },
      { key: 'select', value: 'GLOBAL', message: 'select must be one of per-prompt, global, threshold, soft (got "GLOBAL")' },
    ]);
  });

  it('treats a script tag as plain data: reported, not applied', () => {
    const payload = '<script>alert(1)</script>';
    const d = decodeConfigHash(`#v=1&sel=${encodeURIComponent(payload)}&tgt=${payload}`);
    expect(d.config).toEqual(DEFAULT_CONFIG);
    expect(d.problems).toHaveLength(2);
    expect(d.problems[0]).toEqual({ key: 'select', value: payload, message: `select must be one of per-prompt, global, threshold, soft (got ${JSON.stringify(payload)})` });
    expect(d.problems[1]!.key).toBe('loraTargets');
    expect(d.problems[1]!.value).toBe(payload);
    // A script tag as a key is just an unknown key.
    const k = decodeConfigHash(`v=1&${encodeURIComponent(payload)}=1`);
    expect(k.config).toEqual(DEFAULT_CONFIG);
    expect(k.problems).toEqual([{ key: payload, value: '1', message: `unknown URL key ${JSON.stringify(payload)}` }]);
  });

  it('rejects an over-long hash as a whole, keeping the defaults', () => {
    const hash = `#v=1&k=8&${'c=3&'.repeat(600)}`;
    expect(hash.length).toBeGreaterThan(MAX_CONFIG_HASH_LENGTH);
    const d = decodeConfigHash(hash);
    expect(d.config).toEqual(DEFAULT_CONFIG);
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]!.message).toMatch(/too long \(\d+ characters; at most 2000\)/);
    expect(d.problems[0]!.value.length).toBeLessThanOrEqual(60);
    // Exactly at the limit is fine.
    const atLimit = `v=1&seed=1${'&'.repeat(MAX_CONFIG_HASH_LENGTH - 10)}`;
    expect(atLimit.length).toBe(MAX_CONFIG_HASH_LENGTH);
    expect(decodeConfigHash(atLimit).problems).toEqual([]);
  });

  it('reports a missing or unsupported version but still reads the settings', () => {
    const missing = decodeConfigHash('k=8');
    expect(missing.config.samplesPerPrompt).toBe(8);
    expect(missing.problems.map((p) => p.key)).toEqual(['v']);
    expect(missing.problems[0]!.message).toContain('missing version v=2');
    const other = decodeConfigHash('v=3&k=8');
    expect(other.config.samplesPerPrompt).toBe(8);
    expect(other.problems).toEqual([{ key: 'v', value: '3', message: expect.stringContaining('unsupported URL hash version "3"') }]);
  });

  it('migrates version-1 links: their keys mean the same, and the page query ?ddim=N becomes the hash key ddim', () => {
    expect(decodeConfigHash('v=1&seed=3&k=8')).toEqual(decodeConfigHash('v=2&seed=3&k=8'));
    expect(decodeConfigHash('v=1&seed=3&k=8').problems).toEqual([]);
    expect(migrateLegacyLink('http://x/lab/?ddim=4#v=1&task=shapes&seed=1')).toEqual({ hash: 'v=2&task=shapes&seed=1&ddim=4', migrated: true });
    expect(migrateLegacyLink('?ddim=4#v=1&ddim=6')).toEqual({ hash: 'v=2&ddim=6', migrated: true }); // the hash wins
    expect(migrateLegacyLink('#v=2&k=8')).toEqual({ hash: 'v=2&k=8', migrated: false });
    expect(migrateLegacyLink('v=2&k=8')).toEqual({ hash: 'v=2&k=8', migrated: false });
    const d = decodeConfigHash(migrateLegacyLink('?ddim=4#v=1&task=shapes').hash);
    expect(d.problems).toEqual([]);
    expect(d.config.ddimSteps).toBe(4);
    expect(encodeConfigHash(d.config)).toBe('v=2&seed=1&task=shapes&ddim=4');
    // a bad ?ddim is reported like any bad value of the hash
    expect(decodeConfigHash(migrateLegacyLink('?ddim=999#v=1').hash).problems.map((p) => p.key)).toEqual(['ddimSteps']);
    expect(parseCliArgs(['run', '--url', 'http://x/?ddim=3#v=1&task=shapes']).config.ddimSteps).toBe(3);
  });

  it('reports duplicate keys (first value kept), missing values and malformed escapes', () => {
    const d = decodeConfigHash('v=1&k=8&k=9&c&lr=%E0%A4%A&v=1');
    expect(d.config).toEqual({ ...DEFAULT_CONFIG, samplesPerPrompt: 8 });
    expect(d.problems.map((p) => p.message)).toEqual([
      'duplicate key "k": the first value was kept and "9" ignored',
      'missing value for "c" (expected c=value)',
      'malformed %-escape in "lr=%E0%A4%A"',
      'duplicate key "v": the first value was kept and "1" ignored',
    ]);
  });

  it('reports cross-field problems of the decoded config', () => {
    const d = decodeConfigHash('v=1&keep=7');
    expect(d.config.keepPerPrompt).toBe(7);
    expect(d.problems.map((p) => p.key)).toEqual(['keepPerPrompt']);
  });

  it('never throws on junk', () => {
    const junk = ['#', '##', '&&&', '=', '==', '%', '%%%', 'v', 'v=', '=1', '\u0000', 'k=\uD800', '#v=1&k=%FF', 'a'.repeat(5000)];
    for (const j of junk) expect(() => decodeConfigHash(j), j).not.toThrow();
  });
});

describe('CLI', () => {
  it('parses the documented command line', () => {
    const r = parseCliArgs(['run', '--task', 'sentiment', '--cycles', '4', '--seed', '1', '--samples-per-prompt', '8', '--select', 'global', '--lora', '4', '--out', 'run.json']);
    expect(r.errors).toEqual([]);
    expect(r.command).toBe('run');
    expect(r.options).toEqual({ help: false, out: 'run.json' });
    expect(r.config).toEqual({ ...DEFAULT_CONFIG, samplesPerPrompt: 8, select: 'global', lora: 4 });
  });

  it('lists the settings flags given, apart from the CLI-only options (--resume refuses them)', () => {
    const r = parseCliArgs(['run', '--seed', '3', '--out', 'x.json', '--run-dir', 'd', '--cycles=2']);
    expect(r.configFlags).toEqual(['--seed', '--cycles']);
    expect(r.options.runDir).toBe('d');
    expect(parseCliArgs(['run', '--resume', 'd']).options.resume).toBe('d');
    expect(parseCliArgs(['run', '--resume']).errors).toEqual(['missing value for --resume (expects a folder) (see raftlab run --help)']);
  });

  it('gives defaults and no command for no arguments', () => {
    expect(parseCliArgs([])).toEqual({ command: null, config: DEFAULT_CONFIG, options: { help: false }, configFlags: [], errors: [] });
  });

  it('round-trips every field through its flag, in both --flag value and --flag=value form', () => {
    for (const f of FIELDS_WITH_ALTERNATIVE) {
      const v = nonDefault(f)!;
      const expected = withField(f, v);
      const cross = checkConfig(expected).map((p) => `${fieldOf(p.key as keyof RunConfig).cliFlag}: ${p.message}`);
      const spaced = parseCliArgs(['run', f.cliFlag, String(v)]);
      expect(spaced.config, f.key).toEqual(expected);
      expect(spaced.errors, f.key).toEqual(cross);
      const joined = parseCliArgs(['run', `${f.cliFlag}=${String(v)}`]);
      expect(joined.config, f.key).toEqual(expected);
      expect(joined.errors, f.key).toEqual(cross);
    }
    expect(parseCliArgs(['run', '--task', 'sentiment'])).toMatchObject({ config: DEFAULT_CONFIG, errors: [] });
  });

  it('round-trips all fields at once via configToCliArgs', () => {
    const expected = allChanged();
    const args = configToCliArgs(expected);
    expect(args.slice(0, 2)).toEqual(['--seed', String(expected.seed)]);
    const r = parseCliArgs(['run', ...args]);
    expect(r.config).toEqual(expected);
    expect(r.errors).toHaveLength(checkConfig(expected).length);
    expect(configToCliArgs(DEFAULT_CONFIG)).toEqual(['--seed', '1']);
  });

  it('handles boolean flags with and without a value', () => {
    expect(parseCliArgs(['run', '--early-stop']).config.earlyStop).toBe(true);
    expect(parseCliArgs(['run', '--early-stop', '--cycles', '3']).config).toEqual({ ...DEFAULT_CONFIG, earlyStop: true, cycles: 3 });
    expect(parseCliArgs(['run', '--early-stop', 'false']).config.earlyStop).toBe(false);
    expect(parseCliArgs(['run', '--early-stop=0']).config.earlyStop).toBe(false);
    const bad = parseCliArgs(['run', '--early-stop=maybe']);
    expect(bad.config.earlyStop).toBe(false);
    expect(bad.errors).toEqual(['--early-stop: earlyStop must be true or false (or 1 or 0) (got "maybe")']);
  });

  it('reports an unknown flag', () => {
    const r = parseCliArgs(['run', '--foo', '--cycles', '3']);
    expect(r.errors).toEqual(['unknown flag --foo (see raftlab run --help)']);
    expect(r.config.cycles).toBe(3);
    expect(parseCliArgs(['run', '-x']).errors).toEqual(['unknown flag -x (see raftlab run --help)']);
    expect(parseCliArgs(['run', '--samplesPerPrompt=8']).errors).toEqual(['unknown flag --samplesPerPrompt (see raftlab run --help)']);
  });

  it('reports a missing value', () => {
    expect(parseCliArgs(['run', '--seed']).errors).toEqual(['missing value for --seed (expects integer 0..2147483647) (see raftlab run --help)']);
    const r = parseCliArgs(['run', '--seed', '--cycles', '3']);
    expect(r.errors).toEqual(['missing value for --seed (expects integer 0..2147483647) (see raftlab run --help)']);
    expect(r.config).toEqual({ ...DEFAULT_CONFIG, cycles: 3 });
    expect(parseCliArgs(['run', '--out']).errors).toEqual(['missing value for --out (expects a file path) (see raftlab run --help)']);
    expect(parseCliArgs(['run', '--seed=']).errors).toEqual(['--seed: seed must be an integer between 0 and 2147483647 (got "")']);
  });

  it('reports bad values with the flag name and keeps the default', () => {
    const r = parseCliArgs(['run', '--samples-per-prompt', 'abc', '--top-p=1.5', '--seed', '-1']);
    expect(r.config).toEqual(DEFAULT_CONFIG);
    expect(r.errors).toEqual([
      '--samples-per-prompt: samplesPerPrompt must be an integer between 1 and 64 (got "abc")',
      '--top-p: topP must be a number between 0.05 and 1 (got "1.5")',
      '--seed: seed must be an integer between 0 and 2147483647 (got "-1")',
    ]);
  });

  it('treats a script tag as plain data', () => {
    const payload = '<script>alert(1)</script>';
    const r = parseCliArgs(['run', '--select', payload]);
    expect(r.config).toEqual(DEFAULT_CONFIG);
    expect(r.errors).toEqual([`--select: select must be one of per-prompt, global, threshold, soft (got ${JSON.stringify(payload)})`]);
    const f = parseCliArgs(['run', `--${payload}`]);
    expect(f.errors).toEqual([`unknown flag ${JSON.stringify(`--${payload}`)} (see raftlab run --help)`]);
  });

  it('reports stray positionals, unknown commands and repeated flags', () => {
    expect(parseCliArgs(['run', '--cycles', '3', '5']).errors).toEqual([
      'unexpected argument "5": values go after a flag, e.g. --cycles 4 (see raftlab run --help)',
    ]);
    expect(parseCliArgs(['train']).errors).toEqual(['unknown command "train" (expected one of: run, config, compare, sweep, verify, score, denoise)']);
    const rep = parseCliArgs(['run', '--seed', '2', '--seed', '3']);
    expect(rep.errors).toEqual(['--seed is given more than once (see raftlab run --help)']);
    expect(rep.config.seed).toBe(3);
  });

  it('reports cross-field problems', () => {
    expect(parseCliArgs(['run', '--samples-per-prompt', '2', '--keep-per-prompt', '3']).errors).toEqual([
      expect.stringMatching(/^--keep-per-prompt: keepPerPrompt \(3\) must be at most samplesPerPrompt \(2\)/),
    ]);
  });

  it('recognises --help and -h', () => {
    expect(parseCliArgs(['run', '--help']).options.help).toBe(true);
    expect(parseCliArgs(['-h']).options.help).toBe(true);
    expect(parseCliArgs(['run', '--help=1']).errors).toHaveLength(1);
  });

  it('loads --url first and lets explicit flags override it', () => {
    const link = `https://example.org/raftlab/#${encodeConfigHash({ ...DEFAULT_CONFIG, seed: 7, samplesPerPrompt: 8, select: 'global' })}`;
    const r = parseCliArgs(['run', '--url', link, '--samples-per-prompt', '4']);
    expect(r.errors).toEqual([]);
    expect(r.options.url).toBe(link);
    expect(r.config).toEqual({ ...DEFAULT_CONFIG, seed: 7, samplesPerPrompt: 4, select: 'global' });
    // A bare hash works too, and flag order does not matter.
    const bare = parseCliArgs(['run', '--cycles=9', '--url=v=1&c=2&lora=8']);
    expect(bare.errors).toEqual([]);
    expect(bare.config).toEqual({ ...DEFAULT_CONFIG, cycles: 9, lora: 8 });
  });

  it('reports problems in the --url hash', () => {
    const r = parseCliArgs(['run', '--url', 'https://x/#v=1&k=99&zz=1']);
    expect(r.config).toEqual(DEFAULT_CONFIG);
    expect(r.errors).toEqual([
      '--url: samplesPerPrompt must be an integer between 1 and 64 (got "99")',
      '--url: unknown URL key "zz"',
    ]);
    const long = parseCliArgs(['run', '--url', `#v=1&${'k=8&'.repeat(600)}`]);
    expect(long.config).toEqual(DEFAULT_CONFIG);
    expect(long.errors).toHaveLength(1);
    expect(long.errors[0]).toContain('too long');
  });

  it('never throws on junk', () => {
    const junk: string[][] = [['--'], ['-'], ['--='], ['=', '=='], ['--url'], ['--url', '%'], ['--lr', 'NaN'], ['\u0000'], ['--x=y=z']];
    for (const j of junk) expect(() => parseCliArgs(j), j.join(' ')).not.toThrow();
  });

  it('generates help that lists every flag with its default', () => {
    const help = cliHelp();
    expect(help).toContain('Usage: raftlab run');
    for (const f of CONFIG_FIELDS) {
      expect(help).toContain(f.cliFlag);
      expect(help).toContain(f.help);
      expect(help).toContain(`(default: ${String(f.default)})`);
    }
    expect(help).toContain('--samples-per-prompt <integer 1..64>  (default: 6)');
    expect(help).toContain('--select <per-prompt|global|threshold|soft>  (default: per-prompt)');
    for (const opt of ['--out', '--url', '--help', '-h']) expect(help).toContain(opt);
  });
});

describe('task defaults', () => {
  const pf = taskDefaults('python-functions');

  it('a task brings its recommended settings; settings the user gave keep their values, in any order', () => {
    expect(pf).toMatchObject({ task: 'python-functions', select: 'threshold', rewardThreshold: 1, minKept: 0 });
    expect(parseCliArgs(['run', '--task', 'python-functions']).config).toEqual(pf);
    const mine = parseCliArgs(['run', '--select', 'per-prompt', '--task', 'python-functions', '--seed', '3']);
    expect(mine.errors).toEqual([]);
    expect(mine.config).toEqual({ ...pf, select: 'per-prompt', seed: 3 });
    expect(decodeConfigHash('v=1&seed=3&sel=per-prompt&task=python-functions').config).toEqual(mine.config);
  });

  it('URLs and CLI argument lists omit values equal to the task\'s defaults and round-trip', () => {
    expect(encodeConfigHash(pf)).toBe('v=2&seed=1&task=python-functions');
    const changed = { ...pf, select: 'per-prompt' as const, lr: 0.001 };
    const hash = encodeConfigHash(changed);
    expect(hash).toContain('sel=per-prompt');
    expect(decodeConfigHash(hash)).toEqual({ config: changed, problems: [], presentation: NO_LESSON });
    expect(parseCliArgs(['run', ...configToCliArgs(changed)]).config).toEqual(changed);
  });

  it('switching task moves the settings still at the old task\'s defaults and keeps the changed ones', () => {
    const mine = { ...pf, lr: 0.001 };
    const back = withTask(mine, 'sentiment');
    expect(back).toEqual({ ...DEFAULT_CONFIG, lr: 0.001 });
    expect(withTask(back, 'python-functions')).toEqual(mine);
  });
});
