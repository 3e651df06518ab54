/**
 * The `shapes` data set: procedural 16x16 RGB images of coloured shapes on a dark background, each with a label.
 * Labels name the shape kind and, for circles, squares and triangles, the count (one or two). Colour (any hue),
 * size, position and background shade vary freely, so a reward such as redness has room to move within a label.
 * Pixels are in [0, 1], row-major HWC. Every image comes from the seeded Rng: same seed => same images.
 */
import { Rng } from '../rng';

export const IMAGE_SIZE = 16;
export const CHANNELS = 3;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;

export type ShapeKind = 'circle' | 'square' | 'triangle' | 'stripes';

export interface ShapeLabel {
  /** The prompt text, e.g. "two circles". */
  text: string;
  kind: ShapeKind;
  /** Number of shapes drawn (stripes: 0 = a pattern, not counted). */
  count: number;
}

/** The labels (prompts) of the task; the model's class ids are indices into this list, NULL_LABEL = its length. */
export const SHAPE_LABELS: readonly ShapeLabel[] = [
  { text: 'a circle', kind: 'circle', count: 1 },
  { text: 'a square', kind: 'square', count: 1 },
  { text: 'a triangle', kind: 'triangle', count: 1 },
  { text: 'stripes', kind: 'stripes', count: 0 },
  { text: 'two circles', kind: 'circle', count: 2 },
  { text: 'two squares', kind: 'square', count: 2 },
  { text: 'two triangles', kind: 'triangle', count: 2 },
];
/** Class id of "no label" (classifier-free guidance). */
export const NULL_LABEL = SHAPE_LABELS.length;
export const NUM_CLASSES = SHAPE_LABELS.length + 1;

export function labelIndex(text: string): number {
  const i = SHAPE_LABELS.findIndex((l) => l.text === text);
  if (i < 0) throw new Error(`unknown shapes prompt ${JSON.stringify(text)}`);
  return i;
}

export interface ShapeImage {
  label: number;
  pixels: Float32Array;
}

/** HSV (all in [0, 1]) to RGB. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[i]!.slice() as [number, number, number];
}

type Inside = (x: number, y: number) => boolean;

function shapeTest(kind: Exclude<ShapeKind, 'stripes'>, cx: number, cy: number, r: number): Inside {
  switch (kind) {
    case 'circle':
      return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    case 'square':
      return (x, y) => Math.abs(x - cx) <= r * 0.85 && Math.abs(y - cy) <= r * 0.85;
    case 'triangle':
      // upright isosceles triangle: apex at the top, base at the bottom
      return (x, y) => y <= cy + r * 0.8 && y >= cy - r && Math.abs(x - cx) <= ((y - (cy - r)) / (1.8 * r)) * r;
  }
}

/** Draw one image of a label with the given random stream. */
export function drawShape(labelId: number, rng: Rng): Float32Array {
  const label = SHAPE_LABELS[labelId];
  if (!label) throw new Error(`bad label id ${labelId}`);
  const S = IMAGE_SIZE;
  const bg = rng.float() * 0.2;
  const color = hsvToRgb(rng.float(), 0.6 + 0.4 * rng.float(), 0.75 + 0.25 * rng.float());
  let inside: Inside;
  if (label.kind === 'stripes') {
    const period = rng.pick([4, 5, 6]);
    const phase = rng.int(period);
    const vertical = rng.chance(0.5);
    const width = period / 2;
    inside = (x, y) => ((((vertical ? x : y) + phase) % period) + period) % period < width;
  } else {
    const tests: Inside[] = [];
    const centres: Array<[number, number, number]> = [];
    for (let n = 0; n < label.count; n++) {
      for (let tries = 0; tries < 50; tries++) {
        const r = label.count === 1 ? 3 + rng.float() * 3.5 : 2.2 + rng.float() * 1.6;
        const cx = r + 0.5 + rng.float() * (S - 2 * r - 1);
        const cy = r + 0.5 + rng.float() * (S - 2 * r - 1);
        const clear = centres.every(([ox, oy, or]) => Math.hypot(cx - ox, cy - oy) > r + or + 1.5);
        if (clear || tries === 49) {
          centres.push([cx, cy, r]);
          tests.push(shapeTest(label.kind, cx, cy, r));
          break;
        }
      }
    }
    inside = (x, y) => tests.some((t) => t(x, y));
  }
  const px = new Float32Array(PIXELS);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      // 2x2 supersampling for soft edges
      let cover = 0;
      for (const [ox, oy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]] as const) if (inside(x + ox, y + oy)) cover++;
      const a = cover / 4;
      for (let c = 0; c < 3; c++) px[(y * S + x) * 3 + c] = bg * (1 - a) + color[c]! * a;
    }
  }
  return px;
}

/** `n` images with labels drawn uniformly, from a seeded stream. */
export function shapeImages(seed: number, n: number): ShapeImage[] {
  const rng = Rng.derive(seed, 'shapes/data');
  const out: ShapeImage[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.int(SHAPE_LABELS.length);
    out.push({ label, pixels: drawShape(label, rng) });
  }
  return out;
}
