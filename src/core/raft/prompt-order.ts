/**
 * The order in which a run visits its training prompts: a seeded shuffle of the prompt indices, walked in turn and
 * redrawn (with the next pass number) when it runs out. Its position is part of a checkpoint, so a resumed run
 * visits the same prompts as an uninterrupted one. Shared by the language and the image engines.
 */
import { Rng } from '../rng';
import type { EngineState } from './engine-state';

export type PromptOrderState = EngineState['prompts'];

export class PromptOrder {
  #order: number[] = [];
  #cursor = 0;
  #epoch = 0;

  /**
   * `n` prompts; pass 0 is shuffled by Rng.derive(seed, stream) and pass p >= 1 by Rng.derive(seed, `stream/pass/p`),
   * so the passes of one seed never repeat those of another (with `seed + pass`, seed 2's first pass was seed 1's
   * second). Pass 0 keeps the stream it always had, so runs that stay within one pass are unchanged.
   */
  constructor(
    readonly n: number,
    readonly seed: number,
    readonly stream: string,
  ) {}

  /** The next `count` prompt indices (passes wrap around). */
  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      if (this.#cursor >= this.#order.length) {
        this.#order = Rng.derive(this.seed, this.#epoch === 0 ? this.stream : `${this.stream}/pass/${this.#epoch}`).shuffled(Array.from({ length: this.n }, (_, i) => i));
        this.#epoch++;
        this.#cursor = 0;
      }
      out.push(this.#order[this.#cursor++]!);
    }
    return out;
  }

  state(): PromptOrderState {
    return { order: this.#order.slice(), cursor: this.#cursor, epoch: this.#epoch };
  }

  restore(state: PromptOrderState): void {
    this.#order = state.order.slice();
    this.#cursor = state.cursor;
    this.#epoch = state.epoch;
  }
}
