/**
 * Teaching text of the lab: what each phase of a RAFT cycle does, in the order the engine runs them.
 * Shown next to the progress bar and in the "How a cycle works" list.
 */
import type { Phase } from '../core/raft/types';

export interface PhaseInfo {
  phase: Phase;
  title: string;
  help: string;
}

export const PHASES: readonly PhaseInfo[] = [
  { phase: 'generate', title: 'Generate', help: 'For each training prompt the model writes K completions by sampling, token by token.' },
  { phase: 'reward', title: 'Reward', help: 'The reward function scores every completion between 0 and 1 (here: how positive the review reads).' },
  { phase: 'select', title: 'Select', help: 'The samples are ranked by reward and only the best are kept; the rest are thrown away.' },
  { phase: 'train', title: 'Train', help: 'The model is fine-tuned on the kept samples, with the loss on the completion tokens only.' },
  {
    phase: 'evaluate',
    title: 'Evaluate',
    help: 'Fresh samples on held-out prompts give the eval reward; perplexity on held-out reviews shows what fluency the training cost.',
  },
];

/** The phase's texts; a phase this list does not know yet is shown by its name. */
export function phaseInfo(phase: Phase): PhaseInfo {
  return PHASES.find((p) => p.phase === phase) ?? { phase, title: String(phase), help: '' };
}
