// Small fixtures for unit tests: a character tokenizer, a toy task and a tiny random GPT.
import { DEFAULT_CONFIG, type RunConfig } from '../src/core/config/schema';
import { Gpt, type GptConfig } from '../src/core/models/gpt2/model';
import { TaskDocumentError } from '../src/core/tasks/custom/document';
import type { Task, Tokenizer } from '../src/core/tasks/types';

const CHARS = ' abcdefghijklmnopqrstuvwxyz.';

/** id 0 = end of sequence, then one id per character of CHARS. */
export const charTokenizer: Tokenizer = {
  vocabSize: CHARS.length + 1,
  eosId: 0,
  encode: (text) => [...text].map((c) => CHARS.indexOf(c) + 1).filter((i) => i > 0),
  decode: (ids) => ids.filter((i) => i > 0).map((i) => CHARS[i - 1]).join(''),
};

/** Reward = share of the letter "a" in the completion. */
export const toyTask: Task = {
  name: 'toy',
  description: 'write many a',
  trainPrompts: ['the cat', 'a dog', 'my hat', 'so far', 'big sea', 'tin can'],
  evalPrompts: ['one day', 'at last'],
  heldOutText: ['a cat sat on a mat.', 'the dog ran far.'],
  reward: (_p, c) => {
    const n = [...c].filter((ch) => ch !== ' ').length;
    return { reward: n === 0 ? 0 : [...c].filter((ch) => ch === 'a').length / n, breakdown: { letters: n } };
  },
};

export const tinyGpt: GptConfig = { vocabSize: charTokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16 };

export function tinyModel(seed = 1): Gpt {
  return new Gpt(tinyGpt, undefined, seed);
}

export function tinyConfig(over: Partial<RunConfig> = {}): RunConfig {
  return {
    ...DEFAULT_CONFIG,
    promptsPerCycle: 3,
    samplesPerPrompt: 3,
    maxNewTokens: 8,
    evalPrompts: 2,
    evalSamplesPerPrompt: 2,
    batchSize: 4,
    epochsPerCycle: 1,
    lr: 1e-2,
    ...over,
  };
}

/** The message a task document parser refuses `v` with (a TaskDocumentError); throws if it parses. */
export function refusalOf(parse: (v: unknown) => unknown, v: unknown): string {
  try {
    parse(v);
  } catch (e) {
    if (!(e instanceof TaskDocumentError)) throw e;
    return e.message;
  }
  throw new Error('parsed');
}
