/** The one error of the scenes grammar: a prompt refused, naming the word at fault ('' when the prompt ends early). */
export class ScenePromptError extends Error {
  constructor(
    readonly word: string,
    readonly reason: string,
  ) {
    super(word === '' ? `prompt: ${reason}` : `prompt: "${word}" ${reason}`);
    this.name = 'ScenePromptError';
  }
}
