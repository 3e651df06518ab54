/**
 * A prompt as the DiT's text encoder reads it: the start token, the words' ids shifted past the two special ids,
 * padding to `maxTokens`. The null prompt (classifier-free guidance's unconditional input) is the start token alone.
 */
import { PAD_ID, START_ID } from './config';

/** Token row (maxTokens) of a prompt's word ids (0-based indices into the world's vocabulary). */
export function promptTokens(words: readonly number[], maxTokens: number): Int32Array {
  if (words.length + 1 > maxTokens) throw new Error(`a prompt of ${words.length} words is longer than the text encoder's ${maxTokens - 1}`);
  const out = new Int32Array(maxTokens).fill(PAD_ID);
  out[0] = START_ID;
  words.forEach((w, i) => (out[i + 1] = w + 2));
  return out;
}

/** The null prompt's token row: the start token, then padding. */
export function nullTokens(maxTokens: number): Int32Array {
  return promptTokens([], maxTokens);
}

/** Text-encoder vocabulary size for a world vocabulary of `words` words (padding and start included). */
export function textVocabSize(words: number): number {
  return words + 2;
}
