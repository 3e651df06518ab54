/**
 * The scenes detector: an RGB image (HWC, [0, 1], any square size) -> the objects in it, read from pixels alone.
 *   1. background: the per-channel median of the border pixels; a pixel is foreground when it is more than
 *      FG_DISTANCE (RGB Euclidean) from it;
 *   2. objects: 8-connected foreground components of at least MIN_MASS of the image (lighter ones are specks);
 *   3. per object: its colour is the median of its strongest pixels, named by hue (null when grey or dark); each
 *      pixel's coverage is its position between the background and that colour; the shape is the template
 *      (circle, square, upright triangle, each sized to the object's mass and placed on its centre of mass) whose
 *      coverage map differs least from the object's (the fill-ratio and corner test, done on the whole outline);
 *      the size is the fitted template's half-extent against the world's two; the centre is the template's.
 */
import { coverage } from './render';
import { COLOUR_RGB, COLOURS, SHAPES, SIZE_HALF_EXTENT, type Colour, type Shape, type Size } from './vocab';

export interface Detection {
  shape: Shape;
  /** null: no colour of the world (grey, dark or unsaturated). */
  colour: Colour | null;
  size: Size;
  /** Centre of the fitted shape (its bounding box's centre, as a SceneObject's cx, cy), normalised (y down). */
  cx: number;
  cy: number;
  /** Bounding box, normalised. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** The object's mass in pixels (its coverage summed). */
  mass: number;
  /** How well the shape's template fits the outline: 1 - |coverage - template| / mass, in [0, 1]. */
  fit: number;
}

export const FG_DISTANCE = 0.25;
/** A component of less mass than this fraction of the image is a speck (5 px at 32, 11.5 px at 48; the smallest
 * object of the world, a small triangle, has 0.0146). */
export const MIN_MASS = 0.005;

const sideOf = (px: ArrayLike<number>) => Math.round(Math.sqrt(px.length / 3));

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The background colour: per-channel median of the border pixels. */
export function backgroundOf(px: ArrayLike<number>): [number, number, number] {
  const S = sideOf(px);
  const ch: number[][] = [[], [], []];
  for (let k = 0; k < S; k++) {
    for (const p of [k, (S - 1) * S + k, k * S, k * S + S - 1]) for (let c = 0; c < 3; c++) ch[c]!.push(px[p * 3 + c]!);
  }
  return [median(ch[0]!), median(ch[1]!), median(ch[2]!)];
}

/** Hue in degrees [0, 360), saturation and value (HSV) of an RGB colour. */
export function hsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
  }
  return [(h * 60 + 360) % 360, max === 0 ? 0 : d / max, max];
}

const COLOUR_HUES = COLOURS.map((c) => [c, hsv(...COLOUR_RGB[c])[0]] as const);

/** The world's colour nearest in hue, or null for a grey, dark or unsaturated colour. */
export function nameColour(r: number, g: number, b: number): Colour | null {
  const [h, s, v] = hsv(r, g, b);
  if (s < 0.4 || v < 0.35) return null;
  let best: Colour | null = null;
  let bestD = Infinity;
  for (const [c, ch] of COLOUR_HUES) {
    const d = Math.min(Math.abs(h - ch), 360 - Math.abs(h - ch));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** The objects of an image, in the order their first pixel is met (row by row). */
export function detectObjects(px: ArrayLike<number>): Detection[] {
  const S = sideOf(px);
  const bg = backgroundOf(px);
  const fg = new Uint8Array(S * S);
  for (let p = 0; p < S * S; p++) {
    const d = Math.hypot(px[p * 3]! - bg[0], px[p * 3 + 1]! - bg[1], px[p * 3 + 2]! - bg[2]);
    fg[p] = d > FG_DISTANCE ? 1 : 0;
  }
  // component id + 1 of every pixel (0 = background)
  const owner = new Int32Array(S * S);
  const components: number[][] = [];
  for (let start = 0; start < S * S; start++) {
    if (!fg[start] || owner[start]) continue;
    const id = components.length + 1;
    const members: number[] = [];
    const stack = [start];
    owner[start] = id;
    while (stack.length) {
      const p = stack.pop()!;
      members.push(p);
      const x = p % S;
      const y = (p - x) / S;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= S || ny >= S) continue;
          const q = ny * S + nx;
          if (fg[q] && !owner[q]) {
            owner[q] = id;
            stack.push(q);
          }
        }
      }
    }
    components.push(members);
  }
  const out: Detection[] = [];
  components.forEach((members, k) => {
    if (members.length < MIN_MASS * S * S) return;
    const d = describe(members, k + 1, owner, px, bg, S);
    if (d.mass >= MIN_MASS * S * S) out.push(d);
  });
  return out;
}

