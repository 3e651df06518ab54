/**
 * Sweeps: a grid of settings (any schema fields) x methods x seeds, run one configuration at a time, and per method,
 * grid point and cycle the mean and a 95% interval over seeds (Student's t) of the eval reward, perplexity and KL,
 * with the samples generated so far (the x axis of fronts at equal cost). Framework-free: the CLI runs it
 * (src/cli/sweep.ts) and the lab reads its file (Compare runs, the Sweep panel).
 */
import { CONFIG_FIELDS, parseFieldValue, type ConfigKey, type ConfigValue, type Method, type RunConfig } from './config/schema';
import type { CycleStats } from './raft/stats';

export const SWEEP_VERSION = 1;

export interface GridAxis {
  key: ConfigKey;
  values: ConfigValue[];
}

export type GridPoint = Partial<Record<ConfigKey, ConfigValue>>;

export interface SweepRun {
  /** method|point|seed: what identifies a run of the sweep (a resumed sweep skips the runs it has). */
  id: string;
  method: Method;
  point: GridPoint;
  seed: number;
  config: RunConfig;
  cycles: CycleStats[];
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
  n: number;
}

export interface SweepSummaryRow {
  method: Method;
  point: GridPoint;
  cycle: number;
  /**
   * Samples generated up to and including this cycle: the same for every seed, except with GRPO's group filtering
   * (its extra draws depend on the rewards), where it is the mean over the seeds.
   */
  samplesGenerated: number;
  evalReward: Interval;
  perplexity: Interval;
  klToRef: Interval | null;
  /** The sampling policy's entropy on the cycle's training samples; null where some seed has none (absent in older files). */
  entropy?: Interval | null;
  /** The eval pass rate (tasks with a pass notion); null where some seed has none (absent in older files). */
  evalPassRate?: Interval | null;
}

export interface SweepFile {
  raftlabSweep: typeof SWEEP_VERSION;
  base: RunConfig;
  methods: Method[];
  grid: GridAxis[];
  seeds: number[];
  runs: SweepRun[];
  summary: SweepSummaryRow[];
}

const fieldByName = (name: string) => CONFIG_FIELDS.find((f) => f.key === name || f.cliFlag === `--${name}`);

/** `lr=1e-4,3e-4;loraLr=1e-3` (keys: config keys or flag names without the dashes). Throws with the problem. */
export function parseGrid(spec: string): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const part of spec.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new Error(`--grid: ${JSON.stringify(part.slice(0, 40))} is not key=value,value`);
    const name = part.slice(0, eq).trim();
    const field = fieldByName(name);
    if (!field) throw new Error(`--grid: unknown setting ${JSON.stringify(name.slice(0, 40))}`);
    if (field.key === 'seed' || field.key === 'method' || field.key === 'task' || field.key === 'taskDoc') throw new Error(`--grid: ${field.key} is not a grid axis (use --seeds, --methods, --task)`);
    if (axes.some((a) => a.key === field.key)) throw new Error(`--grid: ${field.key} appears twice`);
    const values = part.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '').map((raw) => {
      const p = parseFieldValue(field, raw);
      if (!p.ok) throw new Error(`--grid: ${p.message}`);
      return p.value;
    });
    if (values.length === 0) throw new Error(`--grid: ${field.key} has no values`);
    axes.push({ key: field.key, values });
  }
  return axes;
}

/** Every combination of the axes' values (one empty point for no axes). */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  return points;
}

export function pointLabel(point: GridPoint): string {
  const parts = Object.entries(point).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(' ') : 'defaults';
}

export function runId(method: Method, point: GridPoint, seed: number): string {
  return `${method}|${pointLabel(point)}|${seed}`;
}

/** One run of a sweep's plan: its place in the order, what identifies it, and its whole config. */
export interface PlannedRun {
  /** 1-based position in the plan. */
  n: number;
  id: string;
  method: Method;
  point: GridPoint;
  seed: number;
  config: RunConfig;
  /** For progress lines: `raft, lr=0.001, seed 2`. */
  label: string;
}

