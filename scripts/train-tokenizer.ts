/**
 * Trains a task's byte-level BPE tokenizer on its pre-training corpus and writes public/models/<task>/tokenizer.json.
 * Deterministic.   Run: npx tsx scripts/train-tokenizer.ts [--task sentiment]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { pretrainRecipe } from '../src/core/tasks/registry';
import { trainByteLevelBpe } from '../src/core/tokenizer/bpe-trainer';

const { values } = parseArgs({ options: { task: { type: 'string', default: 'sentiment' } } });
const task = values.task!;
const recipe = pretrainRecipe(task);
const out = `public/models/${task}/tokenizer.json`;
const started = performance.now();
const corpus = recipe.corpus(recipe.seed);
const json = trainByteLevelBpe(corpus, recipe.tokenizerVocab, ['<|endoftext|>']);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(json) + '\n');
console.log(`wrote ${out} (${corpus.length} documents, vocab ${recipe.tokenizerVocab}) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
