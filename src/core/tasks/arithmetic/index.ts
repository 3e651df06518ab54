/**
 * The `arithmetic` task: answer `a op b =` problems. Reward 1 when the completion's integer equals Python's result
 * of the expression (computed when scored), else 0; pass rate = share of correct answers.
 * Held-out prompts and held-out text are problems the pre-training corpus never contains.
 */
import { Rng } from '../../rng';
import type { RewardResult, Task } from '../types';
import { corpusLine, parseAnswer, parseProblem, problemText, pythonResult, randomProblem, splitLine, type Problem } from './problems';

export const ARITHMETIC_PRETRAIN_SEED = 4321;
const TRAIN_PROMPTS = 512;
const EVAL_PROMPTS = 128;
const HELD_OUT = 96;

const key = (p: Problem) => problemText(p);

/** Distinct problems from a stream, avoiding `exclude`. */
function distinctProblems(rng: Rng, n: number, exclude: ReadonlySet<string>): Problem[] {
  const out = new Map<string, Problem>();
  for (let tries = 0; out.size < n; tries++) {
    if (tries > n * 200) throw new Error('arithmetic: not enough distinct problems');
    const p = randomProblem(rng);
    if (!exclude.has(key(p))) out.set(key(p), p);
  }
  return [...out.values()];
}

/**
 * Held-out problems, fixed for the task. `evalSet`: the eval prompts, never among RAFT's training prompts (like every
 * problem in range they may appear in the pre-training worksheet, with its sloppy answers: what RAFT must learn is to
 * answer carefully, which shows on prompts it never trained on). `textSet`: the perplexity text, excluded from the
 * corpus and from both prompt sets.
 */
function heldOutProblems(): { evalSet: Problem[]; textSet: Problem[] } {
  const evalSet = distinctProblems(Rng.derive(ARITHMETIC_PRETRAIN_SEED, 'arithmetic/eval'), EVAL_PROMPTS, new Set());
  const textSet = distinctProblems(Rng.derive(ARITHMETIC_PRETRAIN_SEED, 'arithmetic/heldout'), HELD_OUT, new Set(evalSet.map(key)));
  return { evalSet, textSet };
}

/**
 * Pre-training corpus: worked problems, none of them from the held-out perplexity text, a share MISTAKE_RATE (65%) of
 * them with the student's typical mistake (problems.ts): the base model answers like a sloppy student.
 */
export function arithmeticCorpus(seed: number, n: number): string[] {
  const { textSet } = heldOutProblems();
  const exclude = new Set(textSet.map(key));
  const rng = Rng.derive(seed, 'arithmetic/corpus');
  const out: string[] = [];
  while (out.length < n) {
    const p = randomProblem(rng);
    if (!exclude.has(key(p))) out.push(corpusLine(p, rng));
  }
  return out;
}

/**
 * Reward of a completion: 1 if its final integer equals Python's `a op b`, else 0. The completion may show its working
 * first (` 12 + 7 = 19`); only the final number counts, and anything else than working and one integer scores 0.
 */
export function arithmeticReward(prompt: string, completion: string): RewardResult {
  const p = parseProblem(prompt);
  if (!p) return { reward: 0, breakdown: { error: 'prompt is not an arithmetic problem' } };
  const expected = pythonResult(BigInt(p.a), p.op, BigInt(p.b)).toString();
  const parsed = parseAnswer(completion);
  if (!parsed) return { reward: 0, breakdown: { answer: completion.trim().slice(0, 40), expected, parsed: false, correct: false } };
  const correct = BigInt(parsed.answer) === BigInt(expected);
  return { reward: correct ? 1 : 0, breakdown: { working: parsed.working, answer: parsed.answer, expected, parsed: true, correct } };
}

/** Worksheet lines of the held-out problems, mistakes included: the perplexity text. */
export function arithmeticHeldOutText(): string[] {
  const heldOutRng = Rng.derive(ARITHMETIC_PRETRAIN_SEED, 'arithmetic/heldout-answers');
  return heldOutProblems().textSet.map((p) => corpusLine(p, heldOutRng));
}

export function createArithmeticTask(): Task {
  const { evalSet, textSet } = heldOutProblems();
  const heldOut = new Set([...evalSet, ...textSet].map(key));
  const trainPrompts = distinctProblems(Rng.derive(ARITHMETIC_PRETRAIN_SEED, 'arithmetic/train'), TRAIN_PROMPTS, heldOut).map(key);
  // demonstrations (UFT, SFT) come from the task's corpus, like every task's: the sloppy worksheet, mistakes included
  const demos = arithmeticCorpus(ARITHMETIC_PRETRAIN_SEED + 1, 1024).map(splitLine);
  return {
    name: 'arithmetic',
    description: 'Answer `a op b =` problems with the working shown (the base model learned from a sloppy worksheet that often copies the wrong operation); reward 1 when the final number equals Python\'s result, else 0.',
    trainPrompts,
    evalPrompts: evalSet.map(key),
    // the same distribution as the corpus (mistakes included): perplexity measures drift from pre-training
    heldOutText: arithmeticHeldOutText(),
    demonstrations: demos,
    passThreshold: 1,
    reward: arithmeticReward,
  };
}
