/**
 * What the loop diagram shows of the newest training cycle: one prompt's K samples ranked by reward, the kept ones
 * marked, and the selection rule in words and (where it is a cut on the reward) as a line: the global top-% cut is
 * the lowest kept reward of the cycle, the threshold its setting; per-prompt and soft selection have no line.
 */
import type { RunConfig } from '../core/config/schema';
import type { SampleRecord } from '../core/raft/types';
import type { CycleRecord } from './export';

export interface RankedSamples {
  cycle: number;
  prompt: string;
  samples: SampleRecord[];
  rule: string;
  /** Where the rule cuts, on the reward axis [0, 1]; null when it is not a cut. */
  line: number | null;
}

export function rankedSamples(cycles: readonly CycleRecord[], config: RunConfig): RankedSamples | null {
  const last = [...cycles].reverse().find((c) => c.samples.length > 0);
  if (!last) return null;
  const first = last.samples[0]!.promptIndex;
  const samples = last.samples.filter((s) => s.promptIndex === first).sort((a, b) => b.reward - a.reward);
  const kept = last.samples.filter((s) => s.kept).map((s) => s.reward);
  let rule: string;
  let line: number | null = null;
  switch (config.select) {
    case 'per-prompt':
      rule = `Selection keeps the best ${config.keepPerPrompt} of each prompt's ${config.samplesPerPrompt} samples.`;
      break;
    case 'global':
      rule = `Selection keeps the top ${config.keepTopPercent}% of all the cycle's samples: the line is the lowest kept reward.`;
      line = kept.length ? Math.min(...kept) : null;
      break;
    case 'threshold':
      rule = `Selection keeps every sample with a reward of at least ${config.rewardThreshold} (the line)${config.minKept > 0 ? `, and at least the best ${config.minKept}` : ''}.`;
      line = config.rewardThreshold;
      break;
    default:
      rule = `Selection keeps each sample with probability exp((reward - best) / ${config.softBeta}) (RSO's soft selection).`;
  }
  return { cycle: (last.stats as { cycle: number }).cycle, prompt: last.samples[0]!.prompt, samples, rule, line };
}
