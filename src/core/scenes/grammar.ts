/**
 * The scenes prompt language: parsePrompt reads an English prompt into a SceneSpec (or refuses it with a
 * ScenePromptError naming the word at fault), describeSpec writes a spec back as its canonical prompt.
 *
 *   prompt   := object [place] | single relation single
 *   object   := [count] [size] [colour] shape | shapes          count: a, an, one, two, three
 *   single   := object with count a/an/one (or none) and a singular shape
 *   place    := on the left | on the right | at the top | at the bottom | in the middle
 *   relation := left of | above
 *
 * e.g. "two small yellow triangles at the top", "a red circle left of a blue square", "circles" (count open: 2 or 3).
 * A spec keeps only what the prompt says; what it leaves open is drawn by the scene sampler (layout.ts).
 */
import { ScenePromptError } from './errors';
import {
  COLOURS, COUNT_WORDS, PLACES, PLURALS, promptWords, RELATIONS, SHAPES, SIZES, wordId,
  type Colour, type Place, type Relation, type Shape, type Size,
} from './vocab';

export interface ObjectSpec {
  shape: Shape;
  colour?: Colour;
  size?: Size;
}

export type SceneSpec =
  /** `count` objects of one description; count undefined = a bare plural ("circles"): 2 or 3. */
  | { kind: 'group'; object: ObjectSpec; count?: 1 | 2 | 3; place?: Place }
  /** Object a left of / above object b. */
  | { kind: 'relation'; a: ObjectSpec; relation: Relation; b: ObjectSpec };

const SINGULAR = new Map<string, Shape>(SHAPES.map((s) => [s, s]));
const PLURAL = new Map<string, Shape>(SHAPES.map((s) => [PLURALS[s], s]));

interface ObjectPhrase {
  object: ObjectSpec;
  count?: 1 | 2 | 3;
  /** Index of its count word, or -1. */
  countAt: number;
  plural: boolean;
}

/** A prompt read into its spec; throws ScenePromptError naming the first unknown (or misplaced) word. */
export function parsePrompt(prompt: string): SceneSpec {
  const words = promptWords(prompt);
  const unknown = words.find((w) => wordId(w) === undefined || w === '<pad>');
  if (unknown !== undefined) throw new ScenePromptError(unknown, 'is not a word of the scenes grammar');
  if (words.length === 0) throw new ScenePromptError('', 'is empty');
  let i = 0;
  const first = readObject(words, i);
  i = first.next;
  if (i === words.length) return group(first.phrase);
  const place = readPhrase(words, i, PLACES);
  if (place) {
    if (place.next < words.length) throw new ScenePromptError(words[place.next]!, 'comes after the place, where the prompt should end');
    return group(first.phrase, place.value);
  }
  const relation = readPhrase(words, i, RELATIONS);
  if (!relation) throw new ScenePromptError(words[i]!, 'is out of place: expected a place (on the left ...) or a relation (left of, above)');
  single(words, first.phrase);
  const second = readObject(words, relation.next);
  single(words, second.phrase);
  if (second.next < words.length) throw new ScenePromptError(words[second.next]!, 'comes after the second object, where the prompt should end');
  return { kind: 'relation', a: first.phrase.object, relation: relation.value, b: second.phrase.object };
}

function group(p: ObjectPhrase, place?: Place): SceneSpec {
  const spec: SceneSpec = { kind: 'group', object: p.object };
  if (p.count !== undefined) spec.count = p.count;
  if (place !== undefined) spec.place = place;
  return spec;
}

function single(words: string[], p: ObjectPhrase): void {
  if (p.plural) throw new ScenePromptError(p.countAt >= 0 ? words[p.countAt]! : PLURALS[p.object.shape], 'makes a relation of groups: a relation is between two single objects');
}

function readObject(words: string[], start: number): { phrase: ObjectPhrase; next: number } {
  let i = start;
  let count: 1 | 2 | 3 | undefined;
  let countAt = -1;
  let size: Size | undefined;
  let colour: Colour | undefined;
  const w = (): string | undefined => words[i];
  if (w() !== undefined && w()! in COUNT_WORDS) {
    count = COUNT_WORDS[w()!];
    countAt = i++;
  }
  if ((SIZES as readonly string[]).includes(w() ?? '')) size = w() as Size, i++;
  if ((COLOURS as readonly string[]).includes(w() ?? '')) colour = w() as Colour, i++;
  const noun = w();
  if (noun === undefined) throw new ScenePromptError('', 'ends before naming a shape (circle, square, triangle)');
  const shape = SINGULAR.get(noun) ?? PLURAL.get(noun);
  if (shape === undefined) {
    const what = (SIZES as readonly string[]).includes(noun) ? ' (a size comes before the colour)' : '';
    throw new ScenePromptError(noun, `is out of place: expected a shape (circle, square, triangle)${what}`);
  }
  const plural = PLURAL.has(noun);
  if (count === 1 && plural) throw new ScenePromptError(noun, `is plural after "${words[countAt]}"`);
  if (count !== undefined && count > 1 && !plural) throw new ScenePromptError(noun, `is singular after "${words[countAt]}"`);
  const object: ObjectSpec = { shape };
  if (colour) object.colour = colour;
  if (size) object.size = size;
  return { phrase: { object, count: count ?? (plural ? undefined : 1), countAt, plural }, next: i + 1 };
}

/** One of several multi-word phrases at words[start]; null if none starts there; throws on a phrase left unfinished. */
function readPhrase<T extends string>(words: string[], start: number, phrases: readonly T[]): { value: T; next: number } | null {
  let best = 0;
  for (const p of phrases) {
    const pw = p.split(' ');
    let k = 0;
    while (k < pw.length && words[start + k] === pw[k]) k++;
    if (k === pw.length) return { value: p, next: start + k };
    best = Math.max(best, k);
  }
  if (best === 0) return null;
  const at = words[start + best];
  if (at === undefined) throw new ScenePromptError('', `ends inside "${words.slice(start).join(' ')}"`);
  throw new ScenePromptError(at, `does not finish "${words.slice(start, start + best).join(' ')}"`);
}

/** The canonical prompt of a spec ("an orange circle", "two small squares on the left"); parsePrompt reads it back. */
export function describeSpec(spec: SceneSpec, oneWord: 'a' | 'one' = 'a'): string {
  if (spec.kind === 'relation') return `${describeObject(spec.a, 1, oneWord)} ${spec.relation} ${describeObject(spec.b, 1, oneWord)}`;
  const text = describeObject(spec.object, spec.count, oneWord);
  return spec.place ? `${text} ${spec.place}` : text;
}

function describeObject(o: ObjectSpec, count: 1 | 2 | 3 | undefined, oneWord: 'a' | 'one'): string {
  const rest = [o.size, o.colour, count === 1 ? o.shape : PLURALS[o.shape]].filter((x) => x !== undefined).join(' ');
  const countWord = count === undefined ? '' : count === 2 ? 'two' : count === 3 ? 'three' : oneWord === 'one' ? 'one' : /^[aeiou]/.test(rest) ? 'an' : 'a';
  return countWord ? `${countWord} ${rest}` : rest;
}
