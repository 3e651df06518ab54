import { describe, expect, it } from 'vitest';
import { passRateSe } from '../src/core/raft/scoring';
import type { Task } from '../src/core/tasks/types';

const task = (passThreshold?: number) => ({ passThreshold }) as unknown as Task;
const items = (perPrompt: number[][]) => perPrompt.flatMap((rs, promptIndex) => rs.map((reward) => ({ promptIndex, reward })));

describe('passRateSe (sampling noise within the eval prompts)', () => {
  it('sums each prompt\'s unbiased binomial variance', () => {
    // threshold 1; pass fractions 1, 1/2, 0, 1/2 of 2 samples: k^2 f (1 - f) / (k - 1) = 0, 1, 0, 1; se sqrt(2) / 8
    expect(passRateSe(task(1), items([[1, 1], [1, 0.7], [0, 0.3], [0.5, 1]]))).toBeCloseTo(Math.sqrt(2) / 8, 12);
    // unequal sample counts: 3 samples 1 pass (9 * 2/9 / 2 = 1), 2 samples 2 passes (0): sqrt(1) / 5
    expect(passRateSe(task(1), items([[1, 0, 0], [1, 1]]))).toBeCloseTo(1 / 5, 12);
  });

  it('is 0 when every prompt always passes or always fails, below the binomial error', () => {
    const rows = Array.from({ length: 8 }, (_, i) => Array<number>(4).fill(i % 2));
    expect(passRateSe(task(1), items(rows))).toBe(0);
    const mixed = Array.from({ length: 8 }, (_, i) => [i % 2, 1, 0, i % 3 === 0 ? 1 : 0]);
    const p = mixed.flat().filter((r) => r >= 1).length / 32;
    expect(passRateSe(task(1), items(mixed))!).toBeLessThanOrEqual(Math.sqrt((p * (1 - p)) / 32) * Math.sqrt(4 / 3));
  });

  it('is the binomial error with one sample per prompt', () => {
    expect(passRateSe(task(1), items([[1], [0], [0], [1]]))).toBeCloseTo(Math.sqrt(0.25 / 4), 12);
  });

  it('is null without a pass notion or without samples', () => {
    expect(passRateSe(task(undefined), items([[1], [0]]))).toBeNull();
    expect(passRateSe(task(1), [])).toBeNull();
  });
});
