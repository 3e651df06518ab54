/**
 * The CLI's task files: `--task-file TASK.json` (a task document, text or image), or the shortcut `--prompts FILE --reward-py FILE
 * [--eval-prompts FILE]`, which builds a document with one Python reward term. Errors name the file.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseAnyTaskDocument, type AnyTaskDocument } from '../core/tasks/custom/any-document';
import { parseTaskDocument, TaskDocumentError } from '../core/tasks/custom/document';
import { parsePromptFile } from '../core/tasks/custom/prompts';

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new TaskDocumentError(`${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface TaskFileOptions {
  taskFile?: string;
  promptsFile?: string;
  rewardPy?: string;
  evalPromptsFile?: string;
}

/** The task document the options name, or null when they name none. Throws TaskDocumentError. */
export function taskDocumentFromFiles(o: TaskFileOptions): AnyTaskDocument | null {
  if (o.taskFile !== undefined) {
    try {
      return parseAnyTaskDocument(read(o.taskFile, 'the task file'));
    } catch (e) {
      if (e instanceof TaskDocumentError) throw new TaskDocumentError(`${o.taskFile}: ${e.message}`);
      throw e;
    }
  }
  if (o.promptsFile === undefined || o.rewardPy === undefined) return null;
  const prompts = parsePromptFile(read(o.promptsFile, 'the prompts file'), undefined, o.promptsFile);
  const evalPrompts = o.evalPromptsFile !== undefined ? parsePromptFile(read(o.evalPromptsFile, 'the eval prompts file'), undefined, o.evalPromptsFile) : undefined;
  const code = read(o.rewardPy, 'the reward file');
  return parseTaskDocument({
    raftlabTask: 1,
    name: basename(o.promptsFile).replace(/\.(jsonl|txt|json)$/i, '').slice(0, 80) || 'my task',
    description: `prompts from ${basename(o.promptsFile)}, reward ${basename(o.rewardPy)}`.slice(0, 600),
    prompts,
    ...(evalPrompts ? { evalPrompts } : {}),
    reward: { kind: 'python', code },
  });
}
