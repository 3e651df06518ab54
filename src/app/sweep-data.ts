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

/** Lines of a front: x = perplexity or KL to the reference, y = eval reward. Rows without the x value are left out. */
export function frontLines(rows: readonly SweepSummaryRow[], x: 'perplexity' | 'klToRef' | 'samples'): FrontLine[] {
  const lines = new Map<string, FrontLine>();
  for (const r of rows) {
    const label = `${r.method}${Object.keys(r.point).length ? ` ${pointLabel(r.point)}` : ''}`;
    const xi = x === 'samples' ? { mean: r.samplesGenerated, low: r.samplesGenerated, high: r.samplesGenerated, n: r.evalReward.n } : r[x];
    if (!xi) continue;
    const line = lines.get(label) ?? { label, points: [] };
    line.points.push({ cycle: r.cycle, x: xi, y: r.evalReward });
    lines.set(label, line);
  }
  for (const l of lines.values()) l.points.sort((a, b) => a.cycle - b.cycle);
  return [...lines.values()];
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
