/**
 * Helpers for the config controls of the lab page, derived from the schema's CONFIG_FIELDS table:
 * which fields get a control, how a control's raw value is parsed, and how stats are shown.
 * Kept out of the .svelte files so that tsc checks them.
 */
import {
  CONFIG_FIELDS,
  parseFieldValue,
  type AnyConfigField,
  type ConfigKey,
  type ConfigValue,
  type RunConfig,
} from '../core/config/schema';
import type { CycleStats } from '../core/raft/stats';

/** The settings this first version of the page offers, in this order (the rest keep URL/default values). */
export const CONTROL_KEYS: readonly ConfigKey[] = [
  'task', 'seed', 'cycles', 'promptsPerCycle', 'samplesPerPrompt', 'select', 'keepPerPrompt', 'lora', 'maxNewTokens', 'evalPrompts',
];

export const CONTROL_FIELDS: readonly AnyConfigField[] = CONTROL_KEYS.map((k) => {
  const f = CONFIG_FIELDS.find((x) => x.key === k);
  if (!f) throw new Error(`no config field ${k}`);
  return f;
});

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
  const next = { ...config } as Record<ConfigKey, ConfigValue>;
  next[f.key] = parsed.value;
  return { ok: true, config: next as RunConfig };
}

export interface StatsColumn {
  key: keyof CycleStats;
  label: string;
  digits: number;
  title: string;
}

export const STATS_COLUMNS: readonly StatsColumn[] = [
  { key: 'cycle', label: 'cycle', digits: 0, title: 'Cycle 0 evaluates the base model before any fine-tuning' },
  { key: 'evalReward', label: 'eval reward', digits: 3, title: 'Mean reward on held-out prompts (never trained on)' },
  { key: 'rewardMeanKept', label: 'kept reward', digits: 3, title: 'Mean reward of the samples kept for fine-tuning' },
  { key: 'keptCount', label: 'kept', digits: 0, title: 'How many samples were kept for fine-tuning' },
  { key: 'perplexity', label: 'perplexity', digits: 2, title: 'Perplexity on held-out reviews (lower = closer to the original text)' },
  { key: 'distinct2', label: 'distinct-2', digits: 3, title: 'Unique word pairs / all word pairs in eval samples (diversity)' },
  { key: 'trainLoss', label: 'train loss', digits: 3, title: 'Mean fine-tuning loss on the kept samples' },
];

export function formatStat(s: CycleStats, c: StatsColumn): string {
  const v = s[c.key];
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  return c.digits === 0 ? String(v) : v.toFixed(c.digits);
}
