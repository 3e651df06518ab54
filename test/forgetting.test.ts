// The forgetting report (src/core/forgetting.ts): changes from cycle 0 per run and cycle, and mean ± sd over seeds.
import { describe, expect, it } from 'vitest';
import { forgettingRows, forgettingTable, meanSd, summariseSeeds, summaryMarkdown } from '../src/core/forgetting';
import type { CycleStats } from '../src/core/raft/stats';

const stats = (cycle: number, pass: number, ppl: number, sent: number, sentPpl: number): CycleStats => ({
  cycle, rewardMean: null, rewardMeanKept: null, rewardMax: null, keptCount: 0, keptFraction: null, evalReward: pass, evalPassRate: pass,
  perplexity: ppl, distinct2: 0, meanLength: 0, klToRef: 0, trainLoss: null, lr: null, ms: { generate: 0, reward: 0, train: 0, eval: 0 },
  general: { sentiment: { reward: sent, passRate: null, perplexity: sentPpl } },
});

describe('the forgetting report', () => {
  it('rows hold each metric and its change from the run\'s cycle 0', () => {
    const rows = forgettingRows('sft', [stats(0, 0.4, 2, 0.5, 3), stats(1, 0.7, 2.5, 0.25, 4)]);
    expect(rows[0]).toMatchObject({ cycle: 0, accuracy: 0.4, dAccuracy: 0, dPerplexity: 0 });
    expect(rows[1]!.dAccuracy).toBeCloseTo(0.3, 12);
    expect(rows[1]!.general.sentiment).toEqual({ reward: 0.25, passRate: null, perplexity: 4, dReward: -0.25, dPassRate: null, dPerplexity: 1 });
    const table = forgettingTable(rows);
    expect(table[0]).toContain('sent:dR');
    expect(table[2]).toContain('-0.250');
  });

  it('over seeds: the mean and the sample standard deviation per label and cycle', () => {
    expect(meanSd([1, 2, 3])).toEqual({ mean: 2, sd: 1, n: 3 });
    const rows = [0.6, 0.7, 0.8].flatMap((acc, i) => forgettingRows('sft', [stats(0, 0.4, 2, 0.5, 3), stats(1, acc, 2, 0.5 - 0.1 * i, 3)]));
    const s = summariseSeeds(rows.filter((r) => r.cycle === 1));
    expect(s).toHaveLength(1);
    expect(s[0]!.seeds).toBe(3);
    expect(s[0]!.accuracy.mean).toBeCloseTo(0.7, 12);
    expect(s[0]!.accuracy.sd).toBeCloseTo(0.1, 12);
    expect(s[0]!.general.sentiment!.dReward.mean).toBeCloseTo(-0.1, 12);
    expect(s[0]!.general.sentiment!.dPassRate).toBeNull();
    expect(summaryMarkdown(s)[2]).toContain('| sft | 1 | 3 | 0.700 ± 0.100 | +0.300 ± 0.100 |');
  });
});
