/**
 * The task document: a user's own task as one versioned JSON object (README "Your own task"). It names the prompts
 * (rows with a `prompt` field; the other fields go to the reward), optional held-out prompts (else a fixed seeded
 * fraction), optional demonstrations (UFT, SFT) and held-out text (perplexity), the reward (weighted terms: Python,
 * per-row code checks, a Hub text classifier, built-ins) and generation defaults (max new tokens, stop strings).
 *
 * `parseTaskDocument` is strict: every field is checked against its type and limit and the first problem is
 * reported with its path (`prompts[3].prompt must be a string`). What it returns is canonical: the same task
 * always serializes (`taskDocumentJson`) to the same text, which is what a run's config stores. A text document
 * may say `"kind": "text"`; its canonical text leaves `kind` out (documents written before there was an image form
 * keep their text). The image form (`"kind": "image"`) is image-document.ts; any-document.ts reads either.
 */

import { TASK_SHARED_MODEL, type TaskName } from '../catalogue';
import { imageDocumentModel } from '../run-kind';

export const TASK_DOCUMENT_VERSION = 1;

/** Limits: a task is data a link or a file may carry, so every part of it is bounded. */
export const TASK_LIMITS = {
  /** The whole document as JSON text. */
  documentChars: 4_000_000,
  name: 80,
  description: 600,
  rows: 20_000,
  promptChars: 4000,
  fieldsPerRow: 32,
  fieldName: 64,
  demonstrations: 20_000,
  heldOutTexts: 4096,
  textChars: 8000,
  terms: 8,
  codeChars: 64_000,
  patternChars: 200,
  keywords: 64,
  stops: 8,
  stopChars: 32,
} as const;

/** The embedded models a custom task can run on (`model: embedded`); each is trained on its task's corpus. */
export const EMBEDDED_MODELS = ['sentiment', 'arithmetic', 'c-programs', 'python-functions'] as const;
export type EmbeddedModelName = (typeof EMBEDDED_MODELS)[number];

/** A JSON value of a prompt row's field (passed to the reward as it is). */
export type RowValue = string | number | boolean | null | RowValue[] | { [k: string]: RowValue };
export type TaskRow = { prompt: string } & { [field: string]: RowValue };

export type BuiltinName = 'sentiment' | 'length' | 'regex' | 'keywords' | 'json';
export const BUILTIN_NAMES: readonly BuiltinName[] = ['sentiment', 'length', 'regex', 'keywords', 'json'];

export type RewardTerm = { weight: number } & (
  | { kind: 'python'; code: string; timeLimitMs: number }
  | { kind: 'code'; lang: 'python' | 'c'; program: 'prompt+completion' | 'completion'; timeLimitMs: number }
  | { kind: 'classifier'; model: string; revision: string; label: string; input: 'completion' | 'prompt+completion' }
  | { kind: 'builtin'; name: 'sentiment' }
  | { kind: 'builtin'; name: 'length'; target: number; tolerance: number }
  | { kind: 'builtin'; name: 'regex'; pattern: string; flags: string }
  | { kind: 'builtin'; name: 'keywords'; words: string[]; mode: 'any' | 'fraction' }
  | { kind: 'builtin'; name: 'json' }
);

export interface TaskDocument {
  raftlabTask: typeof TASK_DOCUMENT_VERSION;
  name: string;
  description: string;
  prompts: TaskRow[];
  /** Held-out prompts; when absent, `evalFraction` of the rows (a fixed seeded choice) is held out. */
  evalPrompts: TaskRow[] | null;
  evalFraction: number;
  demonstrations: Array<{ prompt: string; completion: string }>;
  /** Texts perplexity is measured on; when empty, the embedded model's held-out corpus. */
  heldOutText: string[];
  reward: { terms: RewardTerm[] };
  /** A reward at or above this counts as a pass (the eval pass rate); null = no pass notion. */
  passThreshold: number | null;
  generation: { maxNewTokens: number; stop: string[] };
  /** Which shipped model `model: embedded` means for this task. */
  embeddedModel: EmbeddedModelName;
  /** Where the prompts came from (the dataset viewer), for people; the rows themselves are in `prompts`. */
  source: { dataset: string; config: string; split: string; column: string; offset: number; length: number; words: number } | null;
}

