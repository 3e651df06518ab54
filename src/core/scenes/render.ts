/**
 * The scenes renderer: a Scene -> an RGB image (Float32Array, HWC, values in [0, 1]) of any size, flat colours on
 * the one background with light antialiasing: a pixel mixes an object's colour into the background by the fraction
 * of its 4x4 sub-samples inside the object (at 32 px a small circle is under 6 px across: crisp sampling would draw
 * some circles as squares). Geometry is normalised, so the same scene renders at 32x32 or 48x48.
 */
import type { Scene } from './layout';
import { BACKGROUND, COLOUR_RGB, SIZE_HALF_EXTENT, type Shape } from './vocab';

/** Sub-samples per pixel side. */
export const SUPERSAMPLE = 4;

/** True when the offset (dx, dy) from a shape's centre lies inside it (half-extent h; normalised units). */
export function insideShape(shape: Shape, h: number, dx: number, dy: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= h * h;
    case 'square':
      return Math.abs(dx) <= 0.9 * h && Math.abs(dy) <= 0.9 * h;
    case 'triangle': {
      // upright: apex at (0, -0.9h), base from -h to +h at +0.9h
      const t = (dy + 0.9 * h) / (1.8 * h);
      return t >= 0 && t <= 1 && Math.abs(dx) <= h * t;
    }
  }
}

/** Fraction of pixel (i = row, j = column) of a size x size image covered by the shape centred at (cx, cy). */
export function coverage(shape: Shape, h: number, cx: number, cy: number, i: number, j: number, size: number): number {
  let n = 0;
  for (let a = 0; a < SUPERSAMPLE; a++) {
    const y = (i + (a + 0.5) / SUPERSAMPLE) / size;
    for (let b = 0; b < SUPERSAMPLE; b++) {
      const x = (j + (b + 0.5) / SUPERSAMPLE) / size;
      if (insideShape(shape, h, x - cx, y - cy)) n++;
    }
  }
  return n / (SUPERSAMPLE * SUPERSAMPLE);
}

/** The scene drawn at size x size pixels: (size, size, 3) row-major. */
export function renderScene(scene: Scene, size = 32): Float32Array {
  const px = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) px.set(BACKGROUND, p * 3);
  for (const o of scene.objects) {
    const h = SIZE_HALF_EXTENT[o.size];
    const rgb = COLOUR_RGB[o.colour];
    // only the pixels of the object's box (objects are GAP apart, so no pixel mixes two of them)
    const i0 = Math.max(0, Math.floor((o.cy - h) * size));
    const i1 = Math.min(size - 1, Math.floor((o.cy + h) * size));
    const j0 = Math.max(0, Math.floor((o.cx - h) * size));
    const j1 = Math.min(size - 1, Math.floor((o.cx + h) * size));
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) {
        const a = coverage(o.shape, h, o.cx, o.cy, i, j, size);
        if (a === 0) continue;
        for (let c = 0; c < 3; c++) px[(i * size + j) * 3 + c] = BACKGROUND[c]! + a * (rgb[c]! - BACKGROUND[c]!);
      }
    }
  }
  return px;
}
