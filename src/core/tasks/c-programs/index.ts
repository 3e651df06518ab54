/**
 * The `c-programs` task: a C comment says what to print (sums, factorials, counting loops, squares, multiples,
 * even/odd numbers, powers of two, star lines, triangles and rectangles, products and sums), the prompt goes on
 * with `#include <stdio.h>` and `int main(void) {`, and the model writes the body and the closing brace.
 * The program (prompt + completion) is scored by the C verifier on the graduated scale (compile error 0,
 * warnings 0.3, clean 0.5, runs 0.7, correct output 1.0) against the expected output, which is computed from the
 * problem (problems.ts), never stored. A pass is correct output (`passThreshold: 1`).
 *
 * Held out: a few problems of every family (eval prompts, and their reference solutions in every style as the
 * perplexity text). The pre-training corpus, the training prompts and the demonstrations never contain them.
 *
 * RAFT on the embedded model (2 layers x 64, base pass ~16-19% at temperature 1): verification (~0.2-0.5 s per
 * distinct program) dominates a cycle, evaluation included. Keeping only correct samples (`--select threshold
 * --reward-threshold 1`) at a small rate with more steps (`--lr 2e-4 --epochs-per-cycle 4 --batch-size 32`) and
 * 64 prompts x 8 samples worked best (seed 1, measured on 32 eval prompts x 4: pass .164 -> .305 in 5 cycles; per-prompt
 * selection keeps wrong programs and lr 1e-3 lowers the pass rate, .164 -> .055 by cycle 3). Those evals had a
 * standard error of ~0.035, and seeds differ by ~5 points, so the default eval is now every held-out problem x 8
 * samples (error ~0.016; the task's defaults are in config/defaults.ts TASK_DEFAULTS, the figures in docs/tasks.md).
 */
import { Rng } from '../../rng';
import type { Verifier, VerifyJob } from '../../verify/types';
import type { RewardResult, Task } from '../types';
import {
  allProblems,
  expectedStdout,
  FAMILY_IDS,
  parsePrompt,
  problemKey,
  promptText,
  randomProblem,
  referenceCompletion,
  styleCount,
  type Problem,
} from './problems';

export const C_PROGRAMS_PRETRAIN_SEED = 2718;
const TRAIN_PROMPTS = 512;
/** Held-out problems per family (fewer for small families: at most a third of the family). */
const EVAL_PER_FAMILY = 5;
/** Run-time limit of one program: the tasks' programs finish in microseconds; a loop that never ends costs this. */
export const C_PROGRAMS_TIMEOUT_MS = 1000;
/** Share of corpus documents whose body ends with `return 0;` (the rest rely on C99's implicit return of main). */
const RETURN_SHARE = 0.3;
/** Distinct programs whose reward is remembered (oldest forgotten first). */
const CACHE_SIZE = 4096;

/** Held-out problems, interleaved family by family so that any prefix (config `evalPrompts`) is balanced. */
export function heldOutProblems(): Problem[] {
  const rng = Rng.derive(C_PROGRAMS_PRETRAIN_SEED, 'c-programs/eval');
  const perFamily = FAMILY_IDS.map((id) => {
    const all = allProblems(id);
    return rng.shuffled(all).slice(0, Math.min(EVAL_PER_FAMILY, Math.floor(all.length / 3)));
  });
  const out: Problem[] = [];
  for (let i = 0; i < EVAL_PER_FAMILY; i++) for (const ps of perFamily) if (i < ps.length) out.push(ps[i]!);
  return out;
}

function heldOutKeys(): Set<string> {
  return new Set(heldOutProblems().map(problemKey));
}

/** A corpus document: prompt + a reference completion in a random style. */
function document(p: Problem, rng: Rng): { prompt: string; completion: string } {
  return { prompt: promptText(p), completion: referenceCompletion(p, rng.int(styleCount(p)), rng.chance(RETURN_SHARE)) };
}

/** Pre-training documents (prompt + reference solution), none of them a held-out problem. */
export function cProgramsCorpus(seed: number, n: number): string[] {
  const exclude = heldOutKeys();
  const rng = Rng.derive(seed, 'c-programs/corpus');
  const out: string[] = [];
  while (out.length < n) {
    const p = randomProblem(rng);
    if (exclude.has(problemKey(p))) continue;
    const d = document(p, rng);
    out.push(d.prompt + d.completion);
  }
  return out;
}

