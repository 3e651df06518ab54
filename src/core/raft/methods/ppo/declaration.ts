/** PPO's declaration (TF-free; ../declaration.ts): its epochs, GAE, clip ranges, value loss and KL controller. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const ppoDeclaration: MethodDeclaration = {
  name: 'ppo',
  summary: 'proximal policy optimization with a value head (GAE advantages) and a KL penalty to the base model, adaptive or fixed',
  settings: settingsOf(['ppoEpochs', 'gamma', 'lam', 'cliprange', 'cliprangeValue', 'vfCoef', 'initKlCoef', 'klTarget', 'klHorizon', 'adapKlCtrl'], QUOTA_SETTINGS),
  label: (c) => `ppo (kl ${c.initKlCoef}${c.adapKlCtrl ? ', adaptive' : ''})`,
  legend: { head: (c) => `ppo kl ${c.initKlCoef}`, keys: ['initKlCoef'] },
  tasks: ['language'],
};
