/**
 * The `fidelity` reward: how much of a prompt an image satisfies, read by the detector (detect.ts), graduated per
 * attribute. Every part is in [0, 1] and the reward is their mean; the parts a prompt names are the ones scored:
 * - count: objects found against the prompt's number (a bare plural: 2 or 3; a relation: 2): 1 on the mark,
 *   0.5 one off, 0 otherwise;
 * - shape, colour, size: the share of the prompt's objects shown with it (the found objects that match best; a
 *   relation matches each side to its own object);
 * - place: the share of the objects in the place's part of the image (centre left of PLACE_TOLERANCE, ...; in the
 *   middle: the group's box centred within MIDDLE_TOLERANCE);
 * - relation: 1 when object a is left of (above) object b with |dx| > |dy| (|dy| > |dx|), 0.5 when it is only on
 *   the right side of it, 0 otherwise (the relation's count is 2).
 * Objects are the detector's components whose best shape template fits (fit >= MIN_FIT; the rest is clutter and
 * ignored); each object's credit for shape, colour, size and place is scaled by how well it fits (full from
 * FULL_FIT), so blobs earn little. An image with no object found scores 0.
 * The breakdown carries every scored part and `objects` (how many objects were found).
 */
import type { RewardResult } from '../tasks/types';
import { detectObjects, type Detection } from './detect';
import type { ObjectSpec, SceneSpec } from './grammar';
import type { Place } from './vocab';

/** An object's centre counts as on the left when cx < PLACE_TOLERANCE (right: cx > 1 - it; top / bottom in y). */
export const PLACE_TOLERANCE = 0.45;
/** "In the middle": the group's bounding box is centred within this of the image centre, in x and in y. */
export const MIDDLE_TOLERANCE = 0.12;

type Part = 'count' | 'shape' | 'colour' | 'size' | 'place' | 'relation';

const countScore = (found: number, ok: (n: number) => boolean): number =>
  found === 0 ? 0 : ok(found) ? 1 : ok(found - 1) || ok(found + 1) ? 0.5 : 0;

/** A found component is an object when its best shape template fits it this well (noise blobs fit ~0). */
export const MIN_FIT = 0.3;
/** Its attributes earn full credit from this fit on (the world's own objects fit >= 0.97; a blurred one ~0.75). */
export const FULL_FIT = 0.8;

/** How much an object looks like one of the world's shapes: 0 at MIN_FIT, 1 from FULL_FIT. */
const quality = (d: Detection) => Math.min(1, Math.max(0, (d.fit - MIN_FIT) / (FULL_FIT - MIN_FIT)));

