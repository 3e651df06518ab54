/**
 * A custom task (task document) as a Task for the engine: its train and eval prompts with their rows, demonstrations,
 * held-out text, stop strings, and a batched reward that combines the document's weighted terms. A term that fails
 * for a sample (the Python function raised or timed out, a row lacks its tests, the classifier has no such label)
 * makes that sample a reward error, with the term's message and traceback: the engine counts it and goes on.
 */
import { Rng } from '../../rng';
import type { PythonRewardOutcome, Verifier, VerifyJob } from '../../verify/types';
import type { ClassifierLoader, PromptRow, RewardItem, RewardResult, Task, TaskContext, TextClassifier } from '../types';
import { builtinScorer } from './builtins';
import { TaskDocumentError, type RewardTerm, type TaskDocument, type TaskRow } from './document';

/** Seed of the held-out split of a task without evalPrompts: fixed, so every run of a task holds out the same rows. */
const SPLIT_SEED = 20260;

type TermValue = { reward: number; breakdown?: Record<string, string | number | boolean | null> } | { error: string };

/** The train and eval rows of a task: its evalPrompts, else a fixed seeded `evalFraction` of its rows. */
export function splitRows(doc: TaskDocument): { train: TaskRow[]; eval: TaskRow[] } {
  if (doc.evalPrompts) return { train: doc.prompts, eval: doc.evalPrompts };
  const order = Rng.derive(SPLIT_SEED, 'custom-task/split').shuffled(doc.prompts.map((_, i) => i));
  const nEval = Math.min(doc.prompts.length - 1, Math.max(1, Math.round(doc.prompts.length * doc.evalFraction)));
  const held = new Set(order.slice(0, nEval));
  return { train: doc.prompts.filter((_, i) => !held.has(i)), eval: doc.prompts.filter((_, i) => held.has(i)) };
}

/** A row without its prompt: what the reward gets besides prompt and completion. */
function fieldsOf(row: PromptRow | undefined): Record<string, unknown> {
  const { prompt: _p, ...rest } = (row ?? {}) as Record<string, unknown>;
  return rest;
}

function termKey(t: RewardTerm): string {
  return t.kind === 'builtin' ? t.name : t.kind;
}

function describeOutcome(o: PythonRewardOutcome): string {
  return o.traceback ? `${o.error}\n${o.traceback}` : o.error ?? 'unknown error';
}

async function pythonTerm(t: Extract<RewardTerm, { kind: 'python' }>, items: readonly RewardItem[], verifier: Verifier): Promise<TermValue[]> {
  const outcome = await verifier.pythonReward!({
    code: t.code, mode: 'score', prompts: items.map((i) => i.prompt), completions: items.map((i) => i.completion), rows: items.map((i) => fieldsOf(i.row)), timeoutMs: t.timeLimitMs,
  });
  if (outcome.error !== null) return items.map(() => ({ error: `Python reward: ${describeOutcome(outcome)}` }));
  return outcome.items.map((it) => ('error' in it ? { error: `Python reward: ${it.error}${it.traceback ? `\n${it.traceback}` : ''}` } : it));
}

function codeJob(t: Extract<RewardTerm, { kind: 'code' }>, item: RewardItem): VerifyJob | string {
  const row = fieldsOf(item.row);
  const code = t.program === 'completion' ? item.completion : item.prompt + item.completion;
  if (t.lang === 'python') {
    const tests = row.tests;
    if (!Array.isArray(tests) || tests.length === 0 || !tests.every((x) => typeof x === 'string')) return 'the row has no "tests" (a list of Python assert statements)';
    return { lang: 'python', code, tests: tests as string[], timeoutMs: t.timeLimitMs };
  }
  if (typeof row.expected !== 'string') return 'the row has no "expected" output (a string; "stdin" is optional)';
  return { lang: 'c', code, stdin: typeof row.stdin === 'string' ? row.stdin : '', expectedStdout: row.expected, timeoutMs: t.timeLimitMs };
}

async function codeTerm(t: Extract<RewardTerm, { kind: 'code' }>, items: readonly RewardItem[], verifier: Verifier): Promise<TermValue[]> {
  const jobs = items.map((it) => codeJob(t, it));
  const real = jobs.filter((j): j is VerifyJob => typeof j !== 'string');
  const results = real.length ? await verifier.verifyMany(real) : [];
  let at = 0;
  return jobs.map((j) => (typeof j === 'string' ? { error: `code reward: ${j}` } : results[at++]!));
}

async function classifierTerm(t: Extract<RewardTerm, { kind: 'classifier' }>, items: readonly RewardItem[], model: TextClassifier): Promise<TermValue[]> {
  const texts = items.map((i) => (t.input === 'completion' ? i.completion : i.prompt + i.completion));
  const scores = await model.classify(texts);
  return scores.map((s) => {
    const p = s[t.label];
    return p === undefined ? { error: `classifier ${t.model}: no label ${JSON.stringify(t.label)} (its labels: ${Object.keys(s).join(', ')})` } : { reward: p, breakdown: { label: t.label } };
  });
}

/** The held-out text a custom task measures perplexity on: its own, else its demonstrations, else `fallback`. */
export function customHeldOutText(doc: TaskDocument, fallback: () => string[]): string[] {
  if (doc.heldOutText.length) return doc.heldOutText;
  if (doc.demonstrations.length) return doc.demonstrations.map((d) => d.prompt + d.completion);
  return fallback();
}

