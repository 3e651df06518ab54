// Sweeps: grid parsing, grid points, Student's t intervals, the summary per method, point and cycle; and the CLI:
// a tiny sweep written to its file, resumed without running its finished runs again, and bad grids refused.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontLines, hasY } from '../src/app/sweep-data';
import { gridPoints, interval, parseGrid, parseSweepFile, runId, summarizeSweep, sweepPlan, type SweepRun } from '../src/core/sweep';
import { DEFAULT_CONFIG } from '../src/core/config/schema';
import type { CycleStats } from '../src/core/raft/stats';
import { raftlab } from './hub-server';

describe('sweep grids and intervals', () => {
  it('parses a grid of schema fields (config keys or flag names) into points', () => {
    const grid = parseGrid('lr=1e-4,3e-4; samples-per-prompt=4,8');
    expect(grid).toEqual([{ key: 'lr', values: [1e-4, 3e-4] }, { key: 'samplesPerPrompt', values: [4, 8] }]);
    expect(gridPoints(grid)).toEqual([
      { lr: 1e-4, samplesPerPrompt: 4 }, { lr: 1e-4, samplesPerPrompt: 8 }, { lr: 3e-4, samplesPerPrompt: 4 }, { lr: 3e-4, samplesPerPrompt: 8 },
    ]);
    expect(gridPoints(parseGrid(''))).toEqual([{}]);
    expect(() => parseGrid('nope=1')).toThrow(/unknown setting "nope"/);
    expect(() => parseGrid('lr=5')).toThrow(/lr must be a number between/);
    expect(() => parseGrid('seed=1,2')).toThrow(/not a grid axis/);
    expect(() => parseGrid('lr=1e-4;lr=1e-3')).toThrow(/appears twice/);
  });

  it('plans methods x grid points x seeds in one order, each run its own config (the CLI and the page run this plan)', () => {
    const plan = sweepPlan(DEFAULT_CONFIG, ['raft', 'grpo'], parseGrid('lr=1e-4,3e-4'), [1, 2]);
    expect(plan.map((r) => `${r.n} ${r.label}`)).toEqual([
      '1 raft, lr=0.0001, seed 1', '2 raft, lr=0.0001, seed 2', '3 raft, lr=0.0003, seed 1', '4 raft, lr=0.0003, seed 2',
      '5 grpo, lr=0.0001, seed 1', '6 grpo, lr=0.0001, seed 2', '7 grpo, lr=0.0003, seed 1', '8 grpo, lr=0.0003, seed 2',
    ]);
    for (const r of plan) {
      expect(r.id).toBe(runId(r.method, r.point, r.seed));
      expect(r.config).toEqual({ ...DEFAULT_CONFIG, ...r.point, method: r.method, seed: r.seed });
    }
  });

  it('gives a mean and a 95% interval with Student\'s t (n - 1 degrees of freedom)', () => {
    const i = interval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.high - i.mean).toBeCloseTo(4.303 * 1 / Math.sqrt(3), 10); // sd 1
    expect(i.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 10);
    expect(interval([0.5])).toEqual({ mean: 0.5, low: 0.5, high: 0.5, n: 1 });
  });

  it('summarises per method, grid point and cycle, with the samples generated so far', () => {
    const stats = (cycle: number, evalReward: number, gen: number) => ({ cycle, evalReward, perplexity: 2 + evalReward, klToRef: cycle, budget: { samplesGenerated: gen } }) as unknown as CycleStats;
    const run = (seed: number, r: number): SweepRun => ({ id: `raft|lr=0.001|${seed}`, method: 'raft', point: { lr: 1e-3 }, seed, config: DEFAULT_CONFIG, cycles: [stats(0, 0.5, 0), stats(1, r, 10)] });
    const rows = summarizeSweep([run(1, 0.6), run(2, 0.8)]);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ method: 'raft', point: { lr: 1e-3 }, cycle: 1, samplesGenerated: 10 });
    expect(rows[1]!.evalReward.mean).toBeCloseTo(0.7, 12);
    expect(rows[1]!.evalReward.high - 0.7).toBeCloseTo(12.706 * Math.sqrt(0.02) / Math.sqrt(2), 10);
    expect(rows[1]!.klToRef).toMatchObject({ mean: 1, low: 1, high: 1 });
    expect(rows[1]!.entropy).toBeNull(); // runs recorded before the field
    // group filtering draws a different number of samples per seed: the mean over the seeds; entropy's interval
    const filtered = (seed: number, gen: number, h: number): SweepRun => ({ ...run(seed, 0.7), cycles: [stats(0, 0.5, 0), { ...stats(1, 0.7, gen), entropy: h }] });
    const f = summarizeSweep([filtered(1, 10, 0.4), filtered(2, 14, 0.6)]);
    expect(f[1]!.samplesGenerated).toBe(12);
    expect(f[1]!.entropy).toMatchObject({ mean: 0.5, n: 2 });
    expect(f[1]!.evalPassRate).toBeNull(); // no pass notion in these stats
    const passing = (seed: number, p: number | null): SweepRun => ({ ...run(seed, 0.7), cycles: [stats(0, 0.5, 0), { ...stats(1, 0.7, 10), entropy: 0.3, evalPassRate: p }] });
    const ps = summarizeSweep([passing(1, 0.25), passing(2, 0.75)]);
    expect(ps[1]!.evalPassRate).toMatchObject({ mean: 0.5, n: 2 });
    expect(summarizeSweep([passing(1, 0.25), passing(2, null)])[1]!.evalPassRate).toBeNull();
    // the Sweep panel's fronts of pass rate and entropy against the samples generated
    const line = frontLines(ps, 'samples', 'entropy')[0]!;
    expect(line.points.map((q) => [q.x.mean, q.y.mean])).toEqual([[10, 0.3]]); // cycle 0 has no entropy: left out
    expect(frontLines(ps, 'samples', 'evalPassRate')[0]!.points[0]!.y.mean).toBe(0.5);
    expect(hasY(ps, 'entropy')).toBe(true);
    expect(hasY(rows, 'evalPassRate')).toBe(false);
    expect(() => parseSweepFile('{"raftlabSweep": 2}')).toThrow(/not a sweep file/);
  });
});

