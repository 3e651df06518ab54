/**
 * Helpers for the config controls of the lab page, derived from the schema's CONFIG_FIELDS table:
 * every field gets a control, grouped by its `group`; how a control's raw value is parsed; how stats are shown.
 * Kept out of the .svelte files so that tsc checks them.
 */
import {
  CONFIG_FIELDS,
  CONFIG_GROUPS,
  fieldApplies,
  type ConfigGroup,
  parseFieldValue,
  withModel,
  withTask,
  type TaskName,
  type AnyConfigField,
  type ConfigKey,
  type ConfigValue,
  type Method,
  type RunConfig,
} from '../core/config/schema';
import { settingApplies } from '../core/raft/methods/catalog';
import { isImageStats, type AnyCycleStats } from './export';

/** Title and one-line explanation of each group of settings, in the order of the page. */
export const GROUP_INFO: Record<ConfigGroup, { title: string; help: string }> = {
  run: { title: 'Run', help: 'What to train on, for how long, and the seed that makes the run reproducible.' },
  sampling: { title: 'Sampling (generate)', help: 'How the model writes its K completions per prompt.' },
  selection: { title: 'Selection (rank and keep)', help: 'Which samples are kept for fine-tuning: the heart of RAFT.' },
  training: { title: 'Fine-tuning (train)', help: 'How the model is fine-tuned on the kept samples.' },
  lora: { title: 'LoRA', help: 'Train small low-rank adapters instead of all weights (rank 0 = full fine-tuning).' },
  eval: { title: 'Evaluation', help: 'How each cycle is measured on held-out prompts and held-out text.' },
};

export interface ControlGroup {
  group: ConfigGroup;
  fields: readonly AnyConfigField[];
}

/** Every field of the schema, grouped by `group` in CONFIG_GROUPS order. */
export const CONTROL_GROUPS: readonly ControlGroup[] = groupFields(CONFIG_FIELDS);

function groupFields(fields: readonly AnyConfigField[]): ControlGroup[] {
  return CONFIG_GROUPS.map((group) => ({ group, fields: fields.filter((f) => f.group === group) })).filter((g) => g.fields.length > 0);
}

/**
 * The controls for a task and method: the settings that apply to the task (image tasks have no temperature or UFT
 * settings, language tasks no image reward, a custom image task's document decides its reward, prompts and image
 * size: `taskDoc`) and, of the methods' own settings (their declarations,
 * core/raft/methods/catalog.ts), only the chosen method's; grouped. `hidden`: the labels of the settings the task
 * leaves out; `otherMethods`: those of other methods. Hidden settings keep their values. Without a method every
 * method's settings are shown.
 */
export function controlsFor(task: string, method?: Method, taskDoc = ''): { groups: ControlGroup[]; hidden: string[]; otherMethods: string[] } {
  // the task document has its own editor ("Your task"), not a control
  const forTask = CONFIG_FIELDS.filter((f) => fieldApplies(f, task, taskDoc) && f.type !== 'task');
  const forMethod = (f: AnyConfigField) => method === undefined || settingApplies(f.key, method);
  return {
    groups: groupFields(forTask.filter(forMethod)),
    hidden: CONFIG_FIELDS.filter((f) => !fieldApplies(f, task, taskDoc) && f.type !== 'task').map((f) => f.label),
    otherMethods: forTask.filter((f) => !forMethod(f)).map((f) => f.label),
  };
}

/**
 * The controls of a lesson: only the settings it shows (and that apply to the task and method), and one line naming
 * the others with their values ("Samples per prompt (K) 6, Temperature 1, ...") for the expandable rest.
 */
export function lessonControls(config: RunConfig, show: readonly ConfigKey[]): { groups: ControlGroup[]; others: string } {
  const applies = CONFIG_FIELDS.filter((f) => fieldApplies(f, config.task, config.taskDoc) && f.type !== 'task' && settingApplies(f.key, config.method));
  return {
    groups: groupFields(applies.filter((f) => show.includes(f.key))),
    others: applies.filter((f) => !show.includes(f.key)).map((f) => `${f.label} ${String(config[f.key])}`).join(', '),
  };
}

