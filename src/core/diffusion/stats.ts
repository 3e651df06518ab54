/**
 * Cycle stats of an image (diffusion) RAFT run: the language tasks' CycleStats field names where they apply
 * (rewardMean, rewardMeanKept, rewardMax, keptCount, keptFraction, evalReward, trainLoss, lr, ms) plus
 * - heldOutLoss: the denoising loss on held-out real images with fixed timesteps and noise (the fidelity score, the
 *   image counterpart of perplexity's "alignment tax"),
 * - evalDiversity: mean pairwise mean-absolute pixel difference between the eval images of the same prompt (the
 *   counterpart of distinct-2: it falls towards 0 when RAFT collapses a prompt onto one image).
 * Text-only fields are null: perplexity, distinct2, meanLength, klToRef (no reference-model KL is estimated for a
 * sampler without likelihoods), evalPassRate (no verifier).
 */
import type { CycleStats } from '../raft/stats';

export interface ImageCycleStats extends Omit<CycleStats, 'perplexity' | 'distinct2' | 'meanLength'> {
  perplexity: null;
  distinct2: null;
  meanLength: null;
  heldOutLoss: number;
  evalDiversity: number;
}

/** Mean pairwise mean-absolute difference of images (0 when fewer than two). */
export function pairwiseDiversity(images: readonly Float32Array[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const a = images[i]!;
      const b = images[j]!;
      let d = 0;
      for (let k = 0; k < a.length; k++) d += Math.abs(a[k]! - b[k]!);
      sum += d / a.length;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

export const IMAGE_TABLE_COLUMNS: Array<[keyof ImageCycleStats | 'time', string, number]> = [
  ['cycle', 'cycle', 5],
  ['rewardMean', 'reward', 7],
  ['rewardMeanKept', 'kept_r', 7],
  ['keptCount', 'kept', 5],
  ['evalReward', 'evalR', 7],
  ['heldOutLoss', 'hoLoss', 7],
  ['evalDiversity', 'div', 6],
  ['trainLoss', 'loss', 7],
  ['time', 'sec', 6],
];

export function imageTableHeader(): string {
  return IMAGE_TABLE_COLUMNS.map(([, h, w]) => h.padStart(w)).join(' ');
}

export function imageTableRow(s: ImageCycleStats): string {
  return IMAGE_TABLE_COLUMNS.map(([key, , w]) => {
    const v = key === 'time' ? (s.ms.generate + s.ms.reward + s.ms.train + s.ms.eval) / 1000 : s[key];
    let text: string;
    if (v === null || v === undefined) text = '-';
    else if (typeof v === 'number') text = Number.isInteger(v) ? String(v) : v.toFixed(key === 'time' ? 1 : key === 'heldOutLoss' ? 4 : 3);
    else text = String(v);
    return text.padStart(w);
  }).join(' ');
}
