/**
 * A compact conditional U-Net that predicts v = sqrt(aBar) eps - sqrt(1 - aBar) x0 (v-prediction, train.ts) for a
 * noisy 16x16 RGB image (NHWC, values in [-1, 1]):
 * two resolutions below the input (16 -> 8 -> 4), residual blocks with GroupNorm, SiLU, a timestep embedding
 * (sinusoidal features -> MLP) and a label embedding (one-hot x matrix; class NULL_LABEL = unconditional, for
 * classifier-free guidance) added to every block.
 *
 * Backend notes: TF.js's WASM backend has no gradient for conv2d's filter, so when training a 3x3 convolution is
 * `conv3x3`: `tf.conv2d` forward with a custom gradient (conv2dTranspose for the input, im2col(x)^T dy for the
 * weight); for inference it is plain `tf.conv2d` with the same weights reshaped to [3, 3, in, out]. Every weight is a 2-D matrix, so
 * LoRA adapters (lora.ts) apply uniformly to convolutions and dense layers. Works on wasm, cpu, webgl, webgpu.
 */
import * as tf from '@tensorflow/tfjs';
import { mm, oneHotF } from '../lm/variables';
import { AdaptableWeights, type WeightInit, type WeightSpec } from './adaptable-weights';
import { timestepFeatures } from './schedule';

export interface UNetConfig {
  /** Image side in pixels (divisible by 4). */
  size: number;
  /** Channels at full and half resolution (the quarter resolution uses the second). */
  channels: [number, number];
  /** Width of the timestep + label embedding. */
  embDim: number;
  /** Sinusoidal timestep features (even). */
  timeDim: number;
  /** GroupNorm groups (divides every channel count). */
  groups: number;
  /** Label classes including the null label. */
  numClasses: number;
}

let nextId = 0;

export class UNet extends AdaptableWeights {
  readonly config: UNetConfig;

  /** Fresh weights from `seed`, or the given named weights (e.g. loaded from files). LoRA adapts every 2-D weight. */
  constructor(config: UNetConfig, weights?: ReadonlyMap<string, Float32Array>, seed = 1) {
    super(unetSpec(config), weights, seed, { what: 'U-Net', prefix: `unet${nextId++}`, loraLabel: 'unet/lora', adapts: (_, shape) => shape.length === 2 });
    this.config = config;
  }

  #dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(mm(x, this.weight(name)), this.param(`${name}.b`)) as tf.Tensor2D;
  }

  #conv3(x: tf.Tensor4D, name: string, training: boolean): tf.Tensor4D {
    const wt = this.weight(name);
    const y = training ? conv3x3(x, wt) : tf.conv2d(x, tf.reshape(wt, [3, 3, x.shape[3], wt.shape[1]]) as tf.Tensor4D, 1, 'same');
    return tf.add(y, this.param(`${name}.b`));
  }

  #conv1(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const [b, h, w, cin] = x.shape;
    const y = this.#dense(tf.reshape(x, [b * h * w, cin]) as tf.Tensor2D, name);
    return tf.reshape(y, [b, h, w, y.shape[1]]);
  }

  #groupNorm(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const g = Math.min(this.config.groups, c);
    const xr = tf.reshape(x, [b, h * w, g, c / g]);
    const { mean, variance } = tf.moments(xr, [1, 3], true);
    const norm = tf.reshape(tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, 1e-5))), [b, h, w, c]);
    return tf.add(tf.mul(norm, this.param(`${name}.g`)), this.param(`${name}.b`));
  }

  #block(x: tf.Tensor4D, emb: tf.Tensor2D, name: string, training: boolean): tf.Tensor4D {
    const [b, , , cin] = x.shape;
    let h = this.#conv3(silu(this.#groupNorm(x, `${name}.gn1`)), `${name}.conv1`, training);
    const cout = h.shape[3];
    h = tf.add(h, tf.reshape(this.#dense(emb, `${name}.emb`), [b, 1, 1, cout]));
    h = this.#conv3(silu(this.#groupNorm(h, `${name}.gn2`)), `${name}.conv2`, training);
    const skip = cin === cout ? x : this.#conv1(x, `${name}.skip`);
    return tf.add(h, skip);
  }

  /**
   * Predicted v (B, S, S, 3) for noisy images x (B, S, S, 3) at timesteps t with labels (class ids). Call inside
   * tf.tidy. `training` selects `conv3x3`, the convolution whose gradients every backend has.
   */
  forward(x: tf.Tensor4D, t: readonly number[], labels: readonly number[], training = false): tf.Tensor4D {
    const { timeDim, numClasses } = this.config;
    const b = x.shape[0];
    if (t.length !== b || labels.length !== b) throw new Error('U-Net: t and labels need one entry per image');
    const tf0 = tf.tensor2d(timestepFeatures(t, timeDim), [b, timeDim]);
    const lab = oneHotF(tf.tensor1d(labels.slice(), 'int32'), numClasses);
    const temb = this.#dense(silu(this.#dense(tf0, 'time1')), 'time2');
    const emb = silu(tf.add(temb, mm(lab, this.weight('label')))) as tf.Tensor2D;
    const h0 = this.#block(this.#conv3(x, 'in', training), emb, 'd0', training);
    const h1 = this.#block(down(h0), emb, 'd1', training);
    const m = this.#block(down(h1), emb, 'mid', training);
    const u1 = this.#block(tf.concat([up(m), h1], 3), emb, 'u1', training);
    const u0 = this.#block(tf.concat([up(u1), h0], 3), emb, 'u0', training);
    return this.#conv3(silu(this.#groupNorm(u0, 'outgn')), 'out', training);
  }
}

