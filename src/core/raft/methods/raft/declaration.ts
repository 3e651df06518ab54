/** RAFT's declaration (TF-free; ../declaration.ts): selection settings, labels "raft (per-prompt)", every task kind. */
import { QUOTA_SETTINGS, SELECTION_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const raftDeclaration: MethodDeclaration = {
  name: 'raft',
  summary: 'reward-ranked fine-tuning: keep the best of K samples per prompt (or overall, or above a threshold) and fine-tune on them',
  settings: settingsOf(SELECTION_SETTINGS, QUOTA_SETTINGS),
  label: (c) => `raft (${c.select})`,
  legend: { head: (c) => `raft (${c.select})`, keys: ['select'] },
  tasks: ['language', 'image'],
};