/** Held-out reference text: every solution style of every held-out problem, with and without `return 0;`. */
export function cProgramsHeldOutText(): string[] {
  const problems = heldOutProblems();
  const out: string[] = [];
  const maxStyles = Math.max(...problems.map(styleCount));
  for (let s = 0; s < maxStyles; s++) {
    for (const withReturn of [false, true]) {
      for (const p of problems) if (s < styleCount(p)) out.push(promptText(p) + referenceCompletion(p, s, withReturn));
    }
  }
  return out;
}

/** Distinct non-held-out problems for RAFT's training prompts. */
function trainProblems(): Problem[] {
  const exclude = heldOutKeys();
  const rng = Rng.derive(C_PROGRAMS_PRETRAIN_SEED, 'c-programs/train');
  const out = new Map<string, Problem>();
  for (let tries = 0; out.size < TRAIN_PROMPTS; tries++) {
    if (tries > TRAIN_PROMPTS * 200) throw new Error('c-programs: not enough distinct problems');
    const p = randomProblem(rng);
    if (!exclude.has(problemKey(p))) out.set(problemKey(p), p);
  }
  return [...out.values()];
}

/** The verifier job of a completion: the whole program, its expected output and time limit; null if the prompt is foreign. */
export function cProgramsJob(prompt: string, completion: string): VerifyJob | null {
  const p = parsePrompt(prompt);
  if (!p) return null;
  return { lang: 'c', code: prompt + completion, expectedStdout: expectedStdout(p), timeoutMs: C_PROGRAMS_TIMEOUT_MS };
}

const FOREIGN: RewardResult = { reward: 0, breakdown: { error: 'prompt is not a c-programs problem' } };

export function createCProgramsTask(verifier: Verifier | undefined): Task {
  if (!verifier) throw new Error('task "c-programs" needs a C verifier (TaskContext.verifier)');
  const v = verifier;
  const evalSet = heldOutProblems();
  const demos = cProgramsCorpus(C_PROGRAMS_PRETRAIN_SEED + 1, 1024).map((doc) => {
    const at = doc.indexOf('{') + 1;
    return { prompt: doc.slice(0, at), completion: doc.slice(at) };
  });
  // Samples of a small model repeat themselves (K samples of a prompt, the same prompt in later cycles): each
  // distinct program is compiled and run once. The result is a pure function of the program (the breakdown's
  // compileMs/runMs are those of its first run, and `cached: true` marks a repeat). A wall-clock timeout is not: it
  // depends on how busy the machine was, so it is never kept (the next sample with that program runs it again), and
  // the cache can stay out of checkpoints: a resumed run scores the same programs the same way.
  const cache = new Map<string, Promise<RewardResult>>();
  const verifyOnce = (job: VerifyJob): Promise<RewardResult> => {
    const known = cache.get(job.code);
    if (known) return known.then((r) => ({ ...r, breakdown: { ...r.breakdown, cached: true } }));
    const fresh = v.verify(job);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(job.code, fresh);
    fresh.then(
      (r) => {
        if (r.breakdown?.stage === 'timeout' && cache.get(job.code) === fresh) cache.delete(job.code);
      },
      () => cache.delete(job.code),
    );
    return fresh;
  };
  const rewardMany = (items: ReadonlyArray<{ prompt: string; completion: string }>): Promise<RewardResult[]> =>
    Promise.all(items.map((it) => {
      const job = cProgramsJob(it.prompt, it.completion);
      return job === null ? FOREIGN : verifyOnce(job);
    }));
  return {
    name: 'c-programs',
    description: 'Write the body of a small C main that prints what the comment asks; graduated compile/run/output reward.',
    trainPrompts: trainProblems().map(promptText),
    evalPrompts: evalSet.map(promptText),
    heldOutText: cProgramsHeldOutText(),
    demonstrations: demos,
    passThreshold: 1,
    reward: async (prompt, completion) => (await rewardMany([{ prompt, completion }]))[0]!,
    rewardMany,
  };
}
