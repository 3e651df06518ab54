import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config/schema';
import type { CycleStats } from '../../src/core/raft/stats';
import { compareLabels, overlaySeries, runLabel, tradeoffOverlay, type CompareRun } from '../../src/app/compare';

const stats = (cycle: number, evalReward: number, perplexity: number, klToRef: number | null = null) =>
  ({ cycle, evalReward, perplexity, klToRef, distinct2: 0.5 }) as CycleStats;

describe('compare runs', () => {
  it('labels name the method and the settings that set a run apart', () => {
    expect(runLabel({ ...DEFAULT_CONFIG, seed: 1 })).toBe('raft (per-prompt) seed 1');
    expect(runLabel({ ...DEFAULT_CONFIG, method: 'uft', uftBeta: 0.01 })).toBe(`uft beta 0.01 seed ${DEFAULT_CONFIG.seed}`);
    expect(runLabel({ ...DEFAULT_CONFIG, method: 'best-of-k', samplesPerPrompt: 6 })).toMatch(/^best-of-6 seed/);
    expect(runLabel({ ...DEFAULT_CONFIG, seed: 2, lora: 4 })).toBe('raft (per-prompt) seed 2, lora 4');
  });

  it('labels of runs shown together name what sets them apart; shared settings are listed once', () => {
    const tiny = { ...DEFAULT_CONFIG, seed: 1, promptsPerCycle: 2, samplesPerPrompt: 2 };
    expect(compareLabels([{ config: tiny }, { config: { ...tiny, method: 'uft', uftBeta: 0.05, lora: 4 } }])).toEqual({
      labels: ['raft (per-prompt) seed 1', 'uft beta 0.05 seed 1, lora 4'],
      common: 'p 2, k 2',
    });
    // the same configuration twice: told apart by name, else by place
    // runs on different models name them (a Hub commit cut to 12 characters); the embedded model is the default
    const hub = { ...tiny, model: `distilgpt2@${'0123456789abcdef'.repeat(2)}01234567`, lora: 8 };
    expect(compareLabels([{ config: tiny }, { config: hub }]).labels[1]).toContain('model distilgpt2@0123456789ab');
    expect(compareLabels([{ config: tiny, name: 'a' }, { config: tiny, name: 'b' }]).labels).toEqual(['raft (per-prompt) seed 1 (a)', 'raft (per-prompt) seed 1 (b)']);
    expect(compareLabels([{ config: tiny }, { config: tiny }]).labels).toEqual(['raft (per-prompt) seed 1 (#1)', 'raft (per-prompt) seed 1 (#2)']);
    // one run: its whole label, nothing shared
    expect(compareLabels([{ config: tiny }])).toEqual({ labels: ['raft (per-prompt) seed 1, p 2, k 2'], common: '' });
  });

  it('overlays per-cycle series on the union of cycles, with gaps where a run has no cycle', () => {
    const a: CompareRun = { id: 'a', config: DEFAULT_CONFIG, stats: [stats(0, 0.4, 2), stats(1, 0.5, 2.1, 0.01)] };
    const b: CompareRun = { id: 'b', config: DEFAULT_CONFIG, stats: [stats(0, 0.4, 2), stats(1, 0.6, 2.3), stats(2, 0.7, 2.5)] };
    expect(overlaySeries([a, b], (s) => s.evalReward)).toEqual([
      [0, 1, 2],
      [0.4, 0.5, null],
      [0.4, 0.6, 0.7],
    ]);
    expect(overlaySeries([a, b], (s) => s.klToRef)).toEqual([
      [0, 1, 2],
      [null, 0.01, null],
      [null, null, null],
    ]);
  });

  it('puts each run on the reward-perplexity plane at its own points, x sorted', () => {
    const a: CompareRun = { id: 'a', config: DEFAULT_CONFIG, stats: [stats(0, 0.4, 2), stats(1, 0.5, 2.2)] };
    const b: CompareRun = { id: 'b', config: DEFAULT_CONFIG, stats: [stats(0, 0.3, 2.1)] };
    expect(tradeoffOverlay([a, b])).toEqual([
      [2, 2.1, 2.2],
      [0.4, null, 0.5],
      [null, 0.3, null],
    ]);
  });
});
