// The lab page's pure helpers: ETA, exports (JSON and JSONL), sample grouping, chart series, control groups.
import { describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, DEFAULT_CONFIG, TASKS, isImageTaskName } from '../../src/core/config/schema';
import type { SampleRecord } from '../../src/core/raft/types';
import type { CycleStats } from '../../src/core/raft/stats';
import { paddedRange, rewardSeries, tradeoffSeries } from '../../src/app/chart-data';
import { CONTROL_GROUPS, controlsFor, differsBeyondLive } from '../../src/app/config-controls';
import { formatDuration, phaseEtaMs, runEtaMs } from '../../src/app/eta';
import { keptJsonl, runExport, type CycleRecord } from '../../src/app/export';
import { breakdownRows, breakdownText, groupByPrompt } from '../../src/app/samples';

function stats(cycle: number, msEach: number, extra: Partial<CycleStats> = {}): CycleStats {
  return {
    cycle, rewardMean: cycle ? 0.5 : null, rewardMeanKept: cycle ? 0.8 : null, rewardMax: null, keptCount: cycle ? 1 : 0,
    keptFraction: cycle ? 0.5 : null, evalReward: 0.4 + cycle / 10, evalPassRate: null, perplexity: 2 + cycle / 100,
    distinct2: 1, meanLength: 8, klToRef: null, trainLoss: null, lr: null,
    ms: { generate: msEach, reward: 0, train: 0, eval: 0 }, ...extra,
  };
}

const sample = (promptIndex: number, completion: string, reward: number, kept: boolean): SampleRecord => ({
  promptIndex, prompt: `p${promptIndex}`, completion, reward, kept, breakdown: { score: 2, ratio: 0.25 },
});

describe('ETA', () => {
  it('extrapolates the phase linearly and the run from finished training cycles', () => {
    expect(phaseEtaMs(1000, 2, 10)).toBe(4000);
    expect(phaseEtaMs(1000, 0, 10)).toBeNull();
    // cycle 0 (eval only, 100 ms) is ignored once a training cycle (1000 ms) exists
    expect(runEtaMs([stats(0, 100), stats(1, 1000)], 3, 400)).toBe(2600);
    expect(runEtaMs([stats(0, 100)], 2, 0)).toBe(200);
    expect(runEtaMs([], 2, 0)).toBeNull();
    expect(formatDuration(65_000)).toBe('1 min 05 s');
  });
});

