/**
 * The public types of a RAFT run, shared by the engine, the methods, the worker, the CLI and the page: a cycle's
 * phases and progress, a sample with its reward, a cycle's result, and the error that stops a run whose rewards
 * mostly failed. Type-only apart from the error class, so the UI thread can import it without TF.js.
 */
import type { RewardResult } from '../tasks/types';
import type { CycleStats } from './stats';

/**
 * Thrown when more than the run's rewardFailureLimit of a call's rewards failed (threw, or gave no number in [0, 1]):
 * training on such rewards would teach nothing but the bug; the cycle is not recorded and the run can resume before it.
 */
export class RewardFailureError extends Error {
  constructor(
    readonly cycle: number,
    readonly failed: number,
    readonly total: number,
    readonly firstMessage: string,
  ) {
    super(`cycle ${cycle}: the reward failed for ${failed} of ${total} samples (first: ${firstMessage}); the run stopped and can resume from its last finished cycle once the reward is fixed`);
    this.name = 'RewardFailureError';
  }
}

export type Phase = 'generate' | 'reward' | 'select' | 'train' | 'evaluate';

export interface Progress {
  cycle: number;
  phase: Phase;
  done: number;
  total: number;
}

/** One generated sample with its reward and whether selection kept it. */
export interface SampleRecord {
  promptIndex: number;
  prompt: string;
  completion: string;
  reward: number;
  breakdown?: RewardResult['breakdown'];
  kept: boolean;
}

export interface CycleResult {
  stats: CycleStats;
  /** Training samples of the cycle (empty for cycle 0). */
  samples: SampleRecord[];
  /** Held-out evaluation samples. */
  evalSamples: SampleRecord[];
}
