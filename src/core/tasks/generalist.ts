/**
 * The `generalist` embedded model's pre-training mixture: the four language tasks' corpora (reviews, the sloppy
 * arithmetic worksheet with some hinted lines, Python functions, C programs) under one tokenizer, so that one model
 * does all four and fine-tuning on one can be seen to cost the others (the domain-RAFT experiment, answer-key task).
 */
import { Rng } from '../rng';
import { arithmeticCorpus, arithmeticHeldOutText } from './arithmetic/index';
import { splitLine } from './arithmetic/problems';
import { hintedLines } from './answer-key/index';
import { cProgramsCorpus, cProgramsHeldOutText } from './c-programs/index';
import { pythonFunctionsCorpus, pythonFunctionsHeldOutText } from './python-functions/index';
import { createSentimentTask, sentimentCorpus } from './sentiment/index';

export const GENERALIST_PRETRAIN_SEED = 8642;

/** Documents per part. */
const MIX = { sentiment: 8000, arithmetic: 10000, hinted: 4000, python: 7000, c: 7000 };

/** The mixture, shuffled: each part drawn from its task's corpus stream with `seed`. */
export function generalistCorpus(seed: number): string[] {
  // the hinted lines avoid the worksheet's held-out problems too (a line's prompt is its problem, `a op b =`)
  const heldOutProblems = new Set(arithmeticHeldOutText().map((line) => splitLine(line).prompt));
  const docs = [
    ...sentimentCorpus(seed, MIX.sentiment),
    ...arithmeticCorpus(seed, MIX.arithmetic),
    ...hintedLines(seed, MIX.hinted, heldOutProblems),
    ...pythonFunctionsCorpus(seed, MIX.python),
    ...cProgramsCorpus(seed, MIX.c),
  ];
  return Rng.derive(seed, 'generalist/mix').shuffled(docs);
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
