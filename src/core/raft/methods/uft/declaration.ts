/** UFT's declaration (TF-free; ../declaration.ts): its beta, demonstrations and scored pool, and selection. */
import { QUOTA_SETTINGS, SELECTION_SETTINGS, settingsOf, type MethodDeclaration } from '../declaration';

export const uftDeclaration: MethodDeclaration = {
  name: 'uft',
  summary: 'unified fine-tuning: scored samples (reward as score) and demonstrations (score 1) with one loss against the base model',
  settings: settingsOf(['uftBeta', 'uftDemoRatio', 'uftScored'], SELECTION_SETTINGS, QUOTA_SETTINGS),
  label: (c) => `uft (beta ${c.uftBeta}, ${c.uftScored})`,
  legend: { head: (c) => `uft beta ${c.uftBeta}`, keys: ['uftBeta'] },
  tasks: ['language'],
};
