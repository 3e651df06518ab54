/** The denoiser's word tokenizer: a prompt -> SCENE_VOCAB ids, padded with 0 to a fixed length. */
import { ScenePromptError } from './errors';
import { promptWords, SCENE_PAD, wordId } from './vocab';

/** Ids of the prompt's words followed by padding (id 0) up to maxLen; '' gives all padding (the null prompt). */
export function encodePrompt(prompt: string, maxLen: number): number[] {
  const words = promptWords(prompt);
  if (words.length > maxLen) throw new ScenePromptError(words[maxLen]!, `is past the ${maxLen} words the text encoder reads`);
  const ids = words.map((w) => {
    const id = wordId(w);
    if (id === undefined || w === SCENE_PAD) throw new ScenePromptError(w, 'is not a word of the scenes grammar');
    return id;
  });
  while (ids.length < maxLen) ids.push(0);
  return ids;
}
