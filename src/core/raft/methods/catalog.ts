/**
 * The methods' declarations, one line per method, TF-free: the page (settings panel, Compare runs), the CLI's help,
 * `compare` and the config checks read them here; the engine's registry of update steps is index.ts (TF.js).
 *
 * Adding a method: a folder `methods/<name>/` with `declaration.ts` (TF-free: settings, labels, task kinds,
 * ablations) and `index.ts` (its update step, methods/types.ts), one line here, one line in index.ts, and its name
 * in the schema's METHODS (the Record types below refuse a method without its lines).
 */
import { METHODS, type ConfigKey, type Method as MethodName, type RunConfig } from '../../config/schema';
import type { MethodDeclaration, TaskKind } from './declaration';
import { bestOfKDeclaration } from './best-of-k/declaration';
import { domainRaftDeclaration } from './domain-raft/declaration';
import { grpoDeclaration } from './grpo/declaration';
import { onlineDpoDeclaration } from './online-dpo/declaration';
import { ppoDeclaration } from './ppo/declaration';
import { raftDeclaration } from './raft/declaration';
import { raftppDeclaration } from './raftpp/declaration';
import { reinforceRejDeclaration } from './reinforce-rej/declaration';
import { rlooDeclaration } from './rloo/declaration';
import { sftDeclaration } from './sft/declaration';
import { uftDeclaration } from './uft/declaration';

export type { Ablation, MethodDeclaration, TaskKind } from './declaration';

export const METHOD_CATALOG: Readonly<Record<MethodName, MethodDeclaration>> = {
  raft: raftDeclaration,
  uft: uftDeclaration,
  sft: sftDeclaration,
  'best-of-k': bestOfKDeclaration,
  ppo: ppoDeclaration,
  grpo: grpoDeclaration,
  rloo: rlooDeclaration,
  'online-dpo': onlineDpoDeclaration,
  'domain-raft': domainRaftDeclaration,
  raftpp: raftppDeclaration,
  'reinforce-rej': reinforceRejDeclaration,
};

/** The declarations in the schema's METHODS order. */
export const METHOD_DECLARATIONS: readonly MethodDeclaration[] = METHODS.map((m) => METHOD_CATALOG[m]);

/** Every setting some method declares as its own (the rest of the schema is common to all methods). */
export const METHOD_SETTINGS: ReadonlySet<ConfigKey> = new Set(METHOD_DECLARATIONS.flatMap((d) => d.settings));

/** Whether a setting is shown for a method: a common one, or one the method declares. */
export function settingApplies(key: ConfigKey, method: MethodName): boolean {
  return !METHOD_SETTINGS.has(key) || METHOD_CATALOG[method].settings.includes(key);
}

/** The methods that declare a setting (empty for a common one). */
export function methodsOfSetting(key: ConfigKey): MethodName[] {
  return METHOD_DECLARATIONS.filter((d) => d.settings.includes(key)).map((d) => d.name);
}

/** A run's label in tables ("uft (beta 0.01, all)"). */
export function methodLabel(config: RunConfig): string {
  return METHOD_CATALOG[config.method].label(config);
}

/** Whether a method runs on a kind of task. */
export function methodRunsOn(method: MethodName, kind: TaskKind): boolean {
  return METHOD_CATALOG[method].tasks.includes(kind);
}
