import { describe, expect, it } from 'vitest';
import { globalKeepCount, selectSamples, type Scored, type SelectOptions } from '../src/core/raft/select';

const base: SelectOptions = { mode: 'per-prompt', keepPerPrompt: 1, keepTopPercent: 25, rewardThreshold: 0.5, minKept: 0 };
// three prompts, K = 4
const rewards = [
  [0.1, 0.9, 0.5, 0.9], // tie for best at indices 1 and 3
  [0.2, 0.2, 0.2, 0.2], // all tied
  [0.7, 0.3, 0.8, 0.6],
];
const samples: Scored[] = rewards.flatMap((rs, p) => rs.map((reward) => ({ promptIndex: p, reward })));

describe('selection modes', () => {
  it('per-prompt keeps the best keepPerPrompt of each prompt, earlier sample on ties', () => {
    expect(selectSamples(samples, base)).toEqual([1, 4, 10]);
    expect(selectSamples(samples, { ...base, keepPerPrompt: 2 })).toEqual([1, 3, 4, 5, 8, 10]);
    expect(selectSamples(samples, { ...base, keepPerPrompt: 9 })).toHaveLength(12);
  });

  it('global keeps exactly ceil(n * p / 100) of all samples, best first, earlier on ties', () => {
    expect(globalKeepCount(12, 25)).toBe(3);
    expect(globalKeepCount(12, 30)).toBe(4); // 3.6 -> 4
    expect(globalKeepCount(12, 0.1)).toBe(1);
    expect(globalKeepCount(0, 50)).toBe(0);
    expect(selectSamples(samples, { ...base, mode: 'global', keepTopPercent: 25 })).toEqual([1, 3, 10]);
    // 4 kept: 0.9, 0.9, 0.8, then 0.7 (index 8)
    expect(selectSamples(samples, { ...base, mode: 'global', keepTopPercent: 30 })).toEqual([1, 3, 8, 10]);
    // the tie at 0.2 across prompt 1 is cut by order: 6 kept = 0.9,0.9,0.8,0.7,0.6,0.5
    expect(selectSamples(samples, { ...base, mode: 'global', keepTopPercent: 50 })).toEqual([1, 2, 3, 8, 10, 11]);
  });

  it('threshold keeps every sample at or above the threshold (ties at the threshold are kept)', () => {
    expect(selectSamples(samples, { ...base, mode: 'threshold', rewardThreshold: 0.6 })).toEqual([1, 3, 8, 10, 11]);
    expect(selectSamples(samples, { ...base, mode: 'threshold', rewardThreshold: 0.95 })).toEqual([]);
  });

  it('threshold tops up to minKept with the next best when too few pass', () => {
    const opts = { ...base, mode: 'threshold' as const, rewardThreshold: 0.85, minKept: 3 };
    expect(selectSamples(samples, opts)).toEqual([1, 3, 10]); // two pass, 0.8 fills the third
    expect(selectSamples(samples, { ...opts, minKept: 2 })).toEqual([1, 3]);
    expect(selectSamples(samples, { ...opts, minKept: 100 })).toHaveLength(12);
  });

  it('NaN rewards rank last and never pass a threshold', () => {
    const s: Scored[] = [{ promptIndex: 0, reward: NaN }, { promptIndex: 0, reward: 0.1 }];
    expect(selectSamples(s, base)).toEqual([1]);
    expect(selectSamples(s, { ...base, mode: 'threshold', rewardThreshold: 0 })).toEqual([1]);
  });
});
