/**
 * Cycle stats of an image (diffusion) RAFT run: the language tasks' CycleStats field names where they apply
 * (rewardMean, rewardMeanKept, rewardMax, keptCount, keptFraction, evalReward, trainLoss, lr, ms) plus
 * - heldOutLoss: the denoising loss on held-out real images with fixed timesteps and noise (the fidelity score, the
 *   image counterpart of perplexity's "alignment tax"),
 * - evalDiversity: mean pairwise mean-absolute pixel difference between the eval images of the same prompt (the
 *   counterpart of distinct-2: it falls towards 0 when RAFT collapses a prompt onto one image).
 * - evalFidelity (task scenes only): the mean verified fidelity of the eval images (core/scenes/fidelity.ts), whatever
 *   the run's reward, so a learned reward's gains can be checked against the detector; evalPassRate is then the share
 *   of eval images that satisfy their prompt entirely (fidelity 1).
 * Text-only fields are null: perplexity, distinct2, meanLength, klToRef (no reference-model KL is estimated for a
 * sampler without likelihoods), and evalPassRate except on task scenes.
 */
import type { CycleStats } from '../raft/stats';

export interface ImageCycleStats extends Omit<CycleStats, 'perplexity' | 'distinct2' | 'meanLength'> {
  perplexity: null;
  distinct2: null;
  meanLength: null;
  heldOutLoss: number;
  evalDiversity: number;
  /** Task scenes: mean fidelity of the eval images. */
  evalFidelity?: number;
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

type TableColumn = [keyof ImageCycleStats | 'time', string, number];

export const IMAGE_TABLE_COLUMNS: readonly TableColumn[] = [
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

/** Task scenes adds the verified fidelity of the eval images and their pass rate (fid, pass) after evalR. */
export function imageTableColumns(task: string): readonly TableColumn[] {
  if (task !== 'scenes') return IMAGE_TABLE_COLUMNS;
  const at = IMAGE_TABLE_COLUMNS.findIndex(([k]) => k === 'evalReward') + 1;
  return [...IMAGE_TABLE_COLUMNS.slice(0, at), ['evalFidelity', 'fid', 6], ['evalPassRate', 'pass', 6], ...IMAGE_TABLE_COLUMNS.slice(at)];
}

export function imageTableHeader(columns: readonly TableColumn[] = IMAGE_TABLE_COLUMNS): string {
  return columns.map(([, h, w]) => h.padStart(w)).join(' ');
}

export function imageTableRow(s: ImageCycleStats, columns: readonly TableColumn[] = IMAGE_TABLE_COLUMNS): string {
  return columns.map(([key, , w]) => {
    const v = key === 'time' ? (s.ms.generate + s.ms.reward + s.ms.train + s.ms.eval) / 1000 : s[key];
    let text: string;
    if (v === null || v === undefined) text = '-';
    else if (typeof v === 'number') text = Number.isInteger(v) ? String(v) : v.toFixed(key === 'time' ? 1 : key === 'heldOutLoss' ? 4 : 3);
    else text = String(v);
    return text.padStart(w);
  }).join(' ');
}
