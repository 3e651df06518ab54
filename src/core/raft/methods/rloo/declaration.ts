/** RLOO's declaration (TF-free; ../declaration.ts): its KL beta and its passes over a cycle's samples. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const rlooDeclaration: MethodDeclaration = {
  name: 'rloo',
  summary: 'REINFORCE leave-one-out: each sample\'s reward (less beta times its KL) over the mean of its prompt\'s other samples',
  settings: settingsOf(['rlooBeta', 'rlooEpochs'], QUOTA_SETTINGS),
  label: (c) => `rloo (beta ${c.rlooBeta})`,
  legend: { head: (c) => `rloo beta ${c.rlooBeta}`, keys: ['rlooBeta'] },
  tasks: ['language'],
};
