/**
 * One field's value as text: strict parsing of a raw string (a URL value, a CLI argument, a control's input), the
 * canonical form written back, and what a field accepts. Raw values are only ever treated as data: they are matched
 * against patterns and ranges, never evaluated. Never throws.
 *
 * The `task` kind (a custom task's document) is read by a parser passed in (`TaskDocumentCodec`): the document's
 * parser lives above the config (tasks/custom/document.ts), and schema.ts passes it in.
 */
import { looksLikeMix, parseMix } from '../weighted-mix';
import type { AnyConfigField, ConfigField, ConfigKey, ConfigValue, RunConfig } from './fields';

export interface ConfigProblem {
  /** Field key, or the unknown key / flag / URL key as given. */
  key: string;
  /** The raw value as given (data only; escape it before showing it in HTML). */
  value: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Reads and writes a task document's text: JSON or its link form in, canonical JSON out; JSON to the link form. */
export interface TaskDocumentCodec {
  /** A task document (JSON, or its link form) as canonical JSON; never throws. */
  parse(raw: string): ParseResult<string>;
  /** The link form of a document's canonical JSON. */
  format(json: string): string;
}

/** Where no task-document parser was passed in: documents are refused, and written as they are. */
export const NO_TASK_DOCUMENTS: TaskDocumentCodec = {
  parse: () => ({ ok: false, message: 'task documents are not read here (no task-document parser was given)' }),
  format: (json) => json,
};

const INT_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The raw value quoted for a message: JSON-escaped, long values shortened. */
export function quoteRaw(raw: string, max = 60): string {
  return JSON.stringify(raw.length > max ? `${raw.slice(0, max)}…` : raw);
}

/** The canonical string form of a value, as written to URLs and CLI flags. */
export function formatFieldValue(field: AnyConfigField, value: ConfigValue, taskDocs: TaskDocumentCodec = NO_TASK_DOCUMENTS): string {
  if (field.type === 'task' && value !== '') return taskDocs.format(String(value));
  return String(value);
}

/** Human-readable description of what a field accepts, e.g. "integer 1..64" or "per-prompt|global|threshold". */
export function describeFieldRange(field: AnyConfigField): string {
  switch (field.type) {
    case 'int':
      return `integer ${field.min}..${field.max}`;
    case 'number':
      return `number ${field.min}..${field.max}`;
    case 'boolean':
      return 'true|false';
    case 'choice':
      return (field.choices ?? []).join('|') + (field.mixOf ? `|name:weight,... of ${field.mixOf.join(',')}` : '');
    case 'list':
      return `comma list of ${(field.choices ?? []).join(',')}`;
    case 'model':
      return 'embedded|generalist|org/name[@revision]|https://folder/|DIR';
    case 'task':
      return 'a task document (JSON, or its link form z...)';
    case 'text':
      return `text (at most ${field.maxLength ?? 200} characters)`;
  }
}

/**
 * A model setting: `embedded`, a Hub id with an optional revision, an http(s) URL, or a local folder path (the
 * CLI tells a folder from an id by whether it exists). Only the form is checked here: printable, at most 300
 * characters, no spaces.
 */
const MODEL_RE = /^[\w.~:/@%+=-]{1,300}$/;

/** Parse a raw string for one field, strictly. Never throws. */
export function parseFieldValue<K extends ConfigKey>(field: ConfigField<K>, raw: string, taskDocs?: TaskDocumentCodec): ParseResult<RunConfig[K]>;
export function parseFieldValue(field: AnyConfigField, raw: string, taskDocs?: TaskDocumentCodec): ParseResult<ConfigValue>;
export function parseFieldValue(field: ConfigField, raw: string, taskDocs: TaskDocumentCodec = NO_TASK_DOCUMENTS): ParseResult<ConfigValue> {
  const got = `(got ${quoteRaw(raw)})`;
  const min = field.min ?? -Infinity;
  const max = field.max ?? Infinity;
  switch (field.type) {
    case 'int': {
      const n = INT_RE.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        return { ok: false, message: `${field.key} must be an integer between ${min} and ${max} ${got}` };
      }
      return { ok: true, value: n === 0 ? 0 : n }; // no -0
    }
    case 'number': {
      const n = NUMBER_RE.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < min || n > max) {
        return { ok: false, message: `${field.key} must be a number between ${min} and ${max} ${got}` };
      }
      return { ok: true, value: n === 0 ? 0 : n };
    }
    case 'boolean': {
      if (raw === 'true' || raw === '1') return { ok: true, value: true };
      if (raw === 'false' || raw === '0') return { ok: true, value: false };
      return { ok: false, message: `${field.key} must be true or false (or 1 or 0) ${got}` };
    }
    case 'choice': {
      const choices = field.choices ?? [];
      if (choices.includes(raw)) return { ok: true, value: raw };
      if (field.mixOf && looksLikeMix(raw)) {
        const mix = parseMix(raw, field.mixOf);
        return mix.ok ? { ok: true, value: mix.canonical } : { ok: false, message: `${field.key}: ${mix.message} ${got}` };
      }
      const mixes = field.mixOf ? `, or a weighted mix of ${field.mixOf.join(', ')} (e.g. ${field.mixOf.at(-2)}:0.7,${field.mixOf.at(-1)}:0.3)` : '';
      return { ok: false, message: `${field.key} must be one of ${choices.join(', ')}${mixes} ${got}` };
    }
    case 'list': {
      const allowed = field.choices ?? [];
      const expected = `${field.key} must be a non-empty comma-separated list of ${allowed.join(', ')} without repeats`;
      if (field.emptyOk && (raw.trim() === '' || raw.trim() === 'none')) return { ok: true, value: '' };
      const items = raw.split(',').map((s) => s.trim());
      if (raw.trim() === '') return { ok: false, message: `${expected} ${got}` };
      const seen = new Set<string>();
      for (const item of items) {
        if (item === '') return { ok: false, message: `${expected}; it has an empty item ${got}` };
        if (!allowed.includes(item)) return { ok: false, message: `${expected}; ${quoteRaw(item, 20)} is not one of them ${got}` };
        if (seen.has(item)) return { ok: false, message: `${expected}; ${quoteRaw(item, 20)} appears twice ${got}` };
        seen.add(item);
      }
      // Canonical order, so equal sets give equal strings (and equal URLs).
      return { ok: true, value: allowed.filter((a) => seen.has(a)).join(',') };
    }
    case 'model': {
      if (!MODEL_RE.test(raw) || raw.includes('..@') || /^[@/]*$/.test(raw)) {
        return { ok: false, message: `${field.key} must be embedded, a Hub id org/name[@revision], an http(s) URL or a folder ${got}` };
      }
      return { ok: true, value: raw };
    }
    case 'text': {
      // printable text: no control characters, at most maxLength (200) characters
      const max = field.maxLength ?? 200;
      if (raw.length > max || /[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, message: `${field.key} must be printable text of at most ${max} characters ${got}` };
      return { ok: true, value: raw };
    }
    case 'task': {
      if (raw === '') return { ok: true, value: '' };
      const doc = taskDocs.parse(raw);
      return doc.ok ? doc : { ok: false, message: `${field.key}: ${doc.message}` };
    }
  }
}

/** Whether two values of a field are the same setting (lists compare as sets, in canonical order). */
export function sameValue(field: AnyConfigField, a: ConfigValue, b: ConfigValue): boolean {
  if (field.type === 'list' && typeof a === 'string' && typeof b === 'string') {
    const pa = parseFieldValue(field, a);
    const pb = parseFieldValue(field, b);
    if (pa.ok && pb.ok) return pa.value === pb.value;
  }
  return a === b;
}
