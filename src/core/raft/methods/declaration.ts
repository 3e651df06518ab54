/**
 * What a method declares about itself, TF-free so the page (the settings panel, Compare runs), the CLI's help and
 * `compare` read it without loading TF.js: its own settings (RunConfig keys; the panel shows them only when the
 * method is chosen, the CLI help groups them under it), its labels, the task kinds it runs on and its ablations.
 * Each method's declaration is `methods/<name>/declaration.ts`; catalog.ts lists them.
 */
import type { ConfigKey, Method as MethodName, RunConfig } from '../../config/schema';

/** Language tasks (a language model writes text) or image tasks (a denoiser draws pictures). */
export type TaskKind = 'language' | 'image';

/** The method with some of its settings changed (one ablation row of `compare --ablations`). */
export interface Ablation {
  name: string;
  change: Partial<RunConfig>;
}

export interface MethodDeclaration {
  name: MethodName;
  /** One line: what the method trains on and how (CLI help). */
  summary: string;
  /** The settings only this method (or a few methods) reads, in the order shown; the rest of the schema is common. */
  settings: readonly ConfigKey[];
  /** The label in tables (`compare`'s table and file), e.g. "uft (beta 0.01, all)". */
  label(config: RunConfig): string;
  /** The head of a chart legend (Compare runs), e.g. "uft beta 0.01", and the settings it names (left out of the rest). */
  legend: { head(config: RunConfig): string; keys: readonly ConfigKey[] };
  /** The kinds of task it runs on. */
  tasks: readonly TaskKind[];
  /** Why a task of a supported kind cannot run it (e.g. no reference hint), or absent when every one can. */
  needs?: { referenceHint: true; why: string };
  /** The method with each of its parts off, compared by `compare --ablations`. */
  ablations?: readonly Ablation[];
}

/** Settings of the methods that rank and keep samples (RAFT's selection; the engine's `select`). */
export const SELECTION_SETTINGS: readonly ConfigKey[] = ['select', 'softBeta', 'keepPerPrompt', 'keepTopPercent', 'rewardThreshold', 'minKept'];

/** Settings of every method that samples K per prompt (DART-style quotas: extra rounds below the reward threshold). */
export const QUOTA_SETTINGS: readonly ConfigKey[] = ['quotaTrials', 'rewardThreshold'];

/** The keys of several settings lists, each once, in order of first appearance (lists that share a key). */
export function settingsOf(...lists: ReadonlyArray<readonly ConfigKey[]>): ConfigKey[] {
  return [...new Set(lists.flat())];
}
