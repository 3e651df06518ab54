/**
 * The run-configuration schema of RAFT Lab: the public entry of src/core/config. Everything is defined by job in
 * its own module and re-exported here, with the custom task's document parser passed in:
 *
 * - tasks/catalogue.ts: the task and method names (plain data);
 * - fields.ts: the one table of settings, from which `RunConfig` is derived;
 * - values.ts: one field's raw string read strictly, and written back;
 * - defaults.ts: defaults, the tasks' and Hub models' presets, switching task or model, the diff from defaults;
 * - parse.ts: a whole config from URL keys or CLI flags;
 * - checks.ts: checks that involve more than one field.
 *
 * The `task` kind's parser (task-link.ts, over tasks/custom/document.ts) lives above the table; the parsers here
 * pass it in, so the table's layer imports nothing above it and no module imports this one back.
 */
import type { ConfigField, AnyConfigField, ConfigKey, ConfigValue, RunConfig } from './fields';
import { resolveConfig as resolveWith } from './parse';
import { TASK_DOCUMENT_CODEC } from './task-link';
import { formatFieldValue as formatWith, parseFieldValue as parseWith, type ConfigProblem, type ParseResult } from './values';
import { DEFAULT_CONFIG } from './defaults';

export { TASKS, IMAGE_TASKS, isImageTaskName, TASK_SHARED_MODEL, GENERAL_TASKS, METHODS, type TaskName, type Method } from '../tasks/catalogue';
export { LORA_TARGETS, type LoraTarget } from '../lm/lora-config';
export { SELECT_MODES, type SelectMode } from '../raft/select';
export {
  CONFIG_FIELDS, CONFIG_GROUPS, FIELD_BY_CLI_FLAG, FIELD_BY_KEY, FIELD_BY_URL_KEY, fieldApplies, fieldOf,
  type AnyConfigField, type ConfigField, type ConfigGroup, type ConfigKey, type ConfigValue, type FieldScope, type FieldType, type RunConfig,
} from './fields';
export { describeFieldRange, quoteRaw, type ConfigProblem, type ParseResult, type TaskDocumentCodec } from './values';
export {
  DEFAULT_CONFIG, HUB_MODEL_DEFAULTS, TASK_DEFAULTS, completeConfig, configDiff, defaultConfig, isEmbeddedModel, runDefaults, taskDefaults,
  withModel, withTask, withTaskDoc,
} from './defaults';
export { checkConfig } from './checks';

/** Parse a raw string for one field, strictly (a `task` value through the task document's parser). Never throws. */
export function parseFieldValue<K extends ConfigKey>(field: ConfigField<K>, raw: string): ParseResult<RunConfig[K]>;
export function parseFieldValue(field: AnyConfigField, raw: string): ParseResult<ConfigValue>;
export function parseFieldValue(field: AnyConfigField, raw: string): ParseResult<ConfigValue> {
  return parseWith(field, raw, TASK_DOCUMENT_CODEC);
}

/** The canonical string form of a value, as written to URLs and CLI flags (a task document in its link form). */
export function formatFieldValue(field: AnyConfigField, value: ConfigValue): string {
  return formatWith(field, value, TASK_DOCUMENT_CODEC);
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
): { config: RunConfig; problems: ConfigProblem[] } {
  return resolveWith(entries, keyOf, base, TASK_DOCUMENT_CODEC);
}
