/**
 * Prompts from files: JSONL with a `prompt` field per line (the TRL / Hugging Face convention; every other field of a
 * row goes to the reward), or plain text, one prompt a line. `parsePromptFile` tells them apart by the first
 * non-blank line: a JSON object means JSONL.
 */
import { parseRow, TASK_LIMITS, TaskDocumentError, type TaskRow } from './document';

export type PromptFormat = 'jsonl' | 'text';

/** The format of a prompts file: JSONL when its first non-blank line is a JSON object, else text. */
export function detectPromptFormat(text: string): PromptFormat {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return first.trimStart().startsWith('{') ? 'jsonl' : 'text';
}

/** Rows of a prompts file (blank lines skipped). Throws TaskDocumentError naming the line of the first problem. */
export function parsePromptFile(text: string, format: PromptFormat = detectPromptFormat(text), name = 'the prompts'): TaskRow[] {
  if (text.length > TASK_LIMITS.documentChars) throw new TaskDocumentError(`${name} are larger than ${TASK_LIMITS.documentChars / 1e6} MB`);
  const out: TaskRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (out.length >= TASK_LIMITS.rows) throw new TaskDocumentError(`${name} have more than ${TASK_LIMITS.rows} rows`);
    if (format === 'text') {
      out.push(parseRow(line, `${name}, line ${i + 1}`));
      continue;
    }
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new TaskDocumentError(`${name}, line ${i + 1}, is not JSON: ${(e as Error).message.slice(0, 120)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TaskDocumentError(`${name}, line ${i + 1}, must be a JSON object with a "prompt" field`);
    out.push(parseRow(v, `${name}, line ${i + 1}`));
  }
  if (out.length === 0) throw new TaskDocumentError(`${name} have no rows`);
  return out;
}

/** Rows as JSONL text (what "Export prompts" writes). */
export function promptRowsJsonl(rows: readonly TaskRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