/** Settings that may change while a run is paused (the engine keeps the rest until Reset). */
export const LIVE_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>(['cycles']);

/** Whether two configurations differ in anything but the live keys. */
export function differsBeyondLive(a: RunConfig, b: RunConfig): boolean {
  return CONFIG_FIELDS.some((f) => !LIVE_KEYS.has(f.key) && a[f.key] !== b[f.key]);
}

/** "1..64" for numeric fields, '' otherwise. */
export function rangeText(f: AnyConfigField): string {
  return f.min !== undefined && f.max !== undefined ? `${f.min}–${f.max}` : '';
}

export function stepOf(f: AnyConfigField): string {
  return f.type === 'int' ? '1' : 'any';
}

/** Apply one control's raw value to a copy of `config`; a bad value gives the schema's message instead. */
export function applyControl(
  config: RunConfig,
  f: AnyConfigField,
  raw: string | boolean,
): { ok: true; config: RunConfig } | { ok: false; message: string } {
  const parsed = parseFieldValue(f, typeof raw === 'boolean' ? String(raw) : raw.trim());
  if (!parsed.ok) return { ok: false, message: parsed.message };
  // a new task brings its defaults to the settings still at the old task's defaults
  if (f.key === 'task') return { ok: true, config: withTask(config, parsed.value as TaskName) };
  if (f.key === 'model') return { ok: true, config: withModel(config, parsed.value as string) };
  const next = { ...config } as Record<ConfigKey, ConfigValue>;
  next[f.key] = parsed.value;
  return { ok: true, config: next as RunConfig };
}

export interface StatsColumn {
  /** A field of CycleStats (language tasks) or ImageCycleStats (image tasks). */
  key: string;
  label: string;
  digits: number;
  title: string;
  /** Shown only when some cycle has a value (e.g. pass rate: verifier tasks only). */
  optional?: boolean;
}

export const STATS_COLUMNS: readonly StatsColumn[] = [
  { key: 'cycle', label: 'cycle', digits: 0, title: 'Cycle 0 evaluates the base model before any fine-tuning' },
  { key: 'evalReward', label: 'eval reward', digits: 3, title: 'Mean reward on held-out prompts (never trained on)' },
  { key: 'rewardMeanKept', label: 'kept reward', digits: 3, title: 'Mean reward of the samples kept for fine-tuning' },
  { key: 'rewardMean', label: 'sample reward', digits: 3, title: 'Mean reward of all K samples per training prompt, before selection' },
  { key: 'keptCount', label: 'kept', digits: 0, title: 'How many samples were kept for fine-tuning' },
  { key: 'keptFraction', label: 'kept fraction', digits: 3, title: 'Kept samples / all training samples of the cycle' },
  { key: 'evalPassRate', label: 'pass rate', digits: 3, title: 'Share of eval samples that fully pass (correct output / all asserts)', optional: true },
  { key: 'evalPassRateSe', label: 'pass rate se', digits: 3, title: 'Standard error of the pass rate: the sampling noise of the eval samples, prompt by prompt (a change of 2 or more of these between cycles or runs is unlikely to be noise)', optional: true },
  { key: 'perplexity', label: 'perplexity', digits: 2, title: 'Perplexity on held-out reviews (lower = closer to the original text)' },
  { key: 'distinct2', label: 'distinct-2', digits: 3, title: 'Unique word pairs / all word pairs in eval samples (diversity)' },
  { key: 'meanLength', label: 'length', digits: 1, title: 'Mean length of eval completions in tokens' },
  { key: 'klToRef', label: 'KL to base', digits: 3, title: 'KL to the reference (base) model: the exact per-token KL between the two models\' sampling distributions (temperature, top-k, top-p), summed over each eval sample and averaged', optional: true },
  { key: 'klBound', label: 'KL bound', digits: 3, title: 'Best-of-K: the analytic bound log K - (K - 1) / K of its KL to the base model (not a measured KL)', optional: true },
  { key: 'trainLoss', label: 'train loss', digits: 3, title: 'Mean fine-tuning loss on the kept samples' },
  { key: 'entropy', label: 'entropy', digits: 3, title: 'Mean per-token entropy (nats) of the sampling policy on the cycle\'s training samples (temperature, top-k, top-p as sampled); a falling entropy means the model explores less', optional: true },
  { key: 'fracRewardZeroStd', label: 'tied prompts', digits: 3, title: 'Share of the cycle\'s prompts whose samples all scored the same (no signal for a group baseline; TRL\'s frac_reward_zero_std)', optional: true },
  { key: 'truncatedFraction', label: 'truncated', digits: 3, title: 'Share of the cycle\'s training samples that hit max new tokens without ending', optional: true },
  { key: 'clipRatio', label: 'clipped', digits: 3, title: 'Share of trained tokens whose update the clip cut off (GRPO, RAFT++, Reinforce-Rej, PPO); low and high sides in the next columns', optional: true },
  { key: 'clipLow', label: 'clip low', digits: 3, title: 'Share of trained tokens clipped below (ratio < 1 - epsilon with a negative advantage)', optional: true },
  { key: 'clipHigh', label: 'clip high', digits: 3, title: 'Share of trained tokens clipped above (ratio > 1 + epsilon high with a positive advantage)', optional: true },
  { key: 'rewardErrors', label: 'reward errors', digits: 0, title: 'Samples of the cycle whose reward failed (threw, or gave no number in [0, 1]); they scored 0', optional: true },
  { key: 'verifyPerSec', label: 'verified/s', digits: 1, title: 'Verification throughput: samples per second of the cycle\'s verified rewards', optional: true },
];