export class TaskDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskDocumentError';
  }
}

type Json = unknown;
const RESERVED_FIELDS = new Set(['prompts', 'completions', 'completion']);

// The checks below are shared with the image form (image-document.ts): each throws with the value's path.

export function fail(path: string, what: string): never {
  throw new TaskDocumentError(`${path} ${what}`);
}

export function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function only(obj: Record<string, Json>, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(path, `has an unknown field ${JSON.stringify(k.slice(0, 40))} (known: ${keys.join(', ')})`);
}

export function str(v: Json, path: string, max: number, { empty = false } = {}): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (!empty && v.trim() === '') fail(path, 'must not be empty');
  if (v.length > max) fail(path, `is longer than ${max} characters (${v.length})`);
  return v;
}

export function num(v: Json, path: string, min: number, max: number, int = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a number');
  if (int && !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) fail(path, `must be between ${min} and ${max} (got ${v})`);
  return v;
}

export function arr(v: Json, path: string, max: number): Json[] {
  if (!Array.isArray(v)) fail(path, 'must be a list');
  if (v.length > max) fail(path, `has more than ${max} items (${v.length})`);
  return v;
}

export function oneOf<T extends string>(v: Json, path: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) fail(path, `must be one of ${choices.join(', ')}`);
  return v as T;
}

function rowValue(v: Json, path: string, depth: number): RowValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, 'must be a finite number');
    return v;
  }
  if (depth > 4) fail(path, 'is nested too deeply (at most 4 levels)');
  if (Array.isArray(v)) return v.map((x, i) => rowValue(x, `${path}[${i}]`, depth + 1));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rowValue(x, `${path}.${k}`, depth + 1)]));
  fail(path, 'must be a JSON value');
}

