/** Best-of-K at inference: nothing is trained; evaluation keeps the best of K samples (the engine's evaluate). */
import { NO_TRAINING, type Method } from './types';

export const bestOfK: Method = {
  trainsNothing: true,
  bestOfKAtEval: true,
  async update() {
    return { samples: [], stats: NO_TRAINING };
  },
};
