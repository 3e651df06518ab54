/**
 * Per-pixel weights of the denoising loss that favour the pixels near objects' outlines (a pre-training option,
 * scripts/pretrain-scenes.ts `--edge-weight`). In the scenes world a circle and a square of the same size and place
 * differ in a few pixels at each corner (a large one's corners lie 1.9 px outside its circle), so under a plain mean
 * squared error the shape is a sliver of the loss beside colour and place. A pixel whose distance (Chebyshev) to an
 * outline is at most `radius` gets 1 + `weight`, every other pixel 1; the loss is normalised by the weights' sum
 * (train.ts ditLoss), so its scale stays that of a mean.
 */

/** Foreground: a channel farther than this from the background (the renderer's antialiased rim counts). */
const FOREGROUND_DISTANCE = 0.05;

/**
 * Weights (B * size * size, one per pixel, shared by its channels) for `images` (HWC, pixels in [0, 1],
 * concatenated) drawn on the plain `background`. An outline pixel is a foreground pixel with a background
 * 4-neighbour or on the image's edge, or a background pixel with a foreground 4-neighbour.
 */
export function edgeBandWeights(images: Float32Array, size: number, background: readonly number[], weight: number, radius = 2): Float32Array {
  const n = size * size;
  if (images.length % (n * 3) !== 0) throw new Error(`edge weights: ${images.length} values are not images of ${size}x${size}x3`);
  const b = images.length / (n * 3);
  const out = new Float32Array(b * n);
  const fg = new Uint8Array(n);
  const line = new Uint8Array(n);
  const rows = new Uint8Array(n);
  for (let k = 0; k < b; k++) {
    const base = k * n * 3;
    for (let p = 0; p < n; p++) {
      let d = 0;
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(images[base + p * 3 + c]! - background[c]!));
      fg[p] = d > FOREGROUND_DISTANCE ? 1 : 0;
    }
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const p = i * size + j;
        const differs = (ii: number, jj: number) => (ii < 0 || jj < 0 || ii >= size || jj >= size ? fg[p] === 1 : fg[ii * size + jj] !== fg[p]);
        line[p] = differs(i - 1, j) || differs(i + 1, j) || differs(i, j - 1) || differs(i, j + 1) ? 1 : 0;
      }
    }
    // dilate the outline by `radius` (a square window): along rows, then along columns
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        let m = 0;
        for (let jj = Math.max(0, j - radius); jj <= Math.min(size - 1, j + radius) && m === 0; jj++) m = line[i * size + jj]!;
        rows[i * size + j] = m;
      }
    }
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        let m = 0;
        for (let ii = Math.max(0, i - radius); ii <= Math.min(size - 1, i + radius) && m === 0; ii++) m = rows[ii * size + j]!;
        out[k * n + i * size + j] = 1 + weight * m;
      }
    }
  }
  return out;
}
