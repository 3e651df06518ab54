/**
 * The cycle, written once for both engines (the language RaftEngine and the image DiffusionRaftEngine): cycle 0
 * evaluates the base model; every later cycle runs the update (prompts -> generate -> score -> select or weight ->
 * train: the method's part, engine-specific) and then the evaluation; the stats are recorded, early stopping checked,
 * and the cycle counter moves on. An engine supplies `update` and `measure`, and the timings: `update` adds its
 * generate and reward times to `ms`, the rest of its time is training.
 */
import type { RunConfig } from '../config/schema';
import { earlyStopDue } from './early-stop';
import type { SelectOptions } from './select';

export interface CycleTimes {
  generate: number;
  reward: number;
  train: number;
  eval: number;
}

/** The selection settings of a config (both engines rank samples the same way). */
export function selectionOptions(config: RunConfig): SelectOptions {
  return {
    mode: config.select,
    keepPerPrompt: config.keepPerPrompt,
    keepTopPercent: config.keepTopPercent,
    rewardThreshold: config.rewardThreshold,
    minKept: config.minKept,
    softBeta: config.softBeta,
  };
}

export abstract class CycleEngine<Stats extends { evalReward: number }, Update, Result> {
  /** Next cycle to run (0 = the base-model evaluation). */
  cycle = 0;
  /** Set when early stopping ended the run. */
  stopped = false;
  readonly history: Stats[] = [];
  abstract readonly config: RunConfig;

  /** A cycle's update (cycles 1, 2, ...): the method's step on the engine's model. */
  protected abstract update(cycle: number, ms: CycleTimes): Promise<Update>;
  /** The cycle's evaluation, and its stats and result from the update (null at cycle 0). `ms.eval` is set by the frame. */
  protected abstract measure(cycle: number, update: Update | null, ms: CycleTimes): Promise<{ stats: Stats; result: Result }>;
  /** Called before a cycle starts (per-cycle counters). */
  protected beginCycle(): void {}

  /** Run the next cycle (cycle 0 evaluates the base model). */
  async runCycle(): Promise<Result> {
    const cycle = this.cycle;
    const ms: CycleTimes = { generate: 0, reward: 0, train: 0, eval: 0 };
    this.beginCycle();
    let update: Update | null = null;
    if (cycle > 0) {
      const t0 = performance.now();
      update = await this.update(cycle, ms);
      ms.train = performance.now() - t0 - ms.generate - ms.reward;
    }
    const { stats, result } = await this.measure(cycle, update, ms);
    this.history.push(stats);
    if (this.config.earlyStop && earlyStopDue(this.history.map((h) => h.evalReward), this.config.patience, this.config.minDelta)) this.stopped = true;
    this.cycle++;
    return result;
  }
}