/** Image tasks: held-out denoising loss and eval diversity in place of perplexity and distinct-2; no length; fidelity on task scenes. */
export const IMAGE_STATS_COLUMNS: readonly StatsColumn[] = STATS_COLUMNS.flatMap((c): StatsColumn[] => {
  if (c.key === 'perplexity') {
    return [{ key: 'heldOutLoss', label: 'held-out loss', digits: 4, title: 'Denoising loss on held-out real images with fixed timesteps and noise (lower = closer to the data)' }];
  }
  if (c.key === 'distinct2') return [{ key: 'evalDiversity', label: 'diversity', digits: 3, title: 'Mean pairwise pixel distance between the eval images of a prompt' }];
  if (c.key === 'meanLength') return [];
  if (c.key === 'evalPassRate') return [{ ...c, title: 'Task scenes: share of eval images that satisfy every part of their prompt (fidelity 1)' }];
  if (c.key === 'evalReward') {
    return [c, { key: 'evalFidelity', label: 'fidelity', digits: 3, title: 'Task scenes: mean verified fidelity of the eval images (the detector), whatever the run\'s reward', optional: true }];
  }
  return [c];
});

/**
 * The columns to show for these cycles: image columns for an image run (`imageRun`, which the caller knows from the
 * run's task before its first cycle; by default read from the cycles), optional ones only when some cycle has a value.
 */
export function visibleStatsColumns(cycles: readonly AnyCycleStats[], imageRun = cycles.some(isImageStats)): StatsColumn[] {
  const all = imageRun ? IMAGE_STATS_COLUMNS : STATS_COLUMNS;
  const value = (s: AnyCycleStats, key: string) => (s as unknown as Record<string, unknown>)[key];
  return all.filter((c) => !c.optional || cycles.some((s) => value(s, c.key) !== null && value(s, c.key) !== undefined));
}

/** Seconds a cycle took (generate + reward + train + eval). */
export function cycleSeconds(s: AnyCycleStats): number {
  return (s.ms.generate + s.ms.reward + s.ms.train + s.ms.eval) / 1000;
}

export function formatStat(s: AnyCycleStats, c: StatsColumn): string {
  const v = (s as unknown as Record<string, unknown>)[c.key];
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  return c.digits === 0 ? String(v) : v.toFixed(c.digits);
}