/** 0-1 match of a detection to an object description, per attribute the description names, scaled by its quality. */
function attributes(o: ObjectSpec, d: Detection): { shape: number; colour?: number; size?: number } {
  const q = quality(d);
  const m: { shape: number; colour?: number; size?: number } = { shape: d.shape === o.shape ? q : 0 };
  if (o.colour) m.colour = d.colour === o.colour ? q : 0;
  if (o.size) m.size = d.size === o.size ? q : 0;
  return m;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => (xs.length ? sum(xs) / xs.length : 0);

function inPlace(place: Place, d: Detection): boolean {
  switch (place) {
    case 'on the left': return d.cx < PLACE_TOLERANCE;
    case 'on the right': return d.cx > 1 - PLACE_TOLERANCE;
    case 'at the top': return d.cy < PLACE_TOLERANCE;
    case 'at the bottom': return d.cy > 1 - PLACE_TOLERANCE;
    case 'in the middle': return Math.abs(d.cx - 0.5) <= MIDDLE_TOLERANCE && Math.abs(d.cy - 0.5) <= MIDDLE_TOLERANCE;
  }
}

function groupMiddle(ds: readonly Detection[]): boolean {
  const x = (Math.min(...ds.map((d) => d.x0)) + Math.max(...ds.map((d) => d.x1))) / 2;
  const y = (Math.min(...ds.map((d) => d.y0)) + Math.max(...ds.map((d) => d.y1))) / 2;
  return Math.abs(x - 0.5) <= MIDDLE_TOLERANCE && Math.abs(y - 0.5) <= MIDDLE_TOLERANCE;
}

function scoreGroup(spec: Extract<SceneSpec, { kind: 'group' }>, found: readonly Detection[]): Partial<Record<Part, number>> {
  const want = spec.count;
  const parts: Partial<Record<Part, number>> = { count: countScore(found.length, (n) => (want === undefined ? n === 2 || n === 3 : n === want)) };
  // the found objects that match the description best stand for the prompt's objects
  const k = Math.min(found.length, want ?? 3);
  const perObject = (d: Detection) => {
    const a = attributes(spec.object, d);
    const place = spec.place && spec.place !== 'in the middle' ? (inPlace(spec.place, d) ? quality(d) : 0) : undefined;
    return { ...a, place };
  };
  const ranked = found.map(perObject).sort((p, q) => score(q) - score(p)).slice(0, k);
  parts.shape = mean(ranked.map((r) => r.shape));
  if (spec.object.colour) parts.colour = mean(ranked.map((r) => r.colour!));
  if (spec.object.size) parts.size = mean(ranked.map((r) => r.size!));
  if (spec.place === 'in the middle') {
    const chosen = found.map((d) => ({ d, s: score(perObject(d)) })).sort((p, q) => q.s - p.s).slice(0, k).map((x) => x.d);
    parts.place = groupMiddle(chosen) ? 1 : 0;
  } else if (spec.place) parts.place = mean(ranked.map((r) => r.place!));
  return parts;
}

function score(m: { shape: number; colour?: number; size?: number; place?: number }): number {
  return m.shape + (m.colour ?? 0) + (m.size ?? 0) + (m.place ?? 0);
}

function relationScore(spec: Extract<SceneSpec, { kind: 'relation' }>, a: Detection, b: Detection): number {
  const along = spec.relation === 'left of' ? b.cx - a.cx : b.cy - a.cy;
  const across = spec.relation === 'left of' ? b.cy - a.cy : b.cx - a.cx;
  return along > Math.abs(across) ? 1 : along > 0 ? 0.5 : 0;
}

function scoreRelation(spec: Extract<SceneSpec, { kind: 'relation' }>, found: readonly Detection[]): Partial<Record<Part, number>> {
  const parts: Partial<Record<Part, number>> = { count: countScore(found.length, (n) => n === 2) };
  const sides = [spec.a, spec.b];
  const named = (key: 'colour' | 'size') => sides.filter((o) => o[key] !== undefined).length;
  // the best assignment of found objects to a and b (one found object: to the side it fits better)
  let best: { total: number; parts: Partial<Record<Part, number>> } | null = null;
  const consider = (da: Detection | null, db: Detection | null) => {
    const ma = da ? attributes(spec.a, da) : null;
    const mb = db ? attributes(spec.b, db) : null;
    const p: Partial<Record<Part, number>> = { shape: ((ma?.shape ?? 0) + (mb?.shape ?? 0)) / 2 };
    for (const key of ['colour', 'size'] as const) {
      if (named(key)) p[key] = ((ma?.[key] ?? 0) + (mb?.[key] ?? 0)) / named(key);
    }
    p.relation = da && db ? relationScore(spec, da, db) : 0;
    const total = sum(Object.values(p));
    if (!best || total > best.total) best = { total, parts: p };
  };
  consider(null, null);
  for (const da of found) {
    consider(da, null);
    consider(null, da);
    for (const db of found) if (db !== da) consider(da, db);
  }
  return { ...parts, ...best!.parts };
}

/** The fidelity of an image (HWC RGB in [0, 1], any square size) to a parsed prompt. */
export function fidelity(px: ArrayLike<number>, spec: SceneSpec): RewardResult {
  const found = detectObjects(px).filter((d) => d.fit >= MIN_FIT);
  const parts = spec.kind === 'group' ? scoreGroup(spec, found) : scoreRelation(spec, found);
  // nothing found satisfies nothing (the means over no objects are 0 already; this keeps count's 0 exact)
  const values = found.length ? Object.values(parts) : [0];
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const breakdown: Record<string, number> = {};
  for (const [k, v] of Object.entries(parts)) breakdown[k] = round3(v);
  breakdown.objects = found.length;
  return { reward: mean(values), breakdown };
}
