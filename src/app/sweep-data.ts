/**
 * The Sweep panel's figures from a sweep's summary (src/core/sweep.ts): per method and grid point a front, one point
 * per cycle (x = perplexity or KL, y = eval reward: the means over seeds), with the 95% intervals of both as
 * whiskers; and the eval reward against the samples generated so far (equal cost on the x axis).
 */
import { pointLabel, type Interval, type SweepSummaryRow } from '../core/sweep';

export interface FrontLine {
  label: string;
  /** One entry per cycle, in cycle order. */
  points: Array<{ cycle: number; x: Interval; y: Interval }>;
}

/** What a front's y axis can show: the eval reward (default), the eval pass rate, or the sampling policy's entropy. */
export type FrontY = 'evalReward' | 'evalPassRate' | 'entropy';

/** Lines of a front: x = perplexity, KL to the reference or samples generated; y = `y`. Rows without either are left out. */
export function frontLines(rows: readonly SweepSummaryRow[], x: 'perplexity' | 'klToRef' | 'samples', y: FrontY = 'evalReward'): FrontLine[] {
  const lines = new Map<string, FrontLine>();
  for (const r of rows) {
    const label = `${r.method}${Object.keys(r.point).length ? ` ${pointLabel(r.point)}` : ''}`;
    const xi = x === 'samples' ? { mean: r.samplesGenerated, low: r.samplesGenerated, high: r.samplesGenerated, n: r.evalReward.n } : r[x];
    const yi = r[y];
    if (!xi || !yi) continue;
    const line = lines.get(label) ?? { label, points: [] };
    line.points.push({ cycle: r.cycle, x: xi, y: yi });
    lines.set(label, line);
  }
  for (const l of lines.values()) l.points.sort((a, b) => a.cycle - b.cycle);
  return [...lines.values()];
}

/** Whether some row of the summary has a value for `y` (the Sweep panel shows that chart only then). */
export function hasY(rows: readonly SweepSummaryRow[], y: FrontY): boolean {
  return rows.some((r) => r[y]);
}

/** The last cycle of each line (the table under the charts). */
export function finalRows(rows: readonly SweepSummaryRow[]): SweepSummaryRow[] {
  const last = new Map<string, SweepSummaryRow>();
  for (const r of rows) {
    const key = `${r.method}|${pointLabel(r.point)}`;
    if (!last.has(key) || last.get(key)!.cycle < r.cycle) last.set(key, r);
  }
  return [...last.values()];
}
