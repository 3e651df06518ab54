import { describe, expect, it } from 'vitest';
import { isImageTaskName, TASKS } from '../../src/core/config/schema';
import { isImageTask, taskNames } from '../../src/core/tasks/registry';
import { imageRows, isImageSample, toImageRecord, toRgba } from '../../src/browser/image-samples';
import { IMAGE_STATS_COLUMNS, visibleStatsColumns } from '../../src/app/config-controls';
import { heldOutLossSeries, tradeoffSeries } from '../../src/app/chart-data';
import type { ImageCycleStats } from '../../src/core/diffusion/stats';

describe('image samples for the page', () => {
  it('every task of the schema is either a language task of the registry or an image task, never both (custom: a task document)', () => {
    for (const t of TASKS.filter((x) => x !== 'custom')) {
      expect(isImageTask(t), t).toBe(isImageTaskName(t));
      expect(taskNames().includes(t), t).toBe(!isImageTaskName(t));
    }
    expect(isImageTaskName('custom')).toBe(false);
  });

  it('converts HWC pixels in [0, 1] to RGBA bytes', () => {
    const px = new Float32Array(2 * 2 * 3);
    px.set([1, 0, 0.5], 0);
    px.set([2, -1, 0.25], 9);
    const img = toRgba(px, 2);
    expect(img.width).toBe(2);
    expect([...img.rgba.slice(0, 4)]).toEqual([255, 0, 128, 255]);
    expect([...img.rgba.slice(12, 16)]).toEqual([255, 0, 64, 255]);
  });

  it('makes records grouped by prompt', () => {
    const mk = (promptIndex: number, kept: boolean) => toImageRecord({ promptIndex, prompt: `p${promptIndex}`, seed: 7, pixels: new Float32Array(16 * 16 * 3), reward: 0.5, kept });
    const recs = [mk(0, true), mk(0, false), mk(1, false)];
    expect(isImageSample(recs[0]!)).toBe(true);
    expect(recs[0]!.image.rgba.length).toBe(16 * 16 * 4);
    expect(recs[0]!.completion).toBe('seed 7');
    const rows = imageRows(recs);
    expect(rows.map((r) => [r.prompt, r.samples.length])).toEqual([['p0', 2], ['p1', 1]]);
  });

  it('image stats get held-out loss and diversity columns and series', () => {
    const s: ImageCycleStats = {
      cycle: 0, rewardMean: null, rewardMeanKept: null, rewardMax: null, keptCount: 0, keptFraction: null, evalReward: 0.1,
      evalPassRate: null, perplexity: null, distinct2: null, meanLength: null, klToRef: null, trainLoss: null, lr: null,
      heldOutLoss: 0.15, evalDiversity: 0.2, ms: { generate: 0, reward: 0, train: 0, eval: 1 },
    };
    const keys = visibleStatsColumns([s]).map((c) => c.key);
    expect(keys).toContain('heldOutLoss');
    expect(keys).toContain('evalDiversity');
    expect(keys).not.toContain('perplexity');
    expect(IMAGE_STATS_COLUMNS.some((c) => c.key === 'meanLength')).toBe(false);
    // before any cycle the caller says the run is an image run (the Cycles table of a fresh scenes run)
    expect(visibleStatsColumns([], true).map((c) => c.key)).toContain('heldOutLoss');
    expect(visibleStatsColumns([], true).map((c) => c.key)).not.toContain('perplexity');
    expect(visibleStatsColumns([]).map((c) => c.key)).toContain('perplexity');
    expect(heldOutLossSeries([s])).toEqual([[0], [0.15]]);
    expect(tradeoffSeries([s])).toEqual([[0.15], [0.1]]);
  });
});