describe('raftlab sweep', () => {
  const TINY = ['--task', 'sentiment', '--cycles', '1', '--prompts-per-cycle', '3', '--samples-per-prompt', '2', '--eval-prompts', '3', '--eval-samples-per-prompt', '1', '--eval-texts', '4', '--max-new-tokens', '8'];
  it('runs methods x grid x seeds into its file and resumes without running a finished run again', { timeout: 240_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'raftlab-sweep-')), 'sweep.json');
    const first = await raftlab(['sweep', ...TINY, '--methods', 'raft,grpo', '--grid', 'lr=1e-4,1e-3', '--seeds', '1,2', '--out', out], {});
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('sweep run 8/8: grpo, lr=0.001, seed 2');
    const file = parseSweepFile(readFileSync(out, 'utf8'));
    expect(file.runs).toHaveLength(8);
    expect(file.summary.filter((r) => r.cycle === 1)).toHaveLength(4);
    for (const r of file.summary.filter((row) => row.cycle === 1)) expect(r.samplesGenerated).toBe(6);
    const again = await raftlab(['sweep', ...TINY, '--methods', 'raft,grpo', '--grid', 'lr=1e-4,1e-3', '--seeds', '1,2', '--out', out], {});
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('resuming the sweep');
    expect(again.out).not.toContain('== sweep run');
    expect(parseSweepFile(readFileSync(out, 'utf8')).runs.map((r) => r.id)).toEqual(file.runs.map((r) => r.id));
    expect(existsSync(`${out}.tmp`)).toBe(false);
    const bad = await raftlab(['sweep', ...TINY, '--grid', 'lr=7', '--seeds', '1', '--out', out], {});
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--grid: lr must be a number between/);
  });
});
