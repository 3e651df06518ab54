/**
 * Trains the sentiment task's byte-level BPE tokenizer on its pre-training corpus and writes
 * public/models/sentiment/tokenizer.json.   Run: npx tsx scripts/train-tokenizer.ts
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SENTIMENT_PRETRAIN_SEED, sentimentCorpus } from '../src/core/tasks/sentiment/index';
import { trainByteLevelBpe } from '../src/core/tokenizer/bpe-trainer';

const OUT = 'public/models/sentiment/tokenizer.json';
const REVIEWS = 20000;
const VOCAB_SIZE = 512;

const started = performance.now();
const corpus = sentimentCorpus(SENTIMENT_PRETRAIN_SEED, REVIEWS);
const json = trainByteLevelBpe(corpus, VOCAB_SIZE, ['<|endoftext|>']);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(json) + '\n');
console.log(`wrote ${OUT} (${REVIEWS} reviews, vocab ${VOCAB_SIZE}) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
