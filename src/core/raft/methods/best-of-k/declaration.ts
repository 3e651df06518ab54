/** Best-of-K's declaration (TF-free; ../declaration.ts): K is samplesPerPrompt, so no settings of its own. */
import type { MethodDeclaration } from '../declaration';

export const bestOfKDeclaration: MethodDeclaration = {
  name: 'best-of-k',
  summary: 'no training: each eval sample is the best of K = samplesPerPrompt draws (its KL reported as the bound log K - (K - 1) / K)',
  settings: [],
  label: (c) => `best-of-${c.samplesPerPrompt}`,
  legend: { head: (c) => `best-of-${c.samplesPerPrompt}`, keys: ['samplesPerPrompt'] },
  tasks: ['language'],
};
