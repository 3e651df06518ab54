/**
 * Image samples as the page receives them from the trainer worker: a language SampleRecord (prompt, reward,
 * breakdown, kept; `completion` names the noise seed) plus the picture as RGBA bytes, small enough to structured-
 * clone every cycle (at the run's image size: 1 kB for 16x16, 4 kB for 32x32, 9 kB for 48x48). Pure code: the worker converts, the page draws (no TF.js here).
 */
import type { SampleRecord } from '../core/raft/types';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row by row. */
  rgba: Uint8ClampedArray;
}

export interface ImageSampleRecord extends SampleRecord {
  seed: number;
  image: RgbaImage;
}

/** What the diffusion engine produces (core/diffusion/engine.ts ImageSample), the fields used here. */
interface PixelSample {
  promptIndex: number;
  prompt: string;
  seed: number;
  pixels: Float32Array;
  reward: number;
  breakdown?: SampleRecord['breakdown'];
  kept: boolean;
}

/** HWC RGB pixels in [0, 1] of a size x size image -> RGBA bytes. */
export function toRgba(pixels: Float32Array, size: number): RgbaImage {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(Math.min(1, Math.max(0, pixels[i * 3 + c]!)) * 255);
    rgba[i * 4 + 3] = 255;
  }
  return { width: size, height: size, rgba };
}

export function toImageRecord(s: PixelSample): ImageSampleRecord {
  const size = Math.round(Math.sqrt(s.pixels.length / 3));
  return {
    promptIndex: s.promptIndex, prompt: s.prompt, completion: `seed ${s.seed}`, reward: s.reward,
    ...(s.breakdown ? { breakdown: s.breakdown } : {}), kept: s.kept, seed: s.seed, image: toRgba(s.pixels, size),
  };
}

export function isImageSample(s: SampleRecord): s is ImageSampleRecord {
  return (s as Partial<ImageSampleRecord>).image !== undefined;
}

export interface ImageRow {
  promptIndex: number;
  prompt: string;
  samples: ImageSampleRecord[];
}

/** Image samples grouped by prompt (order of first appearance); samples without an image are left out. */
export function imageRows(samples: readonly SampleRecord[]): ImageRow[] {
  const rows = new Map<number, ImageRow>();
  for (const s of samples) {
    if (!isImageSample(s)) continue;
    let r = rows.get(s.promptIndex);
    if (!r) rows.set(s.promptIndex, (r = { promptIndex: s.promptIndex, prompt: s.prompt, samples: [] }));
    r.samples.push(s);
  }
  return [...rows.values()];
}
