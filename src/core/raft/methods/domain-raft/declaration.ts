/**
 * Domain-RAFT's declaration (TF-free; ../declaration.ts): its switchable parts and distillation settings, a task with
 * a reference hint (answer-key), and its ablations (each part off), which `compare --ablations` runs and labels.
 */
import type { RunConfig } from '../../../config/schema';
import type { Ablation, MethodDeclaration } from '../declaration';

/** Domain-RAFT with one part off (or changed), for the ablation rows. */
export const DOMAIN_RAFT_ABLATIONS: readonly Ablation[] = [
  { name: 'no rewrite', change: { drRewrite: false } },
  { name: 'no filter', change: { drFilter: false } },
  { name: 'no distill', change: { drDistill: false } },
  { name: 'all tokens (no top-K)', change: { drTopK: 0 } },
  { name: 'fixed balance', change: { drBalance: 'fixed' } },
];

/** The ablations a configuration is (every change of theirs holds), by name. */
function ablationsOf(config: RunConfig): string[] {
  return DOMAIN_RAFT_ABLATIONS.filter((a) => Object.entries(a.change).every(([k, v]) => config[k as keyof RunConfig] === v)).map((a) => a.name);
}

export const domainRaftDeclaration: MethodDeclaration = {
  name: 'domain-raft',
  summary: 'domain references rewritten by the base model, filtered, and on-policy top-K distillation from the hinted base model, EMA-balanced',
  settings: ['drRewrite', 'drFilter', 'drDistill', 'drTopK', 'drTau', 'drBalance', 'drEmaDecay'],
  label: (c) => {
    const off = ablationsOf(c);
    return off.length ? `domain-raft (${off.join(', ')})` : `domain-raft (top ${c.drTopK || 'all'}, tau ${c.drTau}, ${c.drBalance})`;
  },
  legend: { head: () => 'domain-raft', keys: [] },
  tasks: ['language'],
  needs: { referenceHint: true, why: 'a task that can show its reference answer as a hint (answer-key)' },
  ablations: DOMAIN_RAFT_ABLATIONS,
};
