/**
 * Time estimates for the progress panel, from elapsed time only (nothing is assumed about the hardware):
 * - this phase: elapsed time of the phase / steps done x steps left (linear extrapolation);
 * - the run: the mean duration of the training cycles finished so far (cycle 0 only evaluates, so it is used
 *   only until a training cycle has finished) x cycles left, minus the time already spent in the current cycle.
 */
import type { CycleStats } from '../core/raft/stats';

export function phaseEtaMs(elapsedMs: number, done: number, total: number): number | null {
  if (done <= 0 || total <= done || elapsedMs <= 0) return null;
  return (elapsedMs / done) * (total - done);
}

/** `cyclesLeft` counts the current cycle; `inCycleMs` is the time already spent in it. */
export function runEtaMs(history: readonly CycleStats[], cyclesLeft: number, inCycleMs: number): number | null {
  if (cyclesLeft <= 0) return 0;
  const trained = history.filter((s) => s.cycle > 0);
  const basis = trained.length ? trained : history;
  if (!basis.length) return null;
  const per = basis.reduce((a, s) => a + s.ms.generate + s.ms.reward + s.ms.train + s.ms.eval, 0) / basis.length;
  return Math.max(0, per * cyclesLeft - inCycleMs);
}

/** "12 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
