/** Reinforce-Rej's declaration (TF-free; ../declaration.ts): its clip range. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const reinforceRejDeclaration: MethodDeclaration = {
  name: 'reinforce-rej',
  summary: 'REINFORCE with each prompt\'s mean reward as baseline, prompts whose samples all score the same dropped, a clipped objective',
  settings: settingsOf(['epsilon', 'epsilonHigh'], QUOTA_SETTINGS),
  label: (c) => `reinforce-rej (eps ${c.epsilon}${c.epsilonHigh > 0 ? `/${c.epsilonHigh}` : ''})`,
  legend: { head: () => 'reinforce-rej', keys: [] },
  tasks: ['language'],
};