/** The 3x3 neighbourhoods of x as rows: pad, 9 shifted slices, concat -> (B * H * W, 9 * C). */
export function im2col3x3(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  const p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  // concat in groups of three: some backends limit the inputs of one concat shader
  const rows = [0, 1, 2].map((dy) => tf.concat([0, 1, 2].map((dx) => tf.slice(p, [0, dy, dx, 0], [b, h, w, c])), 3));
  return tf.reshape(tf.concat(rows, 3), [b * h * w, 9 * c]) as tf.Tensor2D;
}

/**
 * 3x3 'same' convolution with a (9 * in, out) weight matrix, with gradients on every backend: the forward pass and
 * the input gradient are conv2d / conv2dTranspose (WASM has both), the weight gradient is im2col(x)^T dy.
 */
export const conv3x3 = tf.customGrad(((x: tf.Tensor4D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  const [b, h, wd, cin] = x.shape;
  const cout = w.shape[1];
  return {
    value: tf.conv2d(x, tf.reshape(w, [3, 3, cin, cout]) as tf.Tensor4D, 1, 'same'),
    gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor2D];
      const dx = tf.conv2dTranspose(dy, tf.reshape(sw, [3, 3, cin, cout]) as tf.Tensor4D, [b, h, wd, cin], 1, 'same');
      const dw = tf.matMul(tf.transpose(im2col3x3(sx)), tf.reshape(dy, [b * h * wd, cout]));
      return [dx, dw];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D, w: tf.Tensor2D) => tf.Tensor4D;

function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/** 2x2 average pooling as a reshape and a mean (gradients on every backend). */
function down(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(tf.mean(tf.reshape(x, [b * (h / 2), 2, w / 2, 2, c]), [1, 3]), [b, h / 2, w / 2, c]);
}

/** 2x nearest-neighbour upsampling as a broadcast multiply. */
function up(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(tf.mul(tf.reshape(x, [b * h, 1, w, 1, c]), tf.ones([1, 2, 1, 2, 1])), [b, 2 * h, 2 * w, c]);
}

/** Every weight of a U-Net: name, shape, initialisation. */
function unetSpec(config: UNetConfig): WeightSpec {
  const { channels: [c0, c1], embDim, timeDim, numClasses } = config;
  const out: Array<[string, number[], WeightInit]> = [];
  const dense = (n: string, i: number, o: number, init: WeightInit = 'fan') => out.push([`${n}.w`, [i, o], init], [`${n}.b`, [o], 'zero']);
  const norm = (n: string, c: number) => out.push([`${n}.g`, [c], 'one'], [`${n}.b`, [c], 'zero']);
  const block = (n: string, cin: number, cout: number) => {
    norm(`${n}.gn1`, cin);
    dense(`${n}.conv1`, 9 * cin, cout);
    dense(`${n}.emb`, embDim, cout);
    norm(`${n}.gn2`, cout);
    dense(`${n}.conv2`, 9 * cout, cout, 'zero');
    if (cin !== cout) dense(`${n}.skip`, cin, cout);
  };
  dense('time1', timeDim, embDim);
  dense('time2', embDim, embDim);
  out.push(['label.w', [numClasses, embDim], 'fan']);
  dense('in', 27, c0);
  block('d0', c0, c0);
  block('d1', c0, c1);
  block('mid', c1, c1);
  block('u1', 2 * c1, c1);
  block('u0', c1 + c0, c0);
  norm('outgn', c0);
  dense('out', 9 * c0, 3, 'zero');
  return out;
}
