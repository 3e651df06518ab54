/**
 * Synthetic movie-review corpus of the sentiment task: templates over the word lists in lexicon.ts.
 * A review is a sentiment-free opening (the RAFT prompt) plus a continuation that decides its sentiment.
 * Text is lowercase, with words and punctuation separated by single spaces.
 */

import { Rng } from '../../rng';
import * as L from './lexicon';

export type Sentiment = 'positive' | 'negative' | 'neutral';
export const SENTIMENTS: readonly Sentiment[] = ['positive', 'negative', 'neutral'];

export interface Review {
  opening: string;
  continuation: string;
  text: string;
  sentiment: Sentiment;
}

/** Length limits; the character limit keeps a whole review within 56 tokens of the project tokenizer. */
const OPENING_WORDS = { min: 3, max: 8 };
const CONTINUATION_WORDS = { min: 10, max: 35 };
const MAX_SENTENCES = 3;
const REVIEW_MAX_CHARS = 120;
const REVIEW_MAX_WORDS = 30;

/** Openings ending in "and" take a whole clause; the others end in a subject and take a predicate. */
type OpeningKind = 'clause' | 'predicate';
const OPENINGS: readonly [OpeningKind, string][] = [
  ['clause', 'i watched this {genre} last night and'],
  ['clause', 'we rented this {genre} on friday and'],
  ['clause', 'i finally saw this {genre} and'],
  ['clause', 'i went to see this {genre} and'],
  ['clause', 'i caught this {genre} on tv and'],
  ['clause', 'we saw this {genre} at the cinema and'],
  ['predicate', 'the {subject} in this {genre}'],
  ['predicate', 'the {subject} of this {genre}'],
  ['predicate', 'as for the {subject} , it'],
  ['predicate', 'this {genre} from the seventies'],
  ['predicate', 'overall , this {genre}'],
  ['predicate', 'this new {genre}'],
  ['predicate', 'honestly , the {subject}'],
  ['predicate', 'i have to say the {subject}'],
  ['predicate', 'in my opinion the {subject}'],
  ['predicate', 'for me , the {subject}'],
  ['predicate', 'the latest {genre} from this director'],
];

const words = (s: string): number => s.split(' ').length;

function opening(rng: Rng): { kind: OpeningKind; text: string } {
  for (;;) {
    const [kind, template] = rng.pick(OPENINGS);
    const text = template.replace('{genre}', rng.pick(L.GENRES)).replace('{subject}', rng.pick(L.SUBJECTS));
    const n = words(text);
    if (n >= OPENING_WORDS.min && n <= OPENING_WORDS.max) return { kind, text };
  }
}

/** A review opening with no sentiment word (a RAFT prompt). */
export function generateOpening(rng: Rng): string {
  return opening(rng).text;
}

const pickBy = <T>(rng: Rng, s: Sentiment, pos: readonly T[], neg: readonly T[], neu: readonly T[]): T =>
  rng.pick(s === 'positive' ? pos : s === 'negative' ? neg : neu);

const adjective = (rng: Rng, s: Sentiment): string =>
  pickBy(rng, s, L.POSITIVE_ADJECTIVES, L.NEGATIVE_ADJECTIVES, L.NEUTRAL_ADJECTIVES);

/** Adjective with an optional intensifier (or hedge, when neutral). */
function adjectivePhrase(rng: Rng, s: Sentiment): string {
  if (!rng.chance(0.45)) return adjective(rng, s);
  return `${s === 'neutral' ? rng.pick(L.HEDGES) : rng.pick(L.INTENSIFIERS)} ${adjective(rng, s)}`;
}

/** Verb phrase after a singular subject, in the past tense. */
function predicate(rng: Rng, s: Sentiment): string {
  const r = rng.int(10);
  if (r < 4) return `was ${adjectivePhrase(rng, s)}`;
  if (r < 5) return `was ${adjective(rng, s)} and ${adjective(rng, s)}`;
  if (r < 6) {
    const quality = s === 'positive' ? 'real ' : s === 'negative' ? rng.pick(['total ', 'complete ']) : '';
    return `was a ${rng.chance(0.5) ? quality : ''}${pickBy(rng, s, L.POSITIVE_NOUNS, L.NEGATIVE_NOUNS, L.NEUTRAL_NOUNS)}`;
  }
  // simple negation: "not <opposite word>"
  if (r < 7 && s !== 'neutral') return `was not ${adjective(rng, s === 'positive' ? 'negative' : 'positive')} at all`;
  return pickBy(rng, s, L.POSITIVE_PHRASES, L.NEGATIVE_PHRASES, L.NEUTRAL_PHRASES);
}

