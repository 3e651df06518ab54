/** Task ids -> tasks, and the embedded base model's architecture and pre-training recipe for each. */
import type { GptConfig } from '../lm/gpt';
import { createSentimentTask, sentimentCorpus, SENTIMENT_PRETRAIN_SEED } from './sentiment/index';
import type { Task } from './types';

export interface PretrainRecipe {
  /** Architecture; vocabSize comes from the task's tokenizer. */
  model: Omit<GptConfig, 'vocabSize'>;
  /** Pre-training documents for a seed. */
  corpus: (seed: number) => string[];
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
}

interface TaskEntry {
  create: () => Task;
  pretrain: PretrainRecipe;
}

const TASKS: Record<string, TaskEntry> = {
  sentiment: {
    create: () => createSentimentTask(),
    pretrain: {
      model: { blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 96 },
      corpus: (seed) => sentimentCorpus(seed, 20000),
      seed: SENTIMENT_PRETRAIN_SEED,
      steps: 1500,
      batchSize: 32,
      lr: 2e-3,
      warmup: 100,
    },
  },
};

export function taskNames(): string[] {
  return Object.keys(TASKS);
}

function entry(name: string): TaskEntry {
  const e = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!e) throw new Error(`unknown task "${name}" (known: ${taskNames().join(', ')})`);
  return e;
}

export function createTask(name: string): Task {
  return entry(name).create();
}

export function pretrainRecipe(name: string): PretrainRecipe {
  return entry(name).pretrain;
}
