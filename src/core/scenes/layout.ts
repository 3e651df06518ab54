/**
 * The scene sampler: a SceneSpec (what a prompt says) -> a Scene (concrete objects that satisfy it), seeded.
 * Attributes the spec leaves open (colour, size, a bare plural's count) are drawn per object. Geometry is in
 * normalised image units ([0, 1] across, y down), so one scene renders at any size (render.ts).
 *
 * Rules every scene keeps (and the fidelity detector reads back):
 * - objects lie inside the image with a margin, their bounding boxes apart by at least GAP (1.6 px at 32 px);
 * - a place puts every object's centre in its third (left: cx <= 0.38, top: cy <= 0.38, ...); "in the middle"
 *   centres the group's bounding box within 0.05 of the image centre;
 * - "a left of b": a's box ends GAP before b's begins and |dy| <= 0.12 (so dx > |dy|); "above" the same in y.
 */
import type { Rng } from '../rng';
import type { ObjectSpec, SceneSpec } from './grammar';
import { COLOURS, SIZE_HALF_EXTENT, SIZES, type Colour, type Place, type Relation, type Shape, type Size } from './vocab';

export interface SceneObject {
  shape: Shape;
  colour: Colour;
  size: Size;
  /** Centre, normalised ([0, 1], y down). */
  cx: number;
  cy: number;
}

export interface Scene {
  objects: SceneObject[];
  /** Set for a relation scene: objects[0] is left of / above objects[1]. */
  relation?: Relation;
}

export const MARGIN = 0.02;
export const GAP = 0.05;
/** A place's third: an object on the left has cx <= PLACE_EDGE, on the right cx >= 1 - PLACE_EDGE. */
export const PLACE_EDGE = 0.38;
const MIDDLE_JITTER = 0.05;
const RELATION_DRIFT = 0.12;

/** Half width and half height of a shape's bounding box for half-extent h (the renderer's geometry). */
export function halfBox(shape: Shape, h: number): [number, number] {
  return shape === 'circle' ? [h, h] : shape === 'square' ? [0.9 * h, 0.9 * h] : [h, 0.9 * h];
}

export function objectHalfBox(o: { shape: Shape; size: Size }): [number, number] {
  return halfBox(o.shape, SIZE_HALF_EXTENT[o.size]);
}

/** A scene satisfying `spec`, drawn from `rng`. */
export function sampleScene(spec: SceneSpec, rng: Rng): Scene {
  if (spec.kind === 'relation') {
    const objects = [resolve(spec.a, rng), resolve(spec.b, rng)];
    const axis = spec.relation === 'left of' ? 0 : 1;
    placeRow(objects, axis, rng, { order: 'fixed' });
    // the second object drifts a little across the axis from the first
    const cross = 1 - axis;
    const drift = (rng.float() * 2 - 1) * RELATION_DRIFT;
    const [lo, hi] = crossRange(objects[1]!, cross, null);
    setCoord(objects[1]!, cross, clamp(coord(objects[0]!, cross) + drift, lo, hi));
    return { objects, relation: spec.relation };
  }
  const count = spec.count ?? (rng.chance(0.5) ? 2 : 3);
  const objects = Array.from({ length: count }, () => resolve(spec.object, rng));
  const place = spec.place;
  if (place === undefined) {
    if (!scatter(objects, rng)) placeRow(objects, rng.int(2) as 0 | 1, rng, { order: 'shuffled' });
  } else if (place === 'in the middle') {
    placeRow(objects, rng.int(2) as 0 | 1, rng, { order: 'shuffled', centred: true });
  } else {
    const axis = place === 'on the left' || place === 'on the right' ? 1 : 0; // a column on the sides, a row at top / bottom
    placeRow(objects, axis, rng, { order: 'shuffled', place });
  }
  return { objects };
}

function resolve(o: ObjectSpec, rng: Rng): SceneObject {
  return { shape: o.shape, colour: o.colour ?? rng.pick(COLOURS), size: o.size ?? rng.pick(SIZES), cx: 0.5, cy: 0.5 };
}

const coord = (o: SceneObject, axis: number): number => (axis === 0 ? o.cx : o.cy);
function setCoord(o: SceneObject, axis: number, v: number): void {
  if (axis === 0) o.cx = v;
  else o.cy = v;
}
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Where an object's centre may lie across the row's axis (inside the image, inside its place's third). */
function crossRange(o: SceneObject, axis: number, place: Place | null): [number, number] {
  const half = objectHalfBox(o)[axis]!;
  let lo = MARGIN + half;
  let hi = 1 - MARGIN - half;
  if (place === 'on the left' || place === 'at the top') hi = Math.min(hi, PLACE_EDGE);
  if (place === 'on the right' || place === 'at the bottom') lo = Math.max(lo, 1 - PLACE_EDGE);
  if (place === 'in the middle') [lo, hi] = [0.5 - MIDDLE_JITTER, 0.5 + MIDDLE_JITTER];
  return [lo, hi];
}

/**
 * Lays objects along `axis` (0 = x, 1 = y) in order with at least GAP between boxes, the spare length split at
 * random (centred: equal ends, then a shift of at most MIDDLE_JITTER), and across the axis at random in range.
 */
function placeRow(objects: SceneObject[], axis: 0 | 1, rng: Rng, opts: { order: 'fixed' | 'shuffled'; centred?: boolean; place?: Place }): void {
  const row = opts.order === 'shuffled' ? rng.shuffled(objects) : objects;
  const extents = row.map((o) => 2 * objectHalfBox(o)[axis]!);
  const spare = 1 - 2 * MARGIN - extents.reduce((a, b) => a + b, 0) - GAP * (row.length - 1);
  if (spare < 0) throw new Error(`scenes: ${row.length} objects do not fit in a row`);
  const weights = Array.from({ length: row.length + 1 }, () => rng.float() + 0.05);
  if (opts.centred) weights[row.length] = weights[0]!;
  const total = weights.reduce((a, b) => a + b, 0);
  let shift = 0;
  if (opts.centred) {
    const edge = (spare * weights[0]!) / total;
    shift = (rng.float() * 2 - 1) * Math.min(MIDDLE_JITTER, edge);
  }
  let pos = MARGIN + shift;
  row.forEach((o, k) => {
    pos += (spare * weights[k]!) / total;
    setCoord(o, axis, pos + extents[k]! / 2);
    pos += extents[k]! + GAP;
    const [lo, hi] = crossRange(o, 1 - axis, opts.place ?? (opts.centred ? 'in the middle' : null));
    setCoord(o, 1 - axis, lo + rng.float() * (hi - lo));
  });
}

/** Uniform positions with boxes apart (up to 60 tries); false if none fitted. */
function scatter(objects: SceneObject[], rng: Rng): boolean {
  for (let attempt = 0; attempt < 60; attempt++) {
    for (const o of objects) {
      const [hw, hh] = objectHalfBox(o);
      o.cx = MARGIN + hw + rng.float() * (1 - 2 * (MARGIN + hw));
      o.cy = MARGIN + hh + rng.float() * (1 - 2 * (MARGIN + hh));
    }
    if (objects.every((a, i) => objects.every((b, j) => j <= i || apart(a, b)))) return true;
  }
  return false;
}

/** True when the two boxes are at least GAP apart in x or in y. */
export function apart(a: SceneObject, b: SceneObject): boolean {
  const [aw, ah] = objectHalfBox(a);
  const [bw, bh] = objectHalfBox(b);
  return Math.abs(a.cx - b.cx) >= aw + bw + GAP - 1e-9 || Math.abs(a.cy - b.cy) >= ah + bh + GAP - 1e-9;
}
