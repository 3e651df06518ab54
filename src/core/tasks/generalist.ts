/**
 * The `generalist` embedded model's pre-training mixture: the four language tasks' corpora (reviews, the sloppy
 * arithmetic worksheet with some hinted lines, Python functions, C programs) under one tokenizer, so that one model
 * does all four and fine-tuning on one can be seen to cost the others (the domain-RAFT experiment, answer-key task).
 */
import { Rng } from '../rng';
import { arithmeticCorpus, arithmeticHeldOutText } from './arithmetic/index';
import { problemText } from './arithmetic/problems';
import { hintedLines } from './answer-key/index';
import { cProgramsCorpus, cProgramsHeldOutText } from './c-programs/index';
import { pythonFunctionsCorpus, pythonFunctionsHeldOutText } from './python-functions/index';
import { createSentimentTask, sentimentCorpus } from './sentiment/index';

export const GENERALIST_PRETRAIN_SEED = 8642;

/** The tasks the generalist learned, whose metrics are its general capability. */
export const GENERALIST_TASKS = ['sentiment', 'arithmetic', 'python-functions', 'c-programs'] as const;

/** Documents per part for `scale` = 1. */
const MIX = { sentiment: 8000, arithmetic: 10000, hinted: 4000, python: 7000, c: 7000 };

/** The mixture, shuffled: each part drawn from its task's corpus stream with `seed`. */
export function generalistCorpus(seed: number, scale = 1): string[] {
  const n = (k: keyof typeof MIX) => Math.round(MIX[k] * scale);
  const heldOutProblems = new Set(arithmeticHeldOutText().map((line) => problemText(parseLine(line))));
  const docs = [
    ...sentimentCorpus(seed, n('sentiment')),
    ...arithmeticCorpus(seed, n('arithmetic')),
    ...hintedLines(seed, n('hinted'), heldOutProblems),
    ...pythonFunctionsCorpus(seed, n('python')),
    ...cProgramsCorpus(seed, n('c')),
  ];
  return Rng.derive(seed, 'generalist/mix').shuffled(docs);
}

function parseLine(line: string) {
  const m = /^(-?\d+) (\S+) (-?\d+) =/.exec(line)!;
  return { a: Number(m[1]), op: m[2] as '+', b: Number(m[3]) };
}

/** Held-out text of every part (perplexity of the generalist as a whole). */
export function generalistHeldOutText(): string[] {
  return [
    ...createSentimentTask().heldOutText.slice(0, 96),
    ...arithmeticHeldOutText(),
    ...pythonFunctionsHeldOutText().slice(0, 96),
    ...cProgramsHeldOutText().slice(0, 96),
  ];
}
