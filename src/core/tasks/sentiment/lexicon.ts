/**
 * Word lists of the synthetic movie-review corpus (sentiment task).
 * Sentiment words are AFINN-165 words, so the lexicon reward sees them; the neutral lists and
 * everything used in review openings hold no AFINN word at all (checked by the tests).
 */

/** Kinds of film named in openings (one or two words, no AFINN word). */
export const GENRES = [
  'thriller', 'drama', 'western', 'mystery', 'musical', 'horror film', 'fantasy film', 'action movie',
  'spy film', 'animated film',
] as const;

/** What a review talks about; singular, so that "the X was ..." reads well. */
export const SUBJECTS = [
  'acting', 'plot', 'score', 'cinematography', 'director', 'dialogue', 'ending', 'cast', 'script',
  'soundtrack', 'pacing', 'story', 'villain', 'lead actor', 'camera work', 'final act',
] as const;

/** Intensifiers for sentiment adjectives (not in AFINN, so they do not move the score themselves). */
export const INTENSIFIERS = ['very', 'really', 'truly', 'quite', 'so', 'simply', 'absolutely'] as const;

/** Softeners for neutral adjectives. */
export const HEDGES = ['fairly', 'mostly', 'rather'] as const;

export const POSITIVE_ADJECTIVES = [
  'superb', 'excellent', 'brilliant', 'wonderful', 'amazing', 'fantastic', 'great', 'good', 'beautiful',
  'perfect', 'charming', 'powerful', 'impressive', 'gripping', 'clever', 'lovely', 'funny', 'entertaining',
  'enjoyable', 'stunning',
] as const;

export const NEGATIVE_ADJECTIVES = [
  'terrible', 'awful', 'horrible', 'bad', 'boring', 'dull', 'lifeless', 'disappointing', 'poor', 'weak',
  'stupid', 'annoying', 'ridiculous', 'pointless', 'painful', 'lame', 'dumb', 'confusing', 'awkward', 'dreadful',
] as const;

export const NEUTRAL_ADJECTIVES = [
  'average', 'ordinary', 'standard', 'typical', 'predictable', 'familiar', 'plain', 'simple', 'decent',
  'modest',
] as const;

/** Nouns for "it was a X". */
export const POSITIVE_NOUNS = ['masterpiece', 'delight', 'pleasure', 'joy', 'gem', 'winner', 'triumph'] as const;
export const NEGATIVE_NOUNS = ['mess', 'disaster', 'disappointment', 'failure', 'flop', 'waste of time'] as const;
export const NEUTRAL_NOUNS = ['mixed bag', 'bit of both', 'known quantity'] as const;

/** Verbs of liking, for "i loved every minute" and the like. */
export const POSITIVE_VERBS = ['loved', 'enjoyed', 'adored', 'admired'] as const;
export const NEGATIVE_VERBS = ['hated', 'regretted', 'disliked'] as const;

/** Whole verb phrases that follow a singular subject (past tense). */
export const POSITIVE_PHRASES = [
  'made me smile', 'made me laugh out loud', 'was worth every minute', 'deserves all the praise',
  'won me over', 'kept me excited from start to finish', 'left me happy and inspired', 'was a joy to watch',
] as const;
export const NEGATIVE_PHRASES = [
  'bored me to tears', 'was a waste of time', 'made me angry', 'fell flat and felt lifeless',
  'was a complete mess', 'left me bored and annoyed', 'was painful to sit through', 'ruined the whole thing',
] as const;
export const NEUTRAL_PHRASES = [
  'was about what i expected', 'followed a familiar formula', 'moved at a steady pace',
  'ran over two hours', 'was shot mostly at night', 'kept to the usual formula',
  'did what it set out to do', 'was neither here nor there', 'took its time',
] as const;

/** Whole closing sentences (without the final " ."). */
export const POSITIVE_CLOSERS = [
  'great fun , a must see', 'highly recommended', 'i loved every minute of it', 'what a joy',
  'easily one of the best films this year', 'do not miss it', 'i would love to watch it again',
] as const;
export const NEGATIVE_CLOSERS = [
  'a total waste of time', 'avoid it', 'what a disappointment', 'i regret watching it',
  'one of the worst films this year', 'skip this one , it is bad', 'i walked out bored',
] as const;
export const NEUTRAL_CLOSERS = [
  'make up your own mind', 'decide for yourself', 'it is what it is', 'nothing more , nothing less',
  'genre fans know what to expect', 'it passes the time', 'you have seen this before',
] as const;

export const POSITIVE_RATINGS = ['eight', 'nine', 'ten'] as const;
export const NEGATIVE_RATINGS = ['one', 'two', 'three'] as const;
export const NEUTRAL_RATINGS = ['five', 'six'] as const;
