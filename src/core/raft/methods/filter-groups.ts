/**
 * Dynamic sampling (DAPO; verl's `filter_groups`): a prompt whose K rewards all tie has no signal for a group
 * baseline, so it is dropped and more prompts are drawn, as many as are still missing, until the cycle has
 * promptsPerCycle prompts with signal or `maxExtraDraws` extra draws were made. Every sample drawn counts in the
 * budget (sampleAndScore counts them); each draw is grouped on its own, so a prompt drawn twice is two groups.
 */
import { allEqual } from '../policy-losses';
import { groupByPrompt, type CycleContext, type Scored } from './types';

export async function sampleWithSignal(ctx: CycleContext, maxExtraDraws: number): Promise<{ scored: Scored[]; groups: Scored[][] }> {
  const wanted = ctx.config.promptsPerCycle;
  const scored: Scored[] = [];
  const groups: Scored[][] = [];
  for (let draw = 0; draw <= maxExtraDraws && groups.length < wanted; draw++) {
    const got = await ctx.sampleAndScore(ctx.nextPrompts(wanted - groups.length));
    scored.push(...got);
    groups.push(...groupByPrompt(got).filter((g) => !allEqual(g.map((s) => s.result.reward))));
  }
  return { scored, groups };
}
