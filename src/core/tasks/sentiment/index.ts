/**
 * The embedded `sentiment` task: continue a neutral movie-review opening so that the review reads positive.
 * Prompts are review openings, the reward is the AFINN-165 lexicon score of the completion, and the
 * held-out text is reviews of the pre-training distribution from a stream of their own.
 */

import { Rng } from '../../rng';
import type { Task } from '../types';
import { generateOpening, generateReviews } from './corpus';
import { sentimentReward } from './reward';

export { generateReview, sentimentCorpus, type Sentiment } from './corpus';
export { sentimentReward } from './reward';

/** Seed of the embedded base model's pre-training corpus (`sentimentCorpus(SENTIMENT_PRETRAIN_SEED, n)`). */
export const SENTIMENT_PRETRAIN_SEED = 1234;

export const description =
  'Continue a movie-review opening; reward = AFINN-165 sentiment of the continuation (positive is better).';

const TRAIN_PROMPTS = 256;
const EVAL_PROMPTS = 64;
const HELD_OUT_REVIEWS = 256;
const DEMONSTRATIONS = 1024;

/** `n` distinct openings from `rng`, none of them in `exclude`. */
function distinctOpenings(rng: Rng, n: number, exclude: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  for (let tries = 0; out.size < n; tries++) {
    if (tries > n * 1000) throw new Error('sentiment: not enough distinct openings');
    const opening = generateOpening(rng);
    if (!exclude.has(opening)) out.add(opening);
  }
  return [...out];
}

export function createSentimentTask(seed = SENTIMENT_PRETRAIN_SEED): Task {
  const trainPrompts = distinctOpenings(Rng.derive(seed, 'sentiment/train-prompts'), TRAIN_PROMPTS);
  const evalPrompts = distinctOpenings(Rng.derive(seed, 'sentiment/eval-prompts'), EVAL_PROMPTS, new Set(trainPrompts));
  const heldOutText = generateReviews(Rng.derive(seed, 'sentiment/heldout'), HELD_OUT_REVIEWS).map((r) => r.text);
  // reviews of the corpus distribution (all three sentiments), split into opening and continuation
  const demonstrations = generateReviews(Rng.derive(seed, 'sentiment/demos'), DEMONSTRATIONS).map((r) => ({
    prompt: r.opening,
    completion: ` ${r.continuation}`,
  }));
  return {
    name: 'sentiment',
    description,
    trainPrompts,
    evalPrompts,
    heldOutText,
    demonstrations,
    reward: (_prompt, completion) => sentimentReward(completion),
  };
}
