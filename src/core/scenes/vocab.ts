/**
 * The words of the `scenes` world: shapes, colours (with their flat RGB), sizes (with their half-extent in
 * normalised image units), counts, places and relations, and the word tokenizer of the denoiser's text encoder
 * (SCENE_VOCAB, encodePrompt). Nothing here draws or parses; grammar.ts reads prompts, layout.ts places objects.
 */

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Shape = (typeof SHAPES)[number];
export const PLURALS: Readonly<Record<Shape, string>> = { circle: 'circles', square: 'squares', triangle: 'triangles' };

export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
export type Colour = (typeof COLOURS)[number];
/** Flat RGB in [0, 1]; hues ~0, 130, 225, 52, 275, 28 degrees, saturated, so a detector names them by hue. */
export const COLOUR_RGB: Readonly<Record<Colour, readonly [number, number, number]>> = {
  red: [0.9, 0.12, 0.12],
  green: [0.12, 0.75, 0.25],
  blue: [0.2, 0.35, 0.95],
  yellow: [0.95, 0.85, 0.12],
  purple: [0.62, 0.22, 0.88],
  orange: [0.98, 0.55, 0.08],
};
/** The one background colour of every scene (a dark neutral grey). */
export const BACKGROUND: readonly [number, number, number] = [0.1, 0.1, 0.1];

export const SIZES = ['small', 'large'] as const;
export type Size = (typeof SIZES)[number];
/** Half of an object's bounding-box extent, in units of the image side (0.09 = 2.9 px at 32 px, 0.14 = 4.5 px). */
export const SIZE_HALF_EXTENT: Readonly<Record<Size, number>> = { small: 0.09, large: 0.14 };

/** Count words: "a"/"an"/"one" are 1. */
export const COUNT_WORDS: Readonly<Record<string, 1 | 2 | 3>> = { a: 1, an: 1, one: 1, two: 2, three: 3 };

export const PLACES = ['on the left', 'on the right', 'at the top', 'at the bottom', 'in the middle'] as const;
export type Place = (typeof PLACES)[number];

export const RELATIONS = ['left of', 'above'] as const;
export type Relation = (typeof RELATIONS)[number];

// ---------------------------------------------------------------------------------------------------------------
// The tokenizer: one id per word of the grammar, 0 = padding (also the empty prompt of classifier-free guidance).

export const SCENE_PAD = '<pad>';
/** Every word of the grammar, in a fixed order; a word's id is its index. */
export const SCENE_VOCAB: readonly string[] = [
  SCENE_PAD,
  ...Object.keys(COUNT_WORDS),
  ...SIZES,
  ...COLOURS,
  ...SHAPES.flatMap((s) => [s, PLURALS[s]]),
  ...[...new Set([...PLACES, ...RELATIONS].flatMap((p) => p.split(' ')))],
];
/** The longest prompt of the grammar ("a small red circle left of a large blue square") has 10 words. */
export const SCENE_MAX_WORDS = 10;

const WORD_ID = new Map(SCENE_VOCAB.map((w, i) => [w, i]));

/** A prompt's words: lower-cased, split on white space. */
export function promptWords(prompt: string): string[] {
  const t = prompt.trim().toLowerCase();
  return t === '' ? [] : t.split(/\s+/);
}

/** A word's id, or undefined for a word outside the grammar. */
export function wordId(word: string): number | undefined {
  return WORD_ID.get(word);
}
