/**
 * Compare runs: a legend label naming each run's method and the settings that set it apart, and per-cycle series
 * of several runs overlaid on one x axis (uPlot's column format; a run without a cycle has a gap there).
 */
import { configDiff, type RunConfig } from '../core/config/schema';
import { METHOD_CATALOG } from '../core/raft/methods/catalog';
import { fidelity, type Series } from './chart-data';
import type { AnyCycleStats } from './export';

export interface CompareRun {
  id: string;
  /** The saved run's name (tells runs with the same configuration apart). */
  name?: string;
  config: RunConfig;
  /** Image runs (shapes): ImageCycleStats, whose heldOutLoss takes perplexity's place. */
  stats: AnyCycleStats[];
}

/** Keys the label always names (or that do not change a run's curves: `cycles` only makes them longer). */
const NAMED = new Set(['method', 'seed', 'cycles', 'task']);

/**
 * e.g. "raft (per-prompt) seed 1", "uft beta 0.01 seed 1", "best-of-6 seed 1", "sft seed 1", followed by the other
 * settings that differ from the defaults ("lora 4, lr 0.001").
 */
export function runLabel(config: RunConfig): string {
  return [labelHead(config), ...labelExtras(config)].join(', ');
}

/**
 * Labels for runs shown together: each names its method and seed and the settings in which the runs differ;
 * `common` lists the non-default settings all of them share (shown once, above the charts). Runs whose labels
 * would still be equal (the same configuration twice) are told apart by their names, or by their place.
 */
export function compareLabels(runs: ReadonlyArray<{ config: RunConfig; name?: string }>): { labels: string[]; common: string } {
  const extras = runs.map((r) => labelExtras(r.config));
  const shared = runs.length < 2 ? [] : extras[0]!.filter((e) => extras.every((x) => x.includes(e)));
  const manyTasks = new Set(runs.map((r) => r.config.task)).size > 1;
  const labels = runs.map((r, i) =>
    [(manyTasks ? `${r.config.task}: ` : '') + labelHead(r.config), ...extras[i]!.filter((e) => !shared.includes(e))].join(', '),
  );
  const out = labels.map((l, i) => {
    const same = labels.map((m, j) => (m === l ? j : -1)).filter((j) => j >= 0);
    if (same.length < 2) return l;
    const names = same.map((j) => runs[j]!.name ?? '');
    const distinctNames = new Set(names).size === names.length && names.every((n) => n !== '');
    return distinctNames ? `${l} (${runs[i]!.name})` : `${l} (#${same.indexOf(i) + 1})`;
  });
  return { labels: out, common: shared.join(', ') };
}

function labelExtras(config: RunConfig): string[] {
  return configDiff(config)
    .filter(([f]) => !NAMED.has(f.key) && !METHOD_CATALOG[config.method].legend.keys.includes(f.key))
    .map(([f, v]) => (f.key === 'model' ? `model ${shortModel(String(v))}` : `${f.urlKey} ${String(v)}`));
}

/** A Hub model for a legend: `org/name@<commit>` with the commit cut to 12 characters. */
function shortModel(model: string): string {
  return model.replace(/@([0-9a-f]{12})[0-9a-f]{28}$/, '@$1');
}

/** The method's legend head (its declaration, methods/catalog.ts) and the seed. */
function labelHead(config: RunConfig): string {
  return `${METHOD_CATALOG[config.method].legend.head(config)} seed ${config.seed}`;
}

/** Per-cycle overlay: x = every cycle any run has, then one column per run (null where a run has no such cycle). */
export function overlaySeries(runs: readonly CompareRun[], field: (s: AnyCycleStats) => number | null): Series {
  const xs = [...new Set(runs.flatMap((r) => r.stats.map((s) => s.cycle)))].sort((a, b) => a - b);
  return [xs, ...runs.map((r) => xs.map((c) => valueOrNull(field(r.stats.find((s) => s.cycle === c) ?? nullStats))))];
}

/**
 * Reward-perplexity plane: x = every perplexity of any run (image runs: held-out loss; sorted, as uPlot needs), one
 * column per run holding its eval reward at its own points and gaps elsewhere.
 */
export function tradeoffOverlay(runs: readonly CompareRun[]): Series {
  const xs = [...new Set(runs.flatMap((r) => r.stats.map(fidelity)))].filter((x): x is number => Number.isFinite(x)).sort((a, b) => a - b);
  return [xs, ...runs.map((r) => xs.map((x) => r.stats.find((s) => fidelity(s) === x)?.evalReward ?? null))];
}

/** A colour per run, the same in every chart and the table. */
/** The Okabe-Ito palette (apart for every kind of colour vision), its light yellow last. */
export const RUN_COLORS = ['#0072b2', '#d55e00', '#009e73', '#e69f00', '#cc79a7', '#56b4e9', '#000000', '#f0e442'];

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length]!;
}

const nullStats = { cycle: -1 } as AnyCycleStats;

function valueOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
