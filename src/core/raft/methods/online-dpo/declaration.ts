/** Online DPO's declaration (TF-free; ../declaration.ts): its beta. */
import { QUOTA_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const onlineDpoDeclaration: MethodDeclaration = {
  name: 'online-dpo',
  summary: 'online direct preference optimization: each prompt\'s best sample preferred over its worst, relative to the base model',
  settings: settingsOf(['dpoBeta'], QUOTA_SETTINGS),
  label: (c) => `online-dpo (beta ${c.dpoBeta})`,
  legend: { head: (c) => `online-dpo beta ${c.dpoBeta}`, keys: ['dpoBeta'] },
  tasks: ['language'],
};
