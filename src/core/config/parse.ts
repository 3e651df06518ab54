/**
 * Parsing a whole configuration from raw `[key, value]` entries (a URL hash's or a command line's), keyed by URL key or
 * CLI flag: each value through its field's parser (values.ts), the task, the model and the task document first, since
 * their defaults are the base the other entries change.
 */
import type { TaskName } from '../tasks/catalogue';
import { FIELD_BY_CLI_FLAG, FIELD_BY_URL_KEY, type AnyConfigField, type ConfigValue, type RunConfig } from './fields';
import { DEFAULT_CONFIG, withModel, withTask, withTaskDoc } from './defaults';
import { NO_TASK_DOCUMENTS, parseFieldValue, quoteRaw, type ConfigProblem, type TaskDocumentCodec } from './values';

function setField(config: RunConfig, field: AnyConfigField, value: ConfigValue): void {
  (config as unknown as Record<string, ConfigValue>)[field.key] = value;
}

/**
 * Build a config from raw `[key, value]` entries, keyed by CLI flag (`--samples-per-prompt`) or URL key (`k`).
 * Starts from `base` (defaults unless given); later entries override earlier ones. Unknown keys and bad values
 * become problems and leave the base value in place. Cross-field checks are separate: see `checkConfig`.
 */
export function resolveConfig(
  entries: ReadonlyArray<readonly [key: string, raw: string]>,
  keyOf: 'cliFlag' | 'urlKey',
  base: RunConfig = DEFAULT_CONFIG,
  taskDocs: TaskDocumentCodec = NO_TASK_DOCUMENTS,
): { config: RunConfig; problems: ConfigProblem[] } {
  const lookup = keyOf === 'cliFlag' ? FIELD_BY_CLI_FLAG : FIELD_BY_URL_KEY;
  let config: RunConfig = { ...base };
  const problems: ConfigProblem[] = [];
  // the task, the model, then the task document first: their defaults are the base that the other entries change
  const rank = (key: string) => ({ task: 0, model: 1, taskDoc: 2 })[lookup.get(key)?.key as 'task' | 'model' | 'taskDoc'] ?? 3;
  const ordered = [...entries].sort((a, b) => rank(a[0]) - rank(b[0]));
  for (const [key, raw] of ordered) {
    const field = lookup.get(key);
    if (!field) {
      const what = keyOf === 'cliFlag' ? 'flag' : 'URL key';
      problems.push({ key, value: raw, message: `unknown ${what} ${quoteRaw(key, 40)}` });
      continue;
    }
    const parsed = parseFieldValue(field, raw, taskDocs);
    if (parsed.ok && field.key === 'task') config = withTask(config, parsed.value as TaskName);
    else if (parsed.ok && field.key === 'model') config = withModel(config, parsed.value as string);
    else if (parsed.ok && field.key === 'taskDoc') config = withTaskDoc(config, parsed.value as string);
    else if (parsed.ok) setField(config, field, parsed.value);
    else problems.push({ key: field.key, value: raw, message: parsed.message });
  }
  return { config, problems };
}
