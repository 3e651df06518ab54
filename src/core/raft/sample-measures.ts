/**
 * What a cycle's training samples were like (stats entropy, fracRewardZeroStd, truncatedFraction), over every draw
 * of the cycle (quota rounds and group filtering's extra draws included): the sampling policy's mean per-token
 * entropy on them (lm/entropy.ts, measured right after each draw, before any update), the share of prompts whose
 * rewards all tie, the share of samples that hit their token budget without ending.
 */
import { tokenEntropy } from '../lm/entropy';
import type { LogitsOf } from '../lm/kl';
import type { SamplingOptions } from '../lm/sample';
import type { Sequence } from '../lm/train';
import { groupByPrompt, type Scored } from './methods/types';
import { allEqual } from './policy-losses';
import type { CycleStats } from './stats';

export class SampleMeasures {
  #entropySum = 0;
  #positions = 0;
  #groups = 0;
  #tiedGroups = 0;
  #samples = 0;
  #truncated = 0;

  /** Add a draw: its samples, as training sequences, and the policy that drew them (logits, sizes, sampling options). */
  async add(scored: readonly Scored[], seqs: readonly Sequence[], policy: LogitsOf, model: { blockSize: number; vocabSize: number }, padId: number, opts: SamplingOptions): Promise<void> {
    const h = await tokenEntropy(policy, seqs, model.blockSize, model.vocabSize, padId, opts);
    const groups = groupByPrompt(scored);
    this.#entropySum += h.sum;
    this.#positions += h.positions;
    this.#groups += groups.length;
    this.#tiedGroups += groups.filter((g) => allEqual(g.map((s) => s.result.reward))).length;
    this.#samples += scored.length;
    this.#truncated += scored.filter((s) => !s.gen.ended).length;
  }

  /** The cycle's measures; null where it drew no samples (cycle 0, SFT, domain-RAFT). */
  stats(): Pick<CycleStats, 'entropy' | 'fracRewardZeroStd' | 'truncatedFraction'> {
    return {
      entropy: this.#positions ? this.#entropySum / this.#positions : null,
      fracRewardZeroStd: this.#groups ? this.#tiedGroups / this.#groups : null,
      truncatedFraction: this.#samples ? this.#truncated / this.#samples : null,
    };
  }
}