export interface CustomTaskOptions extends TaskContext {
  /** The embedded model's held-out corpus, used for perplexity when the task has no text of its own. */
  heldOutText: () => string[];
}

/** The Task of a task document. Code and Python terms need `verifier`, classifier terms `classifier`. */
export function createCustomTask(doc: TaskDocument, opts: CustomTaskOptions): Task {
  const { train, eval: evalRows } = splitRows(doc);
  const terms = doc.reward.terms;
  if (terms.some((t) => t.kind === 'python') && !opts.verifier?.pythonReward) throw new Error(`task "${doc.name}": its Python reward needs the Python verifier (TaskContext.verifier)`);
  if (terms.some((t) => t.kind === 'code') && !opts.verifier) throw new Error(`task "${doc.name}": its code reward needs the verifiers (TaskContext.verifier)`);
  if (terms.some((t) => t.kind === 'classifier') && !opts.classifier) throw new Error(`task "${doc.name}": its learned reward needs a text-classification runtime (TaskContext.classifier)`);
  const classifiers = new Map<string, Promise<TextClassifier>>();
  const loadClassifier = (t: Extract<RewardTerm, { kind: 'classifier' }>) => {
    const key = `${t.model}@${t.revision}`;
    if (!classifiers.has(key)) classifiers.set(key, (opts.classifier as ClassifierLoader)(t.model, t.revision));
    return classifiers.get(key)!;
  };
  const totalWeight = terms.reduce((a, t) => a + t.weight, 0);
  const single = terms.length === 1;

  const valuesOf = async (t: RewardTerm, items: readonly RewardItem[]): Promise<TermValue[]> => {
    try {
      switch (t.kind) {
        case 'python':
          return await pythonTerm(t, items, opts.verifier!);
        case 'code':
          return await codeTerm(t, items, opts.verifier!);
        case 'classifier':
          return await classifierTerm(t, items, await loadClassifier(t));
        case 'builtin': {
          const score = builtinScorer(t);
          return items.map((i) => ({ reward: score(i.completion) }));
        }
      }
    } catch (e) {
      const message = `${termKey(t)} reward: ${e instanceof Error ? e.message : String(e)}`;
      return items.map(() => ({ error: message }));
    }
  };

  const rewardMany = async (items: ReadonlyArray<RewardItem>): Promise<RewardResult[]> => {
    const perTerm = await Promise.all(terms.map((t) => valuesOf(t, items)));
    return items.map((_, i) => {
      const breakdown: Record<string, string | number | boolean | null> = {};
      let sum = 0;
      for (let j = 0; j < terms.length; j++) {
        const v = perTerm[j]![i];
        if (!v) return { reward: 0, error: `${termKey(terms[j]!)} reward gave no result for this sample` };
        if ('error' in v) return { reward: 0, error: v.error };
        const key = termKey(terms[j]!);
        if (!single) breakdown[key] = v.reward;
        for (const [k, x] of Object.entries(v.breakdown ?? {})) breakdown[single ? k : `${key}.${k}`] = x;
        sum += terms[j]!.weight * v.reward;
      }
      return { reward: sum / totalWeight, breakdown };
    });
  };

  return {
    name: 'custom',
    description: doc.description ? `${doc.name}: ${doc.description}` : doc.name,
    trainPrompts: train.map((r) => r.prompt),
    evalPrompts: evalRows.map((r) => r.prompt),
    trainRows: train,
    evalRows,
    heldOutText: customHeldOutText(doc, opts.heldOutText),
    ...(doc.demonstrations.length ? { demonstrations: doc.demonstrations } : {}),
    ...(doc.passThreshold !== null ? { passThreshold: doc.passThreshold } : {}),
    stop: doc.generation.stop,
    reward: async (prompt, completion, row) => (await rewardMany([{ prompt, completion, row }]))[0]!,
    rewardMany,
  };
}

/**
 * Check a task's rewards before a run (or "Try the reward"): each Python term compiles, passes the sandbox's policy
 * and defines reward() with TRL's signature (nothing runs), and each classifier has the task's label. Throws
 * TaskDocumentError with the first problem.
 */
export async function checkCustomTask(doc: TaskDocument, ctx: TaskContext): Promise<void> {
  for (const [i, t] of doc.reward.terms.entries()) {
    const where = doc.reward.terms.length > 1 ? `reward term ${i + 1} (${termKey(t)})` : `the ${termKey(t)} reward`;
    if (t.kind === 'python') {
      if (!ctx.verifier?.pythonReward) throw new TaskDocumentError(`${where} needs the Python verifier`);
      const o = await ctx.verifier.pythonReward({ code: t.code, mode: 'check', prompts: [], completions: [], rows: [], timeoutMs: 30_000 });
      if (o.error !== null) throw new TaskDocumentError(`${where}: ${o.error}`);
    } else if (t.kind === 'classifier') {
      if (!ctx.classifier) throw new TaskDocumentError(`${where} needs a text-classification runtime`);
      const model = await ctx.classifier(t.model, t.revision);
      if (!model.labels.includes(t.label)) throw new TaskDocumentError(`${where}: ${t.model} has no label ${JSON.stringify(t.label)} (its labels: ${model.labels.join(', ')})`);
    }
  }
}
