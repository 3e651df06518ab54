/**
 * RAFT's selection step: which of the scored samples to fine-tune on.
 * - per-prompt: the best `keepPerPrompt` of each prompt's K samples (LMFlow "local"; the paper's 1/k)
 * - global: the top `keepTopPercent` percent of all samples (LMFlow "top", halo-forge)
 * - threshold: every sample with reward >= `rewardThreshold`, topped up with the next best to at least `minKept`
 * - soft (RSO): each sample is kept with probability exp((r - r_max) / softBeta), r_max = its prompt's best
 * Ties are broken by sample order (earlier first), so a selection is a pure function of rewards and order (and,
 * for soft selection, of the seeded random stream).
 */
import type { Rng } from '../rng';

/** How RAFT picks which samples to fine-tune on. */
export const SELECT_MODES = ['per-prompt', 'global', 'threshold', 'soft'] as const;
export type SelectMode = (typeof SELECT_MODES)[number];

export interface SelectOptions {
  mode: SelectMode;
  keepPerPrompt: number;
  keepTopPercent: number;
  rewardThreshold: number;
  minKept: number;
  softBeta?: number;
}

export interface Scored {
  promptIndex: number;
  reward: number;
}

/** Indices (into `samples`) ranked best first: higher reward, then earlier index. NaN ranks last. */
function ranked(samples: readonly Scored[], indices: readonly number[]): number[] {
  const r = (i: number) => (Number.isFinite(samples[i]!.reward) ? samples[i]!.reward : -Infinity);
  return indices.slice().sort((a, b) => r(b) - r(a) || a - b);
}

/** Number of samples `global` mode keeps out of n: ceil(n * p / 100), at least 1 when n > 0. */
export function globalKeepCount(n: number, keepTopPercent: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil((n * keepTopPercent) / 100 - 1e-9)));
}

/** Kept sample indices, in ascending order. */
export function selectSamples(samples: readonly Scored[], opts: SelectOptions, rng?: Rng): number[] {
  const all = samples.map((_, i) => i);
  let kept: number[];
  switch (opts.mode) {
    case 'per-prompt': {
      const byPrompt = new Map<number, number[]>();
      for (const i of all) {
        const p = samples[i]!.promptIndex;
        byPrompt.set(p, [...(byPrompt.get(p) ?? []), i]);
      }
      kept = [];
      for (const group of byPrompt.values()) kept.push(...ranked(samples, group).slice(0, opts.keepPerPrompt));
      break;
    }
    case 'global':
      kept = ranked(samples, all).slice(0, globalKeepCount(samples.length, opts.keepTopPercent));
      break;
    case 'threshold': {
      const order = ranked(samples, all);
      const above = order.filter((i) => samples[i]!.reward >= opts.rewardThreshold);
      kept = above.length >= opts.minKept ? above : order.slice(0, Math.min(opts.minKept, order.length));
      break;
    }
    case 'soft': {
      if (!rng) throw new Error('soft selection needs a random generator');
      const best = new Map<number, number>();
      for (const s of samples) if (Number.isFinite(s.reward)) best.set(s.promptIndex, Math.max(best.get(s.promptIndex) ?? -Infinity, s.reward));
      const beta = Math.max(opts.softBeta ?? 0.1, 1e-9);
      kept = all.filter((i) => {
        const s = samples[i]!;
        const u = rng.float(); // drawn for every sample, so the stream does not depend on the rewards
        return Number.isFinite(s.reward) && u < Math.exp((s.reward - best.get(s.promptIndex)!) / beta);
      });
      break;
    }
    default:
      throw new Error(`unknown selection mode ${String((opts as { mode: unknown }).mode)}`);
  }
  return kept.sort((a, b) => a - b);
}
