/**
 * Best-of-K at inference: nothing is trained. After cycle 0 each eval sample is the best of K = samplesPerPrompt
 * draws (the engine's evaluation asks `evalSelection`); its KL to the base model is not measured but bounded
 * analytically: log K - (K - 1) / K.
 */
import { NO_TRAINING, type Method, type Scored } from '../types';

/** The best-scored sample of each consecutive group of `k` (ties: the first). */
export function bestOfGroups(scored: readonly Scored[], k: number): Scored[] {
  const best: Scored[] = [];
  for (let i = 0; i < scored.length; i += k) {
    const group = scored.slice(i, i + k);
    best.push(group.reduce((a, b) => (b.result.reward > a.result.reward ? b : a)));
  }
  return best;
}

/** The analytic bound of best-of-K sampling's KL to the model it samples from. */
export function bestOfKKlBound(k: number): number {
  return Math.log(k) - (k - 1) / k;
}

export const bestOfK: Method = {
  trainsNothing: true,
  evalSelection: { draws: (config) => config.samplesPerPrompt, keep: bestOfGroups, klBound: bestOfKKlBound },
  async update() {
    return { samples: [], stats: NO_TRAINING };
  },
};