/**
 * The sweep's plan: every method x grid point x seed on the base settings, in the order both the CLI
 * (src/cli/sweep.ts) and the page (app/state/sweep.svelte.ts) run them.
 */
export function sweepPlan(base: RunConfig, methods: readonly Method[], grid: readonly GridAxis[], seeds: readonly number[]): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (const method of methods) {
    for (const point of gridPoints(grid)) {
      for (const seed of seeds) {
        const config = { ...base, ...point, method, seed } as RunConfig;
        plan.push({ n: plan.length + 1, id: runId(method, point, seed), method, point, seed, config, label: `${method}, ${pointLabel(point)}, seed ${seed}` });
      }
    }
  }
  return plan;
}

/** The sweep file of the runs done so far, with their summary. */
export function sweepFile(base: RunConfig, methods: Method[], grid: GridAxis[], seeds: number[], runs: readonly SweepRun[]): SweepFile {
  return { raftlabSweep: SWEEP_VERSION, base, methods, grid, seeds, runs: [...runs], summary: summarizeSweep(runs) };
}

/** Two-sided 95% Student's t quantiles for n - 1 degrees of freedom (n = 2..31), else the normal's. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean and 95% interval (mean +- t sd / sqrt(n)); one value: an interval of width 0. */
export function interval(xs: readonly number[]): Interval {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  if (n < 2) return { mean, low: mean, high: mean, n };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const t = T975[n - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half, n };
}

/** Per method, grid point and cycle, over the seeds that have the cycle. */
export function summarizeSweep(runs: readonly SweepRun[]): SweepSummaryRow[] {
  const groups = new Map<string, SweepRun[]>();
  for (const r of runs) {
    const key = `${r.method}|${pointLabel(r.point)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SweepSummaryRow[] = [];
  for (const group of groups.values()) {
    const cycles = Math.max(...group.map((r) => r.cycles.length));
    for (let c = 0; c < cycles; c++) {
      const at = group.map((r) => r.cycles[c]).filter((s): s is CycleStats => s !== undefined);
      const kls = at.map((s) => s.klToRef).filter((k): k is number => k !== null);
      const entropies = at.map((s) => s.entropy ?? null).filter((h): h is number => h !== null);
      const passes = at.map((s) => s.evalPassRate).filter((p): p is number => p !== null && p !== undefined);
      const spentBy = (r: SweepRun) => r.cycles.slice(0, c + 1).reduce((n, s) => n + (s.budget?.samplesGenerated ?? 0), 0);
      const withCycle = group.filter((r) => r.cycles.length > c);
      rows.push({
        method: group[0]!.method,
        point: group[0]!.point,
        cycle: at[0]!.cycle,
        samplesGenerated: withCycle.reduce((n, r) => n + spentBy(r), 0) / withCycle.length,
        evalReward: interval(at.map((s) => s.evalReward)),
        perplexity: interval(at.map((s) => s.perplexity)),
        klToRef: kls.length === at.length ? interval(kls) : null,
        entropy: entropies.length === at.length ? interval(entropies) : null,
        evalPassRate: passes.length === at.length ? interval(passes) : null,
      });
    }
  }
  return rows;
}

/** A sweep file read back (the lab opens one in Compare runs); throws with the problem. */
export function parseSweepFile(text: string): SweepFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('not a sweep file (not JSON)');
  }
  const f = v as Partial<SweepFile>;
  if (!f || typeof f !== 'object' || f.raftlabSweep !== SWEEP_VERSION || !Array.isArray(f.runs) || !Array.isArray(f.summary)) {
    throw new Error(`not a sweep file of this lab (raftlabSweep ${SWEEP_VERSION} with runs and summary)`);
  }
  for (const r of f.summary) {
    if (!r || typeof r.method !== 'string' || typeof r.cycle !== 'number' || typeof r.evalReward?.mean !== 'number' || typeof r.perplexity?.mean !== 'number') {
      throw new Error('a summary row of the sweep file is malformed');
    }
  }
  return f as SweepFile;
}
