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
 *
 * Two layouts keep those rules. 'spread' (the world as the earlier shipped models were trained on it; the current one is on 'lattice') draws every centre at
 * random within its place. 'slots' puts objects only on fixed spots, so that where they go is a function of the
 * prompt: one object at its place's spot (SLOT_SPOTS), two or three in a row through it (a column on the left and
 * right) SLOT_STEP apart, a relation's pair at SLOT_PAIR either side of the centre; a prompt with no place draws one
 * (attributes left open are drawn). In the shape toy (scripts/scenes-shape-toy.ts, docs/diffusion.md) a DiT learned
 * the shape words at five such spots and did not when the place left it a choice of spot or a jitter.
 * 'lattice' is 'slots' on a 3 x 3 lattice (LATTICE_STEP apart about the centre): a single object at its place's
 * lattice point, a row of two at the row's two ends, of three at all three, a relation's pair at the ends of the
 * middle row or column. So the whole world uses nine spots where 'slots' uses more than twenty.
 */
import type { Rng } from '../rng';
import type { ObjectSpec, SceneSpec } from './grammar';
import { COLOURS, PLACES, SIZE_HALF_EXTENT, SIZES, type Colour, type Place, type Relation, type Shape, type Size } from './vocab';

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

export type SceneLayout = 'spread' | 'slots' | 'lattice';
export const SCENE_LAYOUTS: readonly SceneLayout[] = ['spread', 'slots', 'lattice'];

/** Whether `x` names one of the world's layouts (a manifest's field, a command-line flag). */
export const isSceneLayout = (x: unknown): x is SceneLayout => typeof x === 'string' && (SCENE_LAYOUTS as readonly string[]).includes(x);

/** Each place's fixed spot (normalised centre), and whether a row through it runs down (a column) or across. */
export type PlaceSpots = Readonly<Record<Place, { cx: number; cy: number; column: boolean }>>;

/**
 * 'slots': each place's spot, the middle of where layout rules allow a large object's centre (on the left: from
 * MARGIN + 0.14 = 0.16 to PLACE_EDGE), and whether its row runs down (a column) or across.
 */
export const SLOT_SPOTS: PlaceSpots = {
  'on the left': { cx: 0.27, cy: 0.5, column: true },
  'on the right': { cx: 0.73, cy: 0.5, column: true },
  'at the top': { cx: 0.5, cy: 0.27, column: false },
  'at the bottom': { cx: 0.5, cy: 0.73, column: false },
  'in the middle': { cx: 0.5, cy: 0.5, column: false },
};
/** 'slots': centres of a row of two or three, this far apart (two large objects' boxes exactly GAP apart). */
export const SLOT_STEP = 0.33;
/** The offsets of one, two or three objects' centres along their row, from their place's spot. */
type RowOffsets = Readonly<Record<1 | 2 | 3, readonly number[]>>;
/** 'slots': the offsets of one, two or three objects' centres along their row, from the spot. */
export const SLOT_ROW: RowOffsets = { 1: [0], 2: [-SLOT_STEP / 2, SLOT_STEP / 2], 3: [-SLOT_STEP, 0, SLOT_STEP] };
/** 'slots': a relation's first object this far before the centre on its axis, the second this far after. */
export const SLOT_PAIR = 0.17;

/** 'lattice': the lattice's points are 0.5 - LATTICE_STEP, 0.5 and 0.5 + LATTICE_STEP on each axis (0.17 is a large
 * object's nearest allowed centre to the edge, 0.16). */
export const LATTICE_STEP = 0.33;
/** 'lattice': each place's point, and whether its row runs down (a column) or across. */
export const LATTICE_SPOTS: PlaceSpots = {
  'on the left': { cx: 0.5 - LATTICE_STEP, cy: 0.5, column: true },
  'on the right': { cx: 0.5 + LATTICE_STEP, cy: 0.5, column: true },
  'at the top': { cx: 0.5, cy: 0.5 - LATTICE_STEP, column: false },
  'at the bottom': { cx: 0.5, cy: 0.5 + LATTICE_STEP, column: false },
  'in the middle': { cx: 0.5, cy: 0.5, column: false },
};

/** A layout of fixed spots: each place's spot, a row's offsets from it by count, a relation's offsets from the centre. */
interface FixedSpots {
  spots: PlaceSpots;
  row: RowOffsets;
  pair: readonly [number, number];
}
const FIXED_SPOTS: Readonly<Record<'slots' | 'lattice', FixedSpots>> = {
  slots: { spots: SLOT_SPOTS, row: SLOT_ROW, pair: [-SLOT_PAIR, SLOT_PAIR] },
  lattice: { spots: LATTICE_SPOTS, row: { 1: [0], 2: [-LATTICE_STEP, LATTICE_STEP], 3: [-LATTICE_STEP, 0, LATTICE_STEP] }, pair: [-LATTICE_STEP, LATTICE_STEP] },
};

/** Half width and half height of a shape's bounding box for half-extent h (the renderer's geometry). */
export function halfBox(shape: Shape, h: number): [number, number] {
  return shape === 'circle' ? [h, h] : shape === 'square' ? [0.9 * h, 0.9 * h] : [h, 0.9 * h];
}

export function objectHalfBox(o: { shape: Shape; size: Size }): [number, number] {
  return halfBox(o.shape, SIZE_HALF_EXTENT[o.size]);
}

/** A scene satisfying `spec`, drawn from `rng`, its objects placed by `layout` (see the top of this file). */
export function sampleScene(spec: SceneSpec, rng: Rng, layout: SceneLayout = 'spread'): Scene {
  if (layout !== 'spread') return fixedSpotScene(spec, rng, FIXED_SPOTS[layout]);
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

/** The 'slots' and 'lattice' layouts: every centre a function of the prompt (its place drawn when it names none). */
function fixedSpotScene(spec: SceneSpec, rng: Rng, fixed: FixedSpots): Scene {
  if (spec.kind === 'relation') {
    const objects = [resolve(spec.a, rng), resolve(spec.b, rng)];
    const axis = spec.relation === 'left of' ? 0 : 1;
    setCoord(objects[0]!, axis, 0.5 + fixed.pair[0]);
    setCoord(objects[1]!, axis, 0.5 + fixed.pair[1]);
    return { objects, relation: spec.relation };
  }
  const count = spec.count ?? (rng.chance(0.5) ? 2 : 3);
  const objects = Array.from({ length: count }, () => resolve(spec.object, rng));
  const spot = fixed.spots[spec.place ?? rng.pick(PLACES)];
  const offsets = fixed.row[count];
  objects.forEach((o, k) => {
    const along = offsets[k]!;
    o.cx = spot.cx + (spot.column ? 0 : along);
    o.cy = spot.cy + (spot.column ? along : 0);
  });
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
