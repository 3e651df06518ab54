/**
 * The seeded caption sampler: random specs of the grammar with some attributes left open, and their prompts.
 * Mix: a quarter relations; groups of one (half), two or three; a colour named 80% of the time, a size 60%,
 * a place 60% (groups), a count-1 group written "one" a fifth of the time, a plural's count left open 10%.
 */
import type { Rng } from '../rng';
import { describeSpec, type ObjectSpec, type SceneSpec } from './grammar';
import { COLOURS, PLACES, RELATIONS, SHAPES, SIZES } from './vocab';

export interface Caption {
  prompt: string;
  spec: SceneSpec;
}

function sampleObject(rng: Rng): ObjectSpec {
  const o: ObjectSpec = { shape: rng.pick(SHAPES) };
  if (rng.chance(0.6)) o.size = rng.pick(SIZES);
  if (rng.chance(0.8)) o.colour = rng.pick(COLOURS);
  return o;
}

/** A random spec and its prompt (held-out combinations included; see holdout.ts). */
export function sampleCaption(rng: Rng): Caption {
  let spec: SceneSpec;
  if (rng.chance(0.25)) {
    spec = { kind: 'relation', a: sampleObject(rng), relation: rng.pick(RELATIONS), b: sampleObject(rng) };
  } else {
    const count = rng.chance(0.5) ? 1 : rng.chance(0.5) ? 2 : 3;
    spec = { kind: 'group', object: sampleObject(rng) };
    if (count === 1 || !rng.chance(0.1)) spec.count = count;
    if (rng.chance(0.6)) spec.place = rng.pick(PLACES);
  }
  return { spec, prompt: describeSpec(spec, rng.chance(0.2) ? 'one' : 'a') };
}
