/** GRPO's declaration (TF-free; ../declaration.ts): its KL beta, clip range, reward scaling, loss type and filtering. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const grpoDeclaration: MethodDeclaration = {
  name: 'grpo',
  summary: 'group relative policy optimization: each sample\'s advantage over its prompt\'s mean reward, a clipped objective and a KL penalty',
  settings: settingsOf(['grpoBeta', 'epsilon', 'epsilonHigh', 'scaleRewards', 'lossType', 'maskTruncatedCompletions', 'filterGroups', 'filterGroupsMaxDraws'], QUOTA_SETTINGS),
  label: (c) => `grpo (beta ${c.grpoBeta}, eps ${c.epsilon}${c.epsilonHigh > 0 ? `/${c.epsilonHigh}` : ''}, ${c.scaleRewards}${c.lossType !== 'grpo' ? `, ${c.lossType}` : ''}${c.maskTruncatedCompletions ? ', mask trunc' : ''}${c.filterGroups ? ', filter' : ''})`,
  legend: { head: (c) => `grpo beta ${c.grpoBeta}`, keys: ['grpoBeta'] },
  tasks: ['language'],
};
