/**
 * The scenes renderer: a Scene -> an RGB image (Float32Array, HWC, values in [0, 1]) of any size, flat colours on
 * the one background, crisp (a pixel takes an object's colour when its centre lies inside the object's shape).
 * Geometry is normalised, so the same scene renders at 32x32 or 48x48.
 */
import type { Scene, SceneObject } from './layout';
import { BACKGROUND, COLOUR_RGB, SIZE_HALF_EXTENT } from './vocab';

/** True when the normalised point (x, y) lies inside the object. */
export function insideObject(o: SceneObject, x: number, y: number): boolean {
  const h = SIZE_HALF_EXTENT[o.size];
  const dx = x - o.cx;
  const dy = y - o.cy;
  switch (o.shape) {
    case 'circle':
      return dx * dx + dy * dy <= h * h;
    case 'square':
      return Math.abs(dx) <= 0.9 * h && Math.abs(dy) <= 0.9 * h;
    case 'triangle': {
      // upright: apex at (cx, cy - 0.9h), base from cx - h to cx + h at cy + 0.9h
      const t = (dy + 0.9 * h) / (1.8 * h);
      return t >= 0 && t <= 1 && Math.abs(dx) <= h * t;
    }
  }
}

/** The scene drawn at size x size pixels: (size, size, 3) row-major. */
export function renderScene(scene: Scene, size = 32): Float32Array {
  const px = new Float32Array(size * size * 3);
  for (let i = 0; i < size; i++) {
    const y = (i + 0.5) / size;
    for (let j = 0; j < size; j++) {
      const x = (j + 0.5) / size;
      const hit = scene.objects.find((o) => insideObject(o, x, y));
      px.set(hit ? COLOUR_RGB[hit.colour] : BACKGROUND, (i * size + j) * 3);
    }
  }
  return px;
}
