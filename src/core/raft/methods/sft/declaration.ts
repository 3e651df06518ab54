/** SFT's declaration (TF-free; ../declaration.ts): no settings of its own. */
import type { MethodDeclaration } from '../declaration';

export const sftDeclaration: MethodDeclaration = {
  name: 'sft',
  summary: 'supervised fine-tuning on the task\'s demonstrations, promptsPerCycle a cycle; no sampling',
  settings: [],
  label: () => 'sft',
  legend: { head: () => 'sft', keys: [] },
  tasks: ['language'],
};
