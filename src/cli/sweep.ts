/**
 * `raftlab sweep --task T --methods raft,ppo --grid 'lr=1e-4,3e-4,1e-3' --seeds 1,2,3 [--cycles N] --out sweep.json`:
 * every method x grid point x seed, one run at a time, on the settings the other flags give. After each run the file
 * is rewritten (through a temporary file) with every run's cycles and the summary (sweep.ts): an interrupted sweep
 * run again with the same flags keeps the runs the file has and does the rest.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Method, RunConfig } from '../core/config/schema';
import { parseGrid, parseSweepFile, pointLabel, summarizeSweep, sweepFile, sweepPlan, type SweepRun } from '../core/sweep';
import { runNeedsVerifier } from '../core/tasks/run-task';
import { createNodeVerifiers } from '../node/verify/index';
import { runCommand } from './run';

export async function sweepCommand(base: RunConfig, methods: Method[], gridSpec: string, seeds: number[], out: string, log: (line: string) => void): Promise<number> {
  const grid = parseGrid(gridSpec);
  const plan = sweepPlan(base, methods, grid, seeds);
  let runs: SweepRun[] = [];
  if (existsSync(out)) {
    const prev = parseSweepFile(readFileSync(out, 'utf8'));
    runs = prev.runs.filter((r) => r.cycles.length === base.cycles + 1);
    log(`resuming the sweep in ${out}: ${runs.length} finished runs kept`);
  }
  const write = () => {
    writeFileSync(`${out}.tmp`, JSON.stringify(sweepFile(base, methods, grid, seeds, runs)) + '\n');
    renameSync(`${out}.tmp`, out);
  };
  const verifier = runNeedsVerifier(base) ? createNodeVerifiers() : undefined;
  try {
    for (const { n, id, method, point, seed, config, label } of plan) {
      if (runs.some((r) => r.id === id)) continue;
      log(`\n== sweep run ${n}/${plan.length}: ${label}`);
      const r = await runCommand(config, log, verifier);
      runs.push({ id, method, point, seed, config: r.config, cycles: r.cycles });
      write();
    }
  } finally {
    await verifier?.dispose();
  }
  write();
  const last = summarizeSweep(runs).filter((row) => row.cycle === base.cycles);
  log(`\nfinal cycle (${base.cycles}) per method and grid point, mean [95% interval] over seeds ${seeds.join(',')}:`);
  log(['method'.padEnd(12), 'point'.padEnd(22), 'samples'.padStart(8), 'evalR'.padStart(24), 'ppl'.padStart(24), 'KL'.padStart(26), 'pass'.padStart(24), 'entropy'.padStart(24)].join(' '));
  const f = (i: { mean: number; low: number; high: number } | null, d: number) => (i ? `${i.mean.toFixed(d)} [${i.low.toFixed(d)}, ${i.high.toFixed(d)}]` : '-');
  for (const row of last) {
    log([row.method.padEnd(12), pointLabel(row.point).padEnd(22), String(Math.round(row.samplesGenerated)).padStart(8), f(row.evalReward, 3).padStart(24), f(row.perplexity, 3).padStart(24), f(row.klToRef, 2).padStart(26), f(row.evalPassRate ?? null, 3).padStart(24), f(row.entropy ?? null, 3).padStart(24)].join(' '));
  }
  log(`wrote ${out}`);
  return 0;
}