const subject = (rng: Rng): string => `the ${rng.pick(L.SUBJECTS)}`;

/** A whole clause: subject and predicate. */
function clause(rng: Rng, s: Sentiment): string {
  const r = rng.int(8);
  if (r < 4) return `${subject(rng)} ${predicate(rng, s)}`;
  if (r < 6) return `it ${predicate(rng, s)}`;
  if (r < 7) return `i found it ${adjectivePhrase(rng, s)}`;
  if (s === 'neutral') return `i thought it was ${adjective(rng, s)}`;
  return `i ${pickBy(rng, s, L.POSITIVE_VERBS, L.NEGATIVE_VERBS, [])} every minute of it`;
}

/** Optional second half of a sentence: "and <clause>", or "but" and a neutral remark. */
function extension(rng: Rng, s: Sentiment): string {
  const r = rng.int(4);
  if (r === 0) return ` and ${clause(rng, s)}`;
  if (r === 1) return ` but ${subject(rng)} ${predicate(rng, 'neutral')}`;
  return '';
}

/** A whole sentence, without the final " .". */
function sentence(rng: Rng, s: Sentiment): string {
  const r = rng.int(10);
  if (r < 4) return clause(rng, s) + extension(rng, s);
  if (r < 6) return `${subject(rng)} was ${adjective(rng, 'neutral')} but ${subject(rng)} ${predicate(rng, s)}`;
  if (r < 8) return pickBy(rng, s, L.POSITIVE_CLOSERS, L.NEGATIVE_CLOSERS, L.NEUTRAL_CLOSERS);
  return `${pickBy(rng, s, L.POSITIVE_RATINGS, L.NEGATIVE_RATINGS, L.NEUTRAL_RATINGS)} out of ten`;
}

/** Whether a text says the same four words twice ("make up your own mind . make up your own mind"). */
function repeats(text: string): boolean {
  const w = text.split(' ');
  const seen = new Set<string>();
  for (let i = 0; i + 4 <= w.length; i++) {
    const gram = w.slice(i, i + 4).join(' ');
    if (seen.has(gram)) return true;
    seen.add(gram);
  }
  return false;
}

function continuation(rng: Rng, s: Sentiment, kind: OpeningKind, maxWords: number, maxChars: number): string {
  for (;;) {
    const first = (kind === 'clause' ? clause(rng, s) : predicate(rng, s)) + extension(rng, s);
    const parts = [first];
    const sentences = 1 + rng.int(MAX_SENTENCES);
    while (parts.length < sentences || words(parts.join(' . ')) + 1 < CONTINUATION_WORDS.min) {
      parts.push(sentence(rng, s));
    }
    const text = parts.join(' . ') + ' .';
    const fits = parts.length <= MAX_SENTENCES && words(text) <= maxWords && text.length <= maxChars;
    if (fits && !repeats(text)) return text;
  }
}

/** One review; the sentiment is drawn uniformly when not given. */
export function generateReview(rng: Rng, sentiment?: Sentiment): Review {
  const s = sentiment ?? rng.pick(SENTIMENTS);
  const open = opening(rng);
  const maxWords = Math.min(CONTINUATION_WORDS.max, REVIEW_MAX_WORDS - words(open.text));
  const cont = continuation(rng, s, open.kind, maxWords, REVIEW_MAX_CHARS - open.text.length - 1);
  return { opening: open.text, continuation: cont, text: `${open.text} ${cont}`, sentiment: s };
}

/** n reviews with the three sentiments in equal shares (up to one), in a shuffled order. */
export function generateReviews(rng: Rng, n: number): Review[] {
  const order = rng.shuffled(Array.from({ length: n }, (_, i) => SENTIMENTS[i % 3]!));
  return order.map((s) => generateReview(rng, s));
}

/** The pre-training corpus: n review texts, deterministic for the seed. */
export function sentimentCorpus(seed: number, n: number): string[] {
  return generateReviews(Rng.derive(seed, 'sentiment/corpus'), n).map((r) => r.text);
}
