/**
 * `raftlab compare`: each method (and with --ablations, each method's declared ablations: domain-RAFT with each part off) on the same task, seed and
 * settings, one run after another through `runCommand`; a table of the final cycles and the forgetting report.
 */
import { writeFileSync } from 'node:fs';
import type { RunConfig } from '../core/config/schema';
import { forgettingRows, forgettingTable, generalTasksOf } from '../core/forgetting';
import { METHOD_CATALOG, methodLabel } from '../core/raft/methods/catalog';
import type { CycleStats } from '../core/raft/stats';
import { runNeedsVerifier } from '../core/tasks/run-task';
import { createNodeVerifiers } from '../node/verify/index';
import { runCommand } from './run';

/** The runs of a comparison: each method with the base settings; with `ablations`, each method's declared ablations too (domain-raft: each part off). */
function compareRuns(base: RunConfig, methods: RunConfig['method'][], ablations: boolean): RunConfig[] {
  return methods.flatMap((method) => {
    const config = { ...base, method };
    const declared = ablations ? METHOD_CATALOG[method].ablations ?? [] : [];
    return [config, ...declared.map((a) => ({ ...config, ...a.change }))];
  });
}

/** `raftlab compare`: each method on the same task, seed and settings; a table of the final cycles. */
export async function compareCommand(base: RunConfig, methods: RunConfig['method'][], out: string | undefined, ablations = false): Promise<number> {
  const runs: Array<{ method: string; label: string; config: RunConfig; cycles: CycleStats[] }> = [];
  // one set of verifiers for every method of a code task (Pyodide and clang load once)
  const verifier = runNeedsVerifier(base) ? createNodeVerifiers() : undefined;
  try {
    for (const config of compareRuns(base, methods, ablations)) {
      console.log(`\n== ${methodLabel(config)}`);
      const r = await runCommand(config, (line) => console.log(line), verifier);
      runs.push({ method: config.method, label: methodLabel(config), config, cycles: r.cycles });
    }
  } finally {
    await verifier?.dispose();
  }
  const last = base.cycles;
  console.log(`\nfinal cycle (${last}) per method, task ${base.task}, seed ${base.seed}:`);
  const width = Math.max(28, ...runs.map((r) => r.label.length + 1));
  console.log(['method'.padEnd(width), 'evalR'.padStart(7), 'pass'.padStart(6), 'ppl'.padStart(7), 'KL'.padStart(7), 'KLmax'.padStart(7), 'dist2'.padStart(7), 'len'.padStart(6), 'errs'.padStart(5), 'gen'.padStart(6), 'genTok'.padStart(7), 'bwdTok'.padStart(8)].join(' '));
  // what the whole run's training spent (cycle budgets summed): generated samples and tokens, tokens through backward
  const total = (r: (typeof runs)[number], k: 'samplesGenerated' | 'tokensGenerated' | 'backwardTokens') => r.cycles.reduce((n, c) => n + (c.budget?.[k] ?? 0), 0);
  const num = (v: number | null | undefined, digits: number, width: number) => (v === null || v === undefined ? '-' : v.toFixed(digits)).padStart(width);
  for (const r of runs) {
    const s = r.cycles.at(-1)!;
    console.log([
      r.label.padEnd(width), num(s.evalReward, 3, 7), num(s.evalPassRate, 3, 6), num(s.perplexity, 3, 7), num(s.klToRef, 3, 7),
      num(s.klBound, 3, 7), num(s.distinct2, 3, 7), num(s.meanLength, 1, 6), String(s.rewardErrors ?? 0).padStart(5),
      String(total(r, 'samplesGenerated')).padStart(6), String(total(r, 'tokensGenerated')).padStart(7), String(total(r, 'backwardTokens')).padStart(8),
    ].join(' '));
  }
  // the forgetting report: every cycle's domain accuracy and general metrics, as changes from the base model
  const forgetting = runs.flatMap((r) => forgettingRows(r.label, r.cycles));
  const general = generalTasksOf(forgetting);
  if (general.length > 0) {
    console.log(`\nforgetting: domain accuracy and the general tasks (${general.join(', ')}) per method and cycle, changes from the base model (cycle 0):`);
    for (const line of forgettingTable(forgetting)) console.log(line);
  }
  if (out) {
    writeFileSync(out, JSON.stringify({ runs: runs.map(({ method, label, config, cycles }) => ({ method, label, config, cycles })), ...(general.length ? { forgetting } : {}) }, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
  return 0;
}