/** Half-extent h of a shape of `mass` pixels (its area is AREA_FACTOR h^2 in normalised units). */
const AREA_FACTOR: Readonly<Record<Shape, number>> = { circle: Math.PI, square: 3.24, triangle: 1.8 };
/** A triangle's centre of mass lies 0.3 h below the centre of its box. */
const CENTROID_DROP: Readonly<Record<Shape, number>> = { circle: 0, square: 0, triangle: 0.3 };
const SIZE_SPLIT = Math.sqrt(SIZE_HALF_EXTENT.small * SIZE_HALF_EXTENT.large);

function describe(members: number[], id: number, owner: Int32Array, px: ArrayLike<number>, bg: readonly number[], S: number): Detection {
  // colour: the median of the pixels farthest from the background (the object's flat interior)
  const dist = (p: number) => Math.hypot(px[p * 3]! - bg[0]!, px[p * 3 + 1]! - bg[1]!, px[p * 3 + 2]! - bg[2]!);
  const far = Math.max(...members.map(dist));
  const core = members.filter((p) => dist(p) >= 0.8 * far);
  const rgb = [0, 1, 2].map((c) => median(core.map((p) => px[p * 3 + c]!))) as [number, number, number];
  const dir = rgb.map((v, c) => v - bg[c]!);
  const norm2 = dir.reduce((a, v) => a + v * v, 0);
  // coverage map over the component's box grown by one pixel (pixels of other components count 0)
  let x0 = S, y0 = S, x1 = -1, y1 = -1;
  for (const p of members) {
    const x = p % S;
    const y = (p - x) / S;
    x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y);
  }
  const bx0 = Math.max(0, x0 - 1), by0 = Math.max(0, y0 - 1), bx1 = Math.min(S - 1, x1 + 1), by1 = Math.min(S - 1, y1 + 1);
  const cells: Array<{ i: number; j: number; a: number }> = [];
  let mass = 0, mx = 0, my = 0;
  for (let i = by0; i <= by1; i++) {
    for (let j = bx0; j <= bx1; j++) {
      const p = i * S + j;
      let a = 0;
      if (owner[p] === id || owner[p] === 0) {
        let dot = 0;
        for (let c = 0; c < 3; c++) dot += (px[p * 3 + c]! - bg[c]!) * dir[c]!;
        a = Math.min(1, Math.max(0, dot / norm2));
      }
      cells.push({ i, j, a });
      mass += a, mx += a * (j + 0.5), my += a * (i + 0.5);
    }
  }
  mx /= mass * S;
  my /= mass * S;
  let best: { shape: Shape; h: number; err: number } | null = null;
  for (const shape of SHAPES) {
    const h = Math.sqrt(mass / (AREA_FACTOR[shape] * S * S));
    const cy = my - CENTROID_DROP[shape] * h;
    let err = 0;
    for (const { i, j, a } of cells) err += Math.abs(a - coverage(shape, h, mx, cy, i, j, S));
    if (!best || err < best.err) best = { shape, h, err };
  }
  const { shape, h } = best!;
  return {
    shape,
    colour: nameColour(...rgb),
    size: h < SIZE_SPLIT ? 'small' : 'large',
    cx: mx,
    cy: my - CENTROID_DROP[shape] * h,
    x0: x0 / S, y0: y0 / S, x1: (x1 + 1) / S, y1: (y1 + 1) / S,
    mass,
    fit: 1 - Math.min(1, best!.err / mass),
  };
}
