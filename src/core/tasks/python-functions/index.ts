/**
 * The `python-functions` task: complete a small Python function (a `def` header with a one-line docstring) so that
 * its asserts pass, run in Pyodide by the task's verifier. Reward on the graduated scale: 0 on a syntax error or an
 * empty body, 0.3 when it parses but crashes or times out, 0.7 + 0.3 x (asserts passed / asserts) when it runs;
 * a pass is all asserts passing (reward 1). The asserts come from `problemTests` (computed, never stored).
 *
 * Split: the problems of every family are shuffled once; `EVAL_PER_FAMILY` of each family are held out (eval
 * prompts, and with their reference bodies the held-out perplexity text). The pre-training corpus, the training
 * prompts and the demonstrations come from the rest only. The corpus draws a family uniformly, then a problem,
 * then a reference style (the first, plain style more often).
 *
 * RAFT settings (measured with the embedded model, seed 1, 5 cycles, eval pass rate from cycle 0 to 5): the global
 * defaults keep the best of each prompt's K even when it fails, which teaches "runs but wrong" (evalReward 0.53 ->
 * 0.60, pass 14% -> 9%). Keeping only full passes works: `--select threshold --reward-threshold 1 --min-kept 0`
 * (14% -> 18%), with `--prompts-per-cycle 64 --samples-per-prompt 8` (14% -> 22%), and with DART quotas for
 * prompts without a pass `--quota-trials 4` (14% -> 29%). A higher lr (1e-3) overfits the few kept samples.
 */
import { Rng } from '../../rng';
import type { Verifier } from '../../verify/types';
import type { RewardResult, Task, TaskContext } from '../types';
import { allProblems, FAMILY_IDS, parseProblem, problemTests, promptText, referenceCompletions, type Problem } from './problems';

export { allProblems, parseProblem, problemTests, promptText, referenceCompletions, type Problem } from './problems';

export const PYTHON_FUNCTIONS_PRETRAIN_SEED = 2468;
const EVAL_PER_FAMILY = 4;
const TRAIN_PER_FAMILY = 24;
const DEMONSTRATIONS = 1024;
/** Run-time limit of one sample (its module and its asserts); 1 s let a cold worker on a loaded machine time out. */
export const PYTHON_FUNCTIONS_TIMEOUT_MS = 2000;

interface Split {
  /** Held-out problems, family by family in turn (so any prefix covers the families evenly). */
  evalSet: Problem[];
  /** Problems the corpus may use, by family. */
  trainByFamily: Problem[][];
}

let cachedSplit: Split | null = null;

/** The fixed split of all problems (independent of any run's seed). */
export function pythonFunctionsSplit(): Split {
  if (cachedSplit) return cachedSplit;
  const all = allProblems();
  const rng = Rng.derive(PYTHON_FUNCTIONS_PRETRAIN_SEED, 'python-functions/split');
  const evalByFamily: Problem[][] = [];
  const trainByFamily: Problem[][] = [];
  for (const id of FAMILY_IDS) {
    const mine = rng.shuffled(all.filter((p) => p.family === id));
    evalByFamily.push(mine.slice(0, EVAL_PER_FAMILY));
    trainByFamily.push(mine.slice(EVAL_PER_FAMILY));
  }
  const evalSet: Problem[] = [];
  for (let i = 0; i < EVAL_PER_FAMILY; i++) for (const fam of evalByFamily) if (fam[i]) evalSet.push(fam[i]!);
  cachedSplit = { evalSet, trainByFamily };
  return cachedSplit;
}

/** A pre-training document: prompt + a reference completion. */
function document(p: Problem, rng: Rng): { prompt: string; completion: string } {
  const styles = referenceCompletions(p);
  const completion = styles.length === 1 || rng.chance(0.6) ? styles[0]! : styles[1 + rng.int(styles.length - 1)]!;
  return { prompt: promptText(p), completion };
}

function corpusPairs(seed: number, n: number): Array<{ prompt: string; completion: string }> {
  const { trainByFamily } = pythonFunctionsSplit();
  const rng = Rng.derive(seed, 'python-functions/corpus');
  const out: Array<{ prompt: string; completion: string }> = [];
  while (out.length < n) out.push(document(rng.pick(rng.pick(trainByFamily)), rng));
  return out;
}

/** Pre-training corpus: `n` solved problems (prompt + reference body), none of them held out. */
export function pythonFunctionsCorpus(seed: number, n: number): string[] {
  return corpusPairs(seed, n).map((d) => d.prompt + d.completion);
}

/** The verifier job of a completion, or null when the prompt is not a problem of this task. */
export function pythonFunctionsJob(prompt: string, completion: string) {
  const p = parseProblem(prompt);
  if (!p) return null;
  return { lang: 'python' as const, code: prompt + completion, tests: problemTests(p), timeoutMs: PYTHON_FUNCTIONS_TIMEOUT_MS };
}

const notAProblem: RewardResult = { reward: 0, breakdown: { error: 'prompt is not a python-functions problem' } };

/** Held-out reference solutions (prompt + completion) of the eval problems: the perplexity texts. */
export function pythonFunctionsHeldOutText(): string[] {
  return pythonFunctionsSplit().evalSet.flatMap((p) => referenceCompletions(p).map((c) => promptText(p) + c));
}

export function createPythonFunctionsTask(ctx: TaskContext = {}): Task {
  const verifier: Verifier | undefined = ctx.verifier;
  if (!verifier) throw new Error('python-functions: this task runs generated Python and needs a verifier (TaskContext.verifier)');
  const { evalSet, trainByFamily } = pythonFunctionsSplit();
  const pick = Rng.derive(PYTHON_FUNCTIONS_PRETRAIN_SEED, 'python-functions/train');
  const trainPrompts = pick.shuffled(trainByFamily.flatMap((fam) => pick.shuffled(fam).slice(0, TRAIN_PER_FAMILY))).map(promptText);
  const heldOutText = pythonFunctionsHeldOutText();
  const rewardMany = async (items: ReadonlyArray<{ prompt: string; completion: string }>): Promise<RewardResult[]> => {
    const jobs = items.map((it) => pythonFunctionsJob(it.prompt, it.completion));
    const real = jobs.filter((j) => j !== null);
    const results = real.length ? await verifier.verifyMany(real) : [];
    let at = 0;
    return jobs.map((j) => (j === null ? notAProblem : results[at++]!));
  };
  return {
    name: 'python-functions',
    description: 'Complete a small Python function so that its asserts pass (run in Pyodide); 0.7 + 0.3 x asserts passed when it runs.',
    trainPrompts,
    evalPrompts: evalSet.map(promptText),
    heldOutText,
    demonstrations: corpusPairs(PYTHON_FUNCTIONS_PRETRAIN_SEED + 1, DEMONSTRATIONS),
    passThreshold: 1,
    reward: async (prompt, completion) => (await rewardMany([{ prompt, completion }]))[0]!,
    rewardMany,
  };
}
