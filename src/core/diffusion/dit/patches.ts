/**
 * Images <-> patch tokens, and the 2-D sinusoidal position embedding of a patch grid (MAE / DiT's fixed
 * embedding). The embedding is computed for any grid, so the model accepts any image side that is a multiple of
 * the patch: a 48 px image is a 12 x 12 grid whose positions (8..11) the 32 px model never saw - a valid input
 * that is out of distribution (the resolution-adaptation experiment starts from it).
 */
import * as tf from '@tensorflow/tfjs';

/** (B, S, S, 3) -> (B * T, p * p * 3), tokens row by row, each patch's values as (py, px, c). */
export function patchify(x: tf.Tensor4D, p: number): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  const gh = h / p;
  const gw = w / p;
  const r = tf.reshape(x, [b * gh, p, gw, p * c]); // (B * gh, py, gw, px * c)
  return tf.reshape(tf.transpose(r, [0, 2, 1, 3]), [b * gh * gw, p * p * c]);
}

/** The inverse of patchify: (B * T, p * p * 3) -> (B, S, S, 3). */
export function unpatchify(t: tf.Tensor2D, b: number, size: number, p: number): tf.Tensor4D {
  const g = size / p;
  const c = t.shape[1] / (p * p);
  const r = tf.reshape(t, [b * g, g, p, p * c]); // (B * gh, gw, py, px * c)
  return tf.reshape(tf.transpose(r, [0, 2, 1, 3]), [b, size, size, c]);
}

const cache = new Map<string, Float32Array>();

/**
 * Fixed 2-D sin-cos position embedding (gh * gw, dim), dim divisible by 4: the first half encodes the row, the
 * second the column, each as [sin(pos w_k), cos(pos w_k)] with w_k = 10000^(-k / (dim / 4)).
 */
export function posEmbed2d(gh: number, gw: number, dim: number): Float32Array {
  const key = `${gh}x${gw}x${dim}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (dim % 4 !== 0) throw new Error(`2-D position embedding: width ${dim} is not a multiple of 4`);
  const q = dim / 4;
  const out = new Float32Array(gh * gw * dim);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const row = (y * gw + x) * dim;
      for (let k = 0; k < q; k++) {
        const w = 10000 ** (-k / q);
        out[row + k] = Math.sin(y * w);
        out[row + q + k] = Math.cos(y * w);
        out[row + 2 * q + k] = Math.sin(x * w);
        out[row + 3 * q + k] = Math.cos(x * w);
      }
    }
  }
  cache.set(key, out);
  return out;
}

const biasCache = new Map<string, Float32Array>();

/**
 * The grid position (y, x), in patches, of pooled image key k on a g x g patch grid: the centre of the keyPool x
 * keyPool patches it averages (row-major over the g / keyPool key grid; keyPool 1 = the patch itself).
 */
export function pooledKeyCentre(k: number, g: number, keyPool: number): [number, number] {
  const kg = g / keyPool;
  return [Math.floor(k / kg) * keyPool + (keyPool - 1) / 2, (k % kg) * keyPool + (keyPool - 1) / 2];
}

/**
 * The 2-D ALiBi logit bias (heads, g * g, keys + textKeys) of a g x g grid of query patches: head h gets
 * -slope / 2^h x the Euclidean distance (in patches) from the query to the key, whose position is the centre of
 * the keyPool x keyPool patches it averages; the last `textKeys` keys (the prompt's) get 0.
 */
export function distanceBias(g: number, keyPool: number, heads: number, slope: number, textKeys: number): Float32Array {
  const key = `${g}/${keyPool}/${heads}/${slope}/${textKeys}`;
  const hit = biasCache.get(key);
  if (hit) return hit;
  const kg = g / keyPool;
  const keys = kg * kg + textKeys;
  const out = new Float32Array(heads * g * g * keys);
  for (let h = 0; h < heads; h++) {
    const m = slope / 2 ** h;
    for (let q = 0; q < g * g; q++) {
      const qy = Math.floor(q / g), qx = q % g;
      const row = (h * g * g + q) * keys;
      for (let k = 0; k < kg * kg; k++) {
        const [ky, kx] = pooledKeyCentre(k, g, keyPool);
        out[row + k] = -m * Math.hypot(qy - ky, qx - kx);
      }
    }
  }
  biasCache.set(key, out);
  return out;
}

/**
 * 3x3 depthwise convolution of token rows of b images on a g x g grid (B * g * g, C) with taps w (9, C) (row-major
 * over dy, dx in -1..1), zero padding at the grid's edge: nine shifted slices of the padded grid, each times its
 * tap. Pad, slice, mul and add have gradients on every backend (WASM has no depthwise-convolution gradient).
 */
export function depthwise3x3(x: tf.Tensor2D, w: tf.Tensor2D, b: number, g: number): tf.Tensor2D {
  const c = x.shape[1];
  const padded = tf.pad(tf.reshape(x, [b, g, g, c]), [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const taps = tf.unstack(w);
  let sum: tf.Tensor | null = null;
  for (let k = 0; k < 9; k++) {
    const term = tf.mul(tf.slice(padded, [0, Math.floor(k / 3), k % 3, 0], [b, g, g, c]), taps[k]!);
    sum = sum ? tf.add(sum, term) : term;
  }
  return tf.reshape(sum!, [b * g * g, c]);
}
