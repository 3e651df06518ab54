/**
 * Images as the learned image rewards take them: the lab's layout (Float32Array pixels in [0, 1], row-major HWC,
 * RGB, with width and height), turned into transformers.js' RawImage, which holds 8-bit RGB: each value is clamped to
 * [0, 1] and quantized as Math.round(x * 255) (scripts/make-image-reward-fixtures.py does the same,
 * floor(x * 255 + 0.5)). The models' image processors then resize (sharp in Node, a canvas in the browser: the
 * identity when the image already has the processor's size), crop, rescale by 1/255 and normalize. Resampling differs
 * between sharp, a canvas and PIL (which the models were trained with): at a non-integer ratio sharp's bicubic even
 * moves a flat image's edge pixels by a few levels. So scores of resized images are close to Python's, not equal;
 * images of the processor's size (224 for CLIP ViT-B/32) give the same pixels everywhere.
 */
import { RawImage } from '@huggingface/transformers';

export interface RewardImage {
  /** width x height x 3 values in [0, 1], row by row, RGB. */
  pixels: Float32Array;
  width: number;
  height: number;
}

/** The 8-bit RawImage of an image; a wrong pixel count or size is an error naming the image. */
export function toRawImage(img: RewardImage, index = 0): RawImage {
  const { pixels, width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image ${index}: width and height must be positive integers (got ${width} x ${height})`);
  }
  if (pixels.length !== width * height * 3) {
    throw new Error(`image ${index}: ${pixels.length} values for ${width} x ${height} RGB (expected ${width * height * 3})`);
  }
  const data = new Uint8ClampedArray(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const x = pixels[i]!;
    data[i] = Number.isNaN(x) ? 0 : Math.round(Math.min(1, Math.max(0, x)) * 255);
  }
  return new RawImage(data, width, height, 3);
}

/** Runs `f` on consecutive slices of at most `size` items and concatenates the results, in order. */
export async function inBatches<T, R>(items: readonly T[], size: number, f: (part: T[], offset: number) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  const n = Math.max(1, Math.floor(size));
  for (let i = 0; i < items.length; i += n) out.push(...(await f(items.slice(i, i + n), i)));
  return out;
}
