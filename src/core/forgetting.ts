/**
 * The forgetting report of a comparison on a domain task: per run and cycle, the domain accuracy (eval pass rate,
 * else eval reward) and each general task's metrics (CycleStats.general) with their change from the base model
 * (cycle 0 of the same run); over seeds, the mean and the sample standard deviation of each. Also the ablation rows of
 * domain-RAFT: the method with each of its parts off.
 */
import type { CycleStats, GeneralMetrics } from './raft/stats';

// domain-RAFT's ablations are declared with the method (methods/domain-raft/declaration.ts)
export { DOMAIN_RAFT_ABLATIONS } from './raft/methods/domain-raft/declaration';

export interface ForgettingRow {
  label: string;
  cycle: number;
  /** Domain accuracy (pass rate, else eval reward) and its change from cycle 0. */
  accuracy: number;
  dAccuracy: number;
  perplexity: number;
  dPerplexity: number;
  /** Per general task: its metrics and their changes from cycle 0. */
  general: Record<string, GeneralMetrics & { dReward: number; dPassRate: number | null; dPerplexity: number }>;
}

const accuracyOf = (s: CycleStats) => s.evalPassRate ?? s.evalReward;

/** Every cycle of a run as rows (cycle 0 has changes 0). */
export function forgettingRows(label: string, cycles: readonly CycleStats[]): ForgettingRow[] {
  const base = cycles[0];
  if (!base) return [];
  return cycles.map((s) => {
    const general: ForgettingRow['general'] = {};
    for (const [task, g] of Object.entries(s.general ?? {})) {
      const b = base.general?.[task];
      if (!b) continue;
      general[task] = {
        ...g,
        dReward: g.reward - b.reward,
        dPassRate: g.passRate === null || b.passRate === null ? null : g.passRate - b.passRate,
        dPerplexity: g.perplexity - b.perplexity,
      };
    }
    return { label, cycle: s.cycle, accuracy: accuracyOf(s), dAccuracy: accuracyOf(s) - accuracyOf(base), perplexity: s.perplexity, dPerplexity: s.perplexity - base.perplexity, general };
  });
}

/** The general tasks named in rows (in first-seen order). */
export function generalTasksOf(rows: readonly ForgettingRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.general)))];
}

const fmt = (v: number | null | undefined, digits = 3, signed = false) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : `${signed && v >= 0 ? '+' : ''}${v.toFixed(digits)}`);

/** A fixed-width table of rows: accuracy, its change, domain perplexity, and per general task reward/pass/ppl changes. */
export function forgettingTable(rows: readonly ForgettingRow[]): string[] {
  const tasks = generalTasksOf(rows);
  const width = Math.max(24, ...rows.map((r) => r.label.length + 1));
  const head = ['method'.padEnd(width), 'cycle'.padStart(5), 'acc'.padStart(6), 'dAcc'.padStart(7), 'ppl'.padStart(6), ...tasks.flatMap((t) => [`${short(t)}:dR`.padStart(10), `${short(t)}:dPass`.padStart(10), `${short(t)}:dPpl`.padStart(10)])];
  const lines = [head.join(' ')];
  for (const r of rows) {
    lines.push([
      r.label.padEnd(width), String(r.cycle).padStart(5), fmt(r.accuracy).padStart(6), fmt(r.dAccuracy, 3, true).padStart(7), fmt(r.perplexity, 2).padStart(6),
      ...tasks.flatMap((t) => {
        const g = r.general[t];
        return [fmt(g?.dReward, 3, true).padStart(10), fmt(g?.dPassRate, 3, true).padStart(10), fmt(g?.dPerplexity, 3, true).padStart(10)];
      }),
    ].join(' '));
  }
  return lines;
}

function short(task: string): string {
  return { sentiment: 'sent', arithmetic: 'arith', 'python-functions': 'py', 'c-programs': 'c', 'answer-key': 'key' }[task] ?? task;
}

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

export interface SeedSummary {
  label: string;
  cycle: number;
  seeds: number;
  accuracy: { mean: number; sd: number };
  dAccuracy: { mean: number; sd: number };
  dPerplexity: { mean: number; sd: number };
  general: Record<string, { dReward: { mean: number; sd: number }; dPassRate: { mean: number; sd: number } | null; dPerplexity: { mean: number; sd: number } }>;
}

/** Rows of several seeds (same labels) summarised per label and cycle. */
export function summariseSeeds(rows: readonly ForgettingRow[]): SeedSummary[] {
  const groups = new Map<string, ForgettingRow[]>();
  for (const r of rows) {
    const key = `${r.label}\u0000${r.cycle}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const ms = (xs: number[]) => {
    const { mean, sd } = meanSd(xs);
    return { mean, sd };
  };
  return [...groups.values()].map((g) => {
    const general: SeedSummary['general'] = {};
    for (const t of generalTasksOf(g)) {
      const of = g.map((r) => r.general[t]).filter((x) => x !== undefined);
      const pass = of.map((x) => x.dPassRate).filter((x): x is number => x !== null);
      general[t] = { dReward: ms(of.map((x) => x.dReward)), dPassRate: pass.length ? ms(pass) : null, dPerplexity: ms(of.map((x) => x.dPerplexity)) };
    }
    return { label: g[0]!.label, cycle: g[0]!.cycle, seeds: g.length, accuracy: ms(g.map((r) => r.accuracy)), dAccuracy: ms(g.map((r) => r.dAccuracy)), dPerplexity: ms(g.map((r) => r.dPerplexity)), general };
  });
}

/** A markdown table of seed summaries: mean ± sd of each column (a task's pass column only where it has a pass rate). */
export function summaryMarkdown(summary: readonly SeedSummary[]): string[] {
  const tasks = [...new Set(summary.flatMap((s) => Object.keys(s.general)))];
  const withPass = new Set(tasks.filter((t) => summary.some((s) => s.general[t]?.dPassRate)));
  const pm = (v: { mean: number; sd: number } | null | undefined, digits = 3) => (v ? `${fmt(v.mean, digits, true)} ± ${v.sd.toFixed(digits)}` : '-');
  const columns = (t: string) => [`${t} Δ reward`, ...(withPass.has(t) ? [`${t} Δ pass`] : []), `${t} Δ ppl`];
  const head = ['method', 'cycle', 'seeds', 'domain accuracy', 'Δ accuracy', 'Δ domain ppl', ...tasks.flatMap(columns)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of summary) {
    const cells = (t: string) => [pm(s.general[t]?.dReward), ...(withPass.has(t) ? [pm(s.general[t]?.dPassRate)] : []), pm(s.general[t]?.dPerplexity)];
    lines.push(`| ${[s.label, String(s.cycle), String(s.seeds), `${s.accuracy.mean.toFixed(3)} ± ${s.accuracy.sd.toFixed(3)}`, pm(s.dAccuracy), pm(s.dPerplexity), ...tasks.flatMap(cells)].join(' | ')} |`);
  }
  return lines;
}
