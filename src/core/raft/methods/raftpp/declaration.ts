/** RAFT++'s declaration (TF-free; ../declaration.ts): RAFT's selection settings and the clip range. */
import { QUOTA_SETTINGS, SELECTION_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const raftppDeclaration: MethodDeclaration = {
  name: 'raftpp',
  summary: 'RAFT++: RAFT\'s kept samples trained with the importance ratio to the sampling policy and a PPO-style clip',
  settings: settingsOf(SELECTION_SETTINGS, ['epsilon', 'epsilonHigh'], QUOTA_SETTINGS),
  label: (c) => `raftpp (${c.select}, eps ${c.epsilon}${c.epsilonHigh > 0 ? `/${c.epsilonHigh}` : ''})`,
  legend: { head: (c) => `raftpp (${c.select})`, keys: ['select'] },
  tasks: ['language'],
};