describe('exports', () => {
  const cycles: CycleRecord[] = [
    { stats: stats(0, 1), samples: [], evalSamples: [sample(0, 'base', 0.3, false)] },
    { stats: stats(1, 1), samples: [sample(3, 'good "one"\nline', 0.9, true), sample(3, 'bad', 0.1, false)], evalSamples: [] },
  ];

  it('JSONL has one {prompt, completion, reward} object per kept sample and line', () => {
    const lines = keptJsonl(cycles).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ prompt: 'p3', completion: 'good "one"\nline', reward: 0.9 });
  });

  it('the run JSON holds the config, its link, the stats and the kept samples', () => {
    const r = runExport({ ...DEFAULT_CONFIG, seed: 7 }, 'webgpu', cycles, new Date(0));
    expect(r.url).toBe('#v=2&seed=7');
    expect(r.cycles.map((s) => s.cycle)).toEqual([0, 1]);
    expect(r.kept).toEqual([{ cycle: 1, prompt: 'p3', completion: 'good "one"\nline', reward: 0.9, breakdown: { score: 2, ratio: 0.25 } }]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('samples, charts and controls', () => {
  it('groups samples by prompt in order and writes breakdowns as text', () => {
    const g = groupByPrompt([sample(5, 'a', 0, false), sample(2, 'b', 0, true), sample(5, 'c', 0, true)]);
    expect(g.map((x) => [x.promptIndex, x.samples.map((s) => s.completion).join('')])).toEqual([[5, 'ac'], [2, 'b']]);
    expect(breakdownText({ score: 2, ratio: 0.25, ok: true })).toBe('score 2, ratio 0.250, ok true');
    expect(breakdownRows({ fidelity: 0.8, count: 1, shape: 0.5, objects: 2 })).toEqual([['fidelity', '0.800'], ['count', '1'], ['shape', '0.500'], ['objects', '2']]);
    expect(breakdownRows(undefined)).toEqual([]);
  });

  it('chart series start at cycle 0 with gaps for training numbers; the trade-off is (perplexity, eval reward)', () => {
    const h = [stats(0, 1), stats(1, 1)];
    expect(rewardSeries(h)).toEqual([[0, 1], [0.4, 0.5], [null, 0.8], [null, 0.5]]);
    expect(tradeoffSeries(h)).toEqual([[2, 2.01], [0.4, 0.5]]);
    expect(paddedRange([1, null, 3])).toEqual([0.9, 3.1]);
  });

  it('every schema field has exactly one control, in its group; only cycles may change during a run', () => {
    const keys = CONTROL_GROUPS.flatMap((g) => g.fields.map((f) => f.key));
    expect([...keys].sort()).toEqual(CONFIG_FIELDS.map((f) => f.key).sort());
    for (const g of CONTROL_GROUPS) for (const f of g.fields) expect(f.group).toBe(g.group);
    expect(differsBeyondLive(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, cycles: 9 })).toBe(false);
    expect(differsBeyondLive(DEFAULT_CONFIG, { ...DEFAULT_CONFIG, lr: 0.01 })).toBe(true);
  });
});

describe('stats columns', () => {
  it('shows optional columns (pass rate, KL, verified/s) only when some cycle has a value', async () => {
    const { visibleStatsColumns } = await import('../../src/app/config-controls');
    const base = { cycle: 0, evalPassRate: null, klToRef: null, verifyPerSec: null } as never;
    const labels = (cs: unknown[]) => visibleStatsColumns(cs as never).map((c) => c.label);
    expect(labels([base])).not.toContain('pass rate');
    expect(labels([base])).toContain('perplexity');
    const code = { ...(base as object), evalPassRate: 0.25, verifyPerSec: 3.5, klToRef: 0 };
    expect(labels([base, code])).toEqual(expect.arrayContaining(['pass rate', 'verified/s', 'KL to base']));
  });

  it('shows each task only the settings that apply to it, and names the hidden ones', () => {
    const keysOf = (task: string) => controlsFor(task).groups.flatMap((g) => g.fields.map((f) => f.key));
    const shapes = keysOf('shapes');
    for (const k of ['temperature', 'topK', 'topP', 'maxNewTokens', 'uftBeta', 'quotaTrials', 'lr', 'loraTargets']) expect(shapes).not.toContain(k);
    for (const k of ['imageReward', 'method', 'select', 'lora', 'loraLr', 'seed', 'cycles']) expect(shapes).toContain(k);
    expect(controlsFor('shapes').hidden).toContain('Temperature');
    const sentiment = keysOf('sentiment');
    expect(sentiment).not.toContain('imageReward');
    expect(controlsFor('sentiment').hidden).toEqual(['Image reward', 'Image reward model', 'Image reward target', 'Scene prompts', 'Image size', 'DDIM steps', 'Guidance scale', 'Noise draws per kept image', 'Held-out images', 'UNet LoRA targets', 'Start from adapter', 'Image LoRA rank']);
    for (const k of ['ddimSteps', 'guidance', 'noiseDraws', 'evalImages', 'imageLoraRank']) expect(shapes).toContain(k);
    for (const k of ['evalTexts', 'generalPrompts', 'rewardFailureLimit']) expect(shapes).not.toContain(k);
    // every field is shown for some task, and each task's controls are a subset in group order
    for (const task of TASKS) {
      const { groups, hidden } = controlsFor(task);
      // the task document has its own editor ("Your task"), not a control
      expect(groups.flatMap((g) => g.fields).length + hidden.length).toBe(CONFIG_FIELDS.length - 1);
      expect(isImageTaskName(task)).toBe(task === 'shapes' || task === 'scenes' || task === 'hub-images');
    }
    const shown = new Set(TASKS.flatMap(keysOf));
    expect(shown.size).toBe(CONFIG_FIELDS.length - 1);
  });
});
