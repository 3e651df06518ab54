/** GRPO's declaration (TF-free; ../declaration.ts): its KL beta, clip range and reward scaling. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const grpoDeclaration: MethodDeclaration = {
  name: 'grpo',
  summary: 'group relative policy optimization: each sample\'s advantage over its prompt\'s mean reward, a clipped objective and a KL penalty',
  settings: settingsOf(['grpoBeta', 'epsilon', 'scaleRewards'], QUOTA_SETTINGS),
  label: (c) => `grpo (beta ${c.grpoBeta}, eps ${c.epsilon}, ${c.scaleRewards})`,
  legend: { head: (c) => `grpo beta ${c.grpoBeta}`, keys: ['grpoBeta'] },
  tasks: ['language'],
};
