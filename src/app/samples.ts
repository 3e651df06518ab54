/**
 * Grouping of a cycle's samples by prompt for the samples and compare views, and a readable breakdown text.
 */
import type { SampleRecord } from '../core/raft/types';

export interface PromptGroup {
  promptIndex: number;
  prompt: string;
  samples: SampleRecord[];
}

/** Samples grouped by prompt, in order of first appearance (the engine writes the K samples of a prompt together). */
export function groupByPrompt(samples: readonly SampleRecord[]): PromptGroup[] {
  const groups = new Map<number, PromptGroup>();
  for (const s of samples) {
    let g = groups.get(s.promptIndex);
    if (!g) groups.set(s.promptIndex, (g = { promptIndex: s.promptIndex, prompt: s.prompt, samples: [] }));
    g.samples.push(s);
  }
  return [...groups.values()];
}

const valueText = (v: string | number | boolean | null) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));

/** `score 3, positive 2, negated 0` from a reward breakdown ('' when there is none). */
export function breakdownText(b: SampleRecord['breakdown']): string {
  if (!b) return '';
  return Object.entries(b)
    .map(([k, v]) => `${k} ${valueText(v)}`)
    .join(', ');
}

/** A reward breakdown as rows of a small table (an image's hover/focus card): [part, value as text]. */
export function breakdownRows(b: SampleRecord['breakdown']): Array<[string, string]> {
  return b ? Object.entries(b).map(([k, v]) => [k, valueText(v)]) : [];
}