/** One prompt row: `{prompt, ...fields}` (a bare string is a row with only a prompt). */
export function parseRow(v: Json, path: string): TaskRow {
  if (typeof v === 'string') return { prompt: str(v, path, TASK_LIMITS.promptChars) };
  if (!isObject(v)) fail(path, 'must be an object with a "prompt" field (or a string)');
  const keys = Object.keys(v);
  if (keys.length > TASK_LIMITS.fieldsPerRow) fail(path, `has more than ${TASK_LIMITS.fieldsPerRow} fields`);
  const row: Record<string, RowValue> = { prompt: str(v.prompt, `${path}.prompt`, TASK_LIMITS.promptChars) };
  for (const k of keys) {
    if (k === 'prompt') continue;
    if (k.length > TASK_LIMITS.fieldName || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail(`${path}.${k.slice(0, 40)}`, 'is not a field name a Python function can take (letters, digits, _)');
    if (RESERVED_FIELDS.has(k)) fail(`${path}.${k}`, 'is a name the reward itself takes (prompts, completions, completion)');
    row[k] = rowValue(v[k], `${path}.${k}`, 1);
  }
  return row as TaskRow;
}

function rows(v: Json, path: string): TaskRow[] {
  const list = arr(v, path, TASK_LIMITS.rows).map((r, i) => parseRow(r, `${path}[${i}]`));
  if (list.length === 0) fail(path, 'must have at least one prompt');
  return list;
}

/**
 * Does the pattern nest quantifiers (`(a+)+`, `(\w*)*`)? Such a pattern can take exponential time on a short
 * string, and the reward runs in the trainer: it is refused.
 */
export function nestedQuantifier(pattern: string): boolean {
  return /\((?:[^()\\]|\\.)*[+*}?](?:[^()\\]|\\.)*\)\s*[+*{]/.test(pattern);
}

function term(v: Json, path: string): RewardTerm {
  if (!isObject(v)) fail(path, 'must be an object with a "kind"');
  const kind = oneOf(v.kind, `${path}.kind`, ['python', 'code', 'classifier', 'builtin'] as const);
  const weight = v.weight === undefined ? 1 : num(v.weight, `${path}.weight`, 0, 1000);
  const timeLimit = (d: number) => (v.timeLimitMs === undefined ? d : num(v.timeLimitMs, `${path}.timeLimitMs`, 100, 120_000, true));
  switch (kind) {
    case 'python':
      only(v, path, ['kind', 'weight', 'code', 'timeLimitMs']);
      return { kind, weight, code: str(v.code, `${path}.code`, TASK_LIMITS.codeChars), timeLimitMs: timeLimit(10_000) };
    case 'code':
      only(v, path, ['kind', 'weight', 'lang', 'program', 'timeLimitMs']);
      return {
        kind, weight, lang: oneOf(v.lang, `${path}.lang`, ['python', 'c'] as const),
        program: v.program === undefined ? 'prompt+completion' : oneOf(v.program, `${path}.program`, ['prompt+completion', 'completion'] as const),
        timeLimitMs: timeLimit(2000),
      };
    case 'classifier': {
      only(v, path, ['kind', 'weight', 'model', 'revision', 'label', 'input']);
      const model = str(v.model, `${path}.model`, 200);
      if (!/^[\w.-]+(?:\/[\w.-]+)?$/.test(model) || model.includes('..')) fail(`${path}.model`, 'must be a Hub id such as Xenova/distilbert-base-uncased-finetuned-sst-2-english');
      const revision = v.revision === undefined ? 'main' : str(v.revision, `${path}.revision`, 100);
      if (!/^[\w.-]+$/.test(revision) || revision.includes('..')) fail(`${path}.revision`, 'must be a branch, tag or commit');
      return {
        kind, weight, model, revision, label: str(v.label, `${path}.label`, 100),
        input: v.input === undefined ? 'prompt+completion' : oneOf(v.input, `${path}.input`, ['completion', 'prompt+completion'] as const),
      };
    }
    case 'builtin': {
      const name = oneOf(v.name, `${path}.name`, BUILTIN_NAMES);
      switch (name) {
        case 'sentiment':
        case 'json':
          only(v, path, ['kind', 'weight', 'name']);
          return { kind, weight, name };
        case 'length':
          only(v, path, ['kind', 'weight', 'name', 'target', 'tolerance']);
          return { kind, weight, name, target: num(v.target, `${path}.target`, 1, 10_000, true), tolerance: v.tolerance === undefined ? 0.5 : num(v.tolerance, `${path}.tolerance`, 0.01, 100) };
        case 'regex': {
          only(v, path, ['kind', 'weight', 'name', 'pattern', 'flags']);
          const pattern = str(v.pattern, `${path}.pattern`, TASK_LIMITS.patternChars);
          const flags = v.flags === undefined ? '' : str(v.flags, `${path}.flags`, 4, { empty: true });
          if (!/^[imsu]*$/.test(flags)) fail(`${path}.flags`, 'may only hold i, m, s, u');
          if (nestedQuantifier(pattern)) fail(`${path}.pattern`, 'nests quantifiers (like (a+)+), which can take exponential time; write it without');
          try {
            new RegExp(pattern, flags);
          } catch (e) {
            fail(`${path}.pattern`, `is not a regular expression: ${(e as Error).message.slice(0, 120)}`);
          }
          return { kind, weight, name, pattern, flags };
        }
        case 'keywords': {
          only(v, path, ['kind', 'weight', 'name', 'words', 'mode']);
          const words = arr(v.words, `${path}.words`, TASK_LIMITS.keywords).map((w, i) => str(w, `${path}.words[${i}]`, 100));
          if (words.length === 0) fail(`${path}.words`, 'must have at least one word');
          return { kind, weight, name, words, mode: v.mode === undefined ? 'any' : oneOf(v.mode, `${path}.mode`, ['any', 'fraction'] as const) };
        }
      }
    }
  }
}

function reward(v: Json): { terms: RewardTerm[] } {
  if (!isObject(v)) fail('reward', 'must be an object: one term ({"kind": "python", ...}) or {"terms": [...]}');
  const list = 'terms' in v ? (only(v, 'reward', ['terms']), arr(v.terms, 'reward.terms', TASK_LIMITS.terms).map((t, i) => term(t, `reward.terms[${i}]`))) : [term(v, 'reward')];
  if (list.length === 0) fail('reward.terms', 'must have at least one term');
  if (list.every((t) => t.weight === 0)) fail('reward.terms', 'must have a term with a weight above 0');
  return { terms: list };
}

const TOP_KEYS = ['raftlabTask', 'kind', 'name', 'description', 'prompts', 'evalPrompts', 'evalFraction', 'demonstrations', 'heldOutText', 'reward', 'passThreshold', 'generation', 'embeddedModel', 'source'];

/** The kinds of task document: text (a language model writes) and image (a denoiser draws). */
export const TASK_DOCUMENT_KINDS = ['text', 'image'] as const;

/**
 * A document's JSON object, checked as far as both forms agree: its size, JSON, an object, the format's version and
 * a known `kind`. Throws TaskDocumentError.
 */
export function readTaskDocumentObject(input: string | Json): Record<string, Json> {
  let v: Json = input;
  if (typeof input === 'string') {
    if (input.length > TASK_LIMITS.documentChars) fail('the task', `is larger than ${TASK_LIMITS.documentChars / 1e6} MB of JSON; cut its prompts`);
    try {
      v = JSON.parse(input);
    } catch (e) {
      throw new TaskDocumentError(`the task is not valid JSON: ${(e as Error).message.slice(0, 160)}`);
    }
  }
  if (!isObject(v)) fail('the task', 'must be a JSON object');
  if (v.raftlabTask !== TASK_DOCUMENT_VERSION) {
    fail('raftlabTask', `must be ${TASK_DOCUMENT_VERSION} (the task format's version)${typeof v.raftlabTask === 'number' && v.raftlabTask > TASK_DOCUMENT_VERSION ? ': this task was written by a newer RAFT Lab' : ''}`);
  }
  if (v.kind !== undefined) oneOf(v.kind, 'kind', TASK_DOCUMENT_KINDS);
  return v;
}

/** Parse and check a text task document (JSON text or a parsed value). Throws TaskDocumentError with the first problem. */
export function parseTaskDocument(input: string | Json): TaskDocument {
  const v = readTaskDocumentObject(input);
  if (v.kind === 'image') fail('kind', 'is "image": an image task document, not a text one (read it with parseAnyTaskDocument)');
  only(v, 'the task', TOP_KEYS);
  const gen = v.generation === undefined ? {} : v.generation;
  if (!isObject(gen)) fail('generation', 'must be an object');
  only(gen, 'generation', ['maxNewTokens', 'stop']);
  const source = v.source === undefined || v.source === null ? null : v.source;
  if (source !== null && !isObject(source)) fail('source', 'must be an object');
  const doc: TaskDocument = {
    raftlabTask: TASK_DOCUMENT_VERSION,
    name: str(v.name, 'name', TASK_LIMITS.name),
    description: v.description === undefined ? '' : str(v.description, 'description', TASK_LIMITS.description, { empty: true }),
    prompts: rows(v.prompts, 'prompts'),
    evalPrompts: v.evalPrompts === undefined || v.evalPrompts === null ? null : rows(v.evalPrompts, 'evalPrompts'),
    evalFraction: v.evalFraction === undefined ? 0.2 : num(v.evalFraction, 'evalFraction', 0.01, 0.9),
    demonstrations: v.demonstrations === undefined ? [] : arr(v.demonstrations, 'demonstrations', TASK_LIMITS.demonstrations).map((d, i) => {
      const p = `demonstrations[${i}]`;
      if (!isObject(d)) fail(p, 'must be an object with "prompt" and "completion"');
      only(d, p, ['prompt', 'completion']);
      return { prompt: str(d.prompt, `${p}.prompt`, TASK_LIMITS.promptChars), completion: str(d.completion, `${p}.completion`, TASK_LIMITS.textChars) };
    }),
    heldOutText: v.heldOutText === undefined ? [] : arr(v.heldOutText, 'heldOutText', TASK_LIMITS.heldOutTexts).map((t, i) => str(t, `heldOutText[${i}]`, TASK_LIMITS.textChars)),
    reward: reward(v.reward),
    passThreshold: v.passThreshold === undefined || v.passThreshold === null ? null : num(v.passThreshold, 'passThreshold', 0, 1),
    generation: {
      maxNewTokens: gen.maxNewTokens === undefined ? 48 : num(gen.maxNewTokens, 'generation.maxNewTokens', 1, 256, true),
      stop: gen.stop === undefined ? [] : arr(gen.stop, 'generation.stop', TASK_LIMITS.stops).map((s, i) => str(s, `generation.stop[${i}]`, TASK_LIMITS.stopChars, { empty: true })).filter((s) => s !== ''),
    },
    embeddedModel: v.embeddedModel === undefined ? 'sentiment' : oneOf(v.embeddedModel, 'embeddedModel', EMBEDDED_MODELS),
    source: source === null ? null : {
      dataset: str(source.dataset, 'source.dataset', 200), config: str(source.config, 'source.config', 200), split: str(source.split, 'source.split', 200),
      column: str(source.column, 'source.column', 200), offset: num(source.offset, 'source.offset', 0, 1e9, true), length: num(source.length, 'source.length', 1, 100_000, true),
      words: num(source.words ?? 0, 'source.words', 0, 1000, true),
    },
  };
  if (doc.evalPrompts === null && doc.prompts.length < 2) fail('prompts', 'needs at least 2 rows when there are no evalPrompts (some are held out for evaluation)');
  return doc;
}

/** The canonical JSON text of a task (what a run's config stores). */
export function taskDocumentJson(doc: TaskDocument): string {
  return JSON.stringify(doc);
}

/** Does the task run Python code of its own (which the page shows and asks about before it first runs)? */
export function taskHasPython(doc: TaskDocument): boolean {
  return doc.reward.terms.some((t) => t.kind === 'python');
}

/** Does the task need the code verifiers (a Python reward, or per-row code checks)? */
export function taskNeedsVerifiers(doc: TaskDocument): boolean {
  return doc.reward.terms.some((t) => t.kind === 'python' || t.kind === 'code');
}

/** The Hub classifiers the task's reward uses. */
export function taskClassifiers(doc: TaskDocument): Array<Extract<RewardTerm, { kind: 'classifier' }>> {
  return doc.reward.terms.filter((t): t is Extract<RewardTerm, { kind: 'classifier' }> => t.kind === 'classifier');
}

/** The name people see for a run's task: a custom task's own name, else the built-in task's id. Never throws. */
export function taskLabel(config: { task: string; taskDoc: string }): string {
  if (config.task !== 'custom') return config.task;
  try {
    const name = (JSON.parse(config.taskDoc) as { name?: unknown }).name;
    return typeof name === 'string' && name.trim() ? name : 'custom task';
  } catch {
    return 'custom task';
  }
}

/**
 * The embedded model a config's task runs on (`model: embedded`), read without a full parse: an image document's
 * model (scenes, shapes). Never throws.
 */
export function embeddedModelOf(config: { task: string; taskDoc: string; model?: string }): string {
  if (config.model === 'generalist') return 'generalist';
  if (config.task !== 'custom') return TASK_SHARED_MODEL[config.task as TaskName] ?? config.task;
  const image = imageDocumentModel(config.taskDoc);
  if (image) return image;
  try {
    const m = (JSON.parse(config.taskDoc) as { embeddedModel?: unknown }).embeddedModel;
    return typeof m === 'string' && (EMBEDDED_MODELS as readonly string[]).includes(m) ? m : 'sentiment';
  } catch {
    return 'sentiment';
  }
}
