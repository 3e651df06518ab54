/**
 * Built-in reward terms of custom tasks, each a number in [0, 1] of one completion:
 * - `sentiment`: the sentiment task's AFINN-165 lexicon score;
 * - `length`: closeness of the word count to `target`: exp(-((n - target) / (tolerance x target))^2 / 2);
 * - `regex`: 1 when the pattern matches the completion, else 0;
 * - `keywords`: `any`: 1 when one of the words appears (as a whole word, any case); `fraction`: the share that do;
 * - `json`: 1 when the completion (trimmed) is valid JSON.
 */
import { sentimentReward } from '../sentiment/reward';
import type { RewardTerm } from './document';

type Builtin = Extract<RewardTerm, { kind: 'builtin' }>;

/** Completions are cut to this many characters before a pattern runs on them (bounds the regex's time). */
const REGEX_INPUT_CHARS = 4000;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A scorer for one built-in term: completion -> reward in [0, 1]. */
export function builtinScorer(t: Builtin): (completion: string) => number {
  switch (t.name) {
    case 'sentiment':
      return (c) => sentimentReward(c).reward;
    case 'length': {
      const width = t.tolerance * t.target;
      return (c) => {
        const n = c.trim() === '' ? 0 : c.trim().split(/\s+/).length;
        return Math.exp(-(((n - t.target) / width) ** 2) / 2);
      };
    }
    case 'regex': {
      const re = new RegExp(t.pattern, t.flags);
      return (c) => (re.test(c.slice(0, REGEX_INPUT_CHARS)) ? 1 : 0);
    }
    case 'keywords': {
      const res = t.words.map((w) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(w)}(?![\\p{L}\\p{N}])`, 'iu'));
      return (c) => {
        const hits = res.filter((re) => re.test(c)).length;
        return t.mode === 'any' ? (hits > 0 ? 1 : 0) : hits / res.length;
      };
    }
    case 'json':
      return (c) => {
        try {
          JSON.parse(c.trim());
          return 1;
        } catch {
          return 0;
        }
      };
  }
}
