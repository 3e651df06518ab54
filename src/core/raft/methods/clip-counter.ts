/**
 * The clip shares of a cycle's optimizer steps (stats clipRatio, clipLow, clipHigh): each micro-batch's loss adds its
 * clipped-token counts as kept scalar tensors (they outlive the gradient's tidy), read back after its step.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainStats } from './types';

export class ClipCounter {
  #pending: tf.Scalar[] = [];
  #low = 0;
  #high = 0;
  #tokens = 0;

  /** Counts of one micro-batch (inside its loss function): tokens clipped low, high, and its loss tokens. */
  add(low: tf.Scalar, high: tf.Scalar, tokens: tf.Scalar): void {
    this.#pending.push(tf.keep(low), tf.keep(high), tf.keep(tokens));
  }

  /** Read the counts of the last step and free them. */
  async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    const values = await Promise.all(pending.map(async (t) => (await t.data())[0]!));
    tf.dispose(pending);
    for (let i = 0; i < values.length; i += 3) {
      this.#low += values[i]!;
      this.#high += values[i + 1]!;
      this.#tokens += values[i + 2]!;
    }
  }

  /** The shares over every loss token of the steps taken (null when no step was). */
  shares(): Pick<TrainStats, 'clipRatio' | 'clipLow' | 'clipHigh'> {
    const t = this.#tokens;
    if (t === 0) return { clipRatio: null, clipLow: null, clipHigh: null };
    return { clipRatio: (this.#low + this.#high) / t, clipLow: this.#low / t, clipHigh: this.#high / t };
  }
}
