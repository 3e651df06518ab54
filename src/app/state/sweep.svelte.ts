/**
 * A sweep in the page (the Sweep panel): the plan of core/sweep.ts (every method x grid point x seed on the current
 * settings, in the CLI's order), each an ordinary run of the lab one after another (saved, resumable), the summary
 * updated after each; or a sweep file the CLI wrote (`raftlab sweep --out`), opened to be shown.
 */
import type { Method, RunConfig } from '../../core/config/schema';
import { parseGrid, parseSweepFile, sweepFile, sweepPlan, type PlannedRun, type SweepFile, type SweepRun } from '../../core/sweep';
import type { CycleRecord } from '../export';
import { errorText } from './error-text';

/** What a sweep needs of the lab: its settings, and runs started and awaited one at a time. */
export interface SweepHost {
  readonly config: RunConfig;
  /** A command is in progress: no sweep starts then. */
  readonly busy: boolean;
  /** Reset, load `config`, run it to its end; the run's cycles, or why it did not finish. */
  runToEnd(config: RunConfig): Promise<{ cycles: CycleRecord[] } | { failed: string }>;
}

export class PageSweep {
  /** The sweep shown: run here, or a CLI sweep file opened. */
  file = $state<SweepFile | null>(null);
  /** The sweep running: runs done, of how many, and the one in progress. */
  running = $state<{ done: number; total: number; label: string } | null>(null);
  error = $state<string | null>(null);
  /** Set by "Stop after this run". */
  stop = $state(false);

  constructor(private readonly host: SweepHost) {}

  /** Run a sweep here; "Stop" ends it after the run in progress. */
  async run(methods: Method[], gridSpec: string, seeds: number[]): Promise<void> {
    if (this.host.busy || this.running) return;
    let grid;
    try {
      grid = parseGrid(gridSpec);
    } catch (e) {
      this.error = errorText(e);
      return;
    }
    if (methods.length === 0 || seeds.length === 0) {
      this.error = 'choose at least one method and one seed';
      return;
    }
    const base = $state.snapshot(this.host.config) as RunConfig;
    const plan: PlannedRun[] = sweepPlan(base, methods, grid, seeds);
    const runs: SweepRun[] = [];
    this.file = null;
    this.error = null;
    this.stop = false;
    this.running = { done: 0, total: plan.length, label: '' };
    try {
      for (const { id, method, point, seed, config, label } of plan) {
        if (this.stop) return;
        this.running = { done: runs.length, total: plan.length, label };
        const r = await this.host.runToEnd(config);
        if ('failed' in r) {
          this.error = `the sweep stopped: the run ${label} did not finish${r.failed}`;
          return;
        }
        runs.push({ id, method, point, seed, config, cycles: r.cycles.map((c) => $state.snapshot(c.stats) as SweepRun['cycles'][number]) });
        this.file = sweepFile(base, methods, grid, seeds, runs);
      }
    } finally {
      this.running = null;
      this.stop = false;
    }
  }

  /** A sweep file (the CLI's `raftlab sweep --out`) shown in the Sweep panel. */
  open(text: string, name: string): void {
    try {
      this.file = parseSweepFile(text);
      this.error = null;
    } catch (e) {
      this.error = `${name}: ${errorText(e)}`;
    }
  }
}
