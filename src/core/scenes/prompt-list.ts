/**
 * The scenes task's prompts: the run's typed list (the `scenePrompts` setting: prompts separated by ";" or new
 * lines), or SCENE_TASK_PROMPTS when it is empty. Every prompt must parse; the first bad one is refused with its
 * word named (ScenePromptError, the message saying which prompt).
 */
import { ScenePromptError } from './errors';
import { SCENE_EVAL_SETS } from './eval-sets';
import { parsePrompt } from './grammar';
import { promptWords } from './vocab';

/** The default prompts: the four evaluation sets interleaved (single, group, held-out, relation, single, ...). */
export const SCENE_TASK_PROMPTS: readonly string[] = SCENE_EVAL_SETS.seenSingles.flatMap((_, i) => [
  SCENE_EVAL_SETS.seenSingles[i]!, SCENE_EVAL_SETS.seenMulti[i]!, SCENE_EVAL_SETS.heldOut[i]!, SCENE_EVAL_SETS.relations[i]!,
]);

/** The prompts of a `scenePrompts` value, each as its words joined by one space (lower case); '' = the defaults. */
export function scenePromptList(text: string): string[] {
  const prompts = text.split(/[;\n]/).map((p) => promptWords(p).join(' ')).filter((p) => p !== '');
  if (prompts.length === 0) return SCENE_TASK_PROMPTS.slice();
  prompts.forEach((p, i) => {
    try {
      parsePrompt(p);
    } catch (e) {
      if (e instanceof ScenePromptError) throw new ScenePromptError(e.word, `${e.reason} (prompt ${i + 1}, "${p}")`);
      throw e;
    }
  });
  return [...new Set(prompts)];
}
