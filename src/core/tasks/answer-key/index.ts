/**
 * The `answer-key` task: the arithmetic worksheet's problems (`a op b =`), taught from an answer key. Its reference
 * targets (demonstrations) are correct but terse, the bare number (` 19`), while every model that learned from the
 * worksheet writes its working first (` 12 + 7 = 19`): the supervision-compatibility gap of domain fine-tuning.
 * Accuracy is verifiable: reward 1 when the final number equals Python's result (the arithmetic task's reward).
 * It runs on the `generalist` embedded model (generalist.ts), so its forgetting shows on the other tasks.
 *
 * The reference as a hint: `answer 19: 12 + 7 =`. The generalist's corpus has such hinted lines (always worked correctly),
 * so the frozen base model given the hint is a teacher that knows the answer and writes in the model's own style.
 */
import { Rng } from '../../rng';
import type { ReferenceHint, Task } from '../types';
import { ARITHMETIC_PRETRAIN_SEED, arithmeticReward, createArithmeticTask } from '../arithmetic/index';
import { parseAnswer, parseProblem, problemText, pythonResult, randomProblem, solvedText, splitLine, type Problem } from '../arithmetic/problems';

/** `answer N: a op b =`: the final number of the reference before the problem (` N` is the answer's own token). */
export function hintedPrompt(prompt: string, reference: string): string {
  const answer = parseAnswer(reference)?.answer ?? reference.trim();
  return `answer ${answer}: ${prompt}`;
}

/** Same final integer as the reference (working, if any, is not compared). */
export function sameFinalAnswer(completion: string, reference: string): boolean {
  const a = parseAnswer(completion);
  const b = parseAnswer(reference);
  return !!a && !!b && BigInt(a.answer) === BigInt(b.answer);
}

export const ARITHMETIC_HINT: ReferenceHint = {
  hint: hintedPrompt,
  agrees: (_prompt, completion, reference) => sameFinalAnswer(completion, reference),
};

/** The answer key's line for a problem: the bare correct result (` 19`). */
export function answerKeyCompletion(p: Problem): string {
  return ` ${pythonResult(BigInt(p.a), p.op, BigInt(p.b))}`;
}

/**
 * Hinted worksheet lines for the generalist's corpus: `answer 19: 12 + 7 = 12 + 7 = 19`, always the right operation (the
 * student who is shown the answer copies the operation carefully). `exclude`: problems kept out (held-out text).
 */
export function hintedLines(seed: number, n: number, exclude: ReadonlySet<string>): string[] {
  const rng = Rng.derive(seed, 'answer-key/hinted');
  const out: string[] = [];
  while (out.length < n) {
    const p = randomProblem(rng);
    if (exclude.has(problemText(p))) continue;
    const { prompt, completion } = splitLine(solvedText(p));
    out.push(hintedPrompt(prompt, completion) + completion);
  }
  return out;
}

export function createAnswerKeyTask(): Task & { referenceHint: ReferenceHint } {
  const arithmetic = createArithmeticTask();
  // the answer key covers the train problems, in their order: correct, terse
  const demonstrations = arithmetic.trainPrompts.map((prompt) => ({ prompt, completion: answerKeyCompletion(parseProblem(prompt)!) }));
  const order = Rng.derive(ARITHMETIC_PRETRAIN_SEED, 'answer-key/demos').shuffled(demonstrations);
  return {
    name: 'answer-key',
    description: 'Arithmetic from an answer key: the references are correct bare numbers, but the model writes its working first; reward 1 when the final number is right. Runs on the generalist model, so forgetting shows on the other tasks.',
    trainPrompts: arithmetic.trainPrompts,
    evalPrompts: arithmetic.evalPrompts,
    heldOutText: arithmetic.heldOutText,
    demonstrations: order,
    passThreshold: 1,
    reward: arithmeticReward,
    referenceHint: ARITHMETIC_HINT,
  };
}
