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
import { mm, oneHotF, ownVariable } from '../lm/variables';
import { Rng } from '../rng';
import { DiffusionLora, type DiffusionLoraConfig } from './lora';
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

type Init = 'fan' | 'zero' | 'one';

export class UNet {
  readonly config: UNetConfig;
  readonly #params = new Map<string, tf.Variable>();
  readonly #prefix = `unet${nextId++}`;
  #lora: DiffusionLora | null = null;

  /** Fresh weights from `seed`, or the given named weights (e.g. loaded from files). */
  constructor(config: UNetConfig, weights?: ReadonlyMap<string, Float32Array>, seed = 1) {
    this.config = config;
    const rng = new Rng(seed);
    for (const [name, shape, init] of this.#spec()) {
      const size = shape.reduce((a, b) => a * b, 1);
      let values: Float32Array;
      if (weights) {
        const w = weights.get(name);
        if (!w || w.length !== size) throw new Error(`U-Net weights: ${name} missing or of the wrong size`);
        values = Float32Array.from(w);
      } else {
        values = new Float32Array(size);
        if (init === 'one') values.fill(1);
        if (init === 'fan') {
          const bound = Math.sqrt(3 / shape[0]!);
          for (let i = 0; i < size; i++) values[i] = (rng.float() * 2 - 1) * bound;
        }
      }
      this.#params.set(name, ownVariable(tf.tensor(values, shape), `${this.#prefix}/${name}`));
    }
  }

  /** Every weight: name, shape, initialisation. */
  #spec(): Array<[string, number[], Init]> {
    const { channels: [c0, c1], embDim, timeDim, numClasses } = this.config;
    const out: Array<[string, number[], Init]> = [];
    const dense = (n: string, i: number, o: number, init: Init = 'fan') => out.push([`${n}.w`, [i, o], init], [`${n}.b`, [o], 'zero']);
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

  numParams(): number {
    let n = 0;
    for (const v of this.#params.values()) n += v.size;
    return n;
  }

  /** The base weights (not the adapters), by name. */
  weights(): ReadonlyMap<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.#params) out.set(name, v);
    return out;
  }

  variables(): tf.Variable[] {
    return [...this.#params.values()];
  }

  /** Shapes of the 2-D weights, the layers LoRA adapts. */
  matrixShapes(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, v] of this.#params) if (v.rank === 2) out.set(name, [v.shape[0]!, v.shape[1]!]);
    return out;
  }

  get lora(): DiffusionLora | null {
    return this.#lora;
  }

  /** Add LoRA adapters to every weight matrix (an exact no-op until trained). */
  attachLora(config: DiffusionLoraConfig, seed: number): DiffusionLora {
    this.#lora?.dispose();
    this.#lora = new DiffusionLora(config, this.matrixShapes(), Rng.derive(seed, 'unet/lora'), this.#prefix);
    return this.#lora;
  }

  detachLora(): void {
    this.#lora?.dispose();
    this.#lora = null;
  }

  /** Weights as named arrays (for saving). */
  async exportWeights(): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.#params) out.set(name, { shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    return out;
  }

  #p(name: string): tf.Tensor {
    const v = this.#params.get(name);
    if (!v) throw new Error(`U-Net: no weight ${name}`);
    return v;
  }

  #w(name: string): tf.Tensor2D {
    const w = this.#p(`${name}.w`) as tf.Tensor2D;
    return this.#lora ? this.#lora.effective(`${name}.w`, w) : w;
  }

  #dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(mm(x, this.#w(name)), this.#p(`${name}.b`)) as tf.Tensor2D;
  }

  #conv3(x: tf.Tensor4D, name: string, training: boolean): tf.Tensor4D {
    const wt = this.#w(name);
    const y = training ? conv3x3(x, wt) : tf.conv2d(x, tf.reshape(wt, [3, 3, x.shape[3], wt.shape[1]]) as tf.Tensor4D, 1, 'same');
    return tf.add(y, this.#p(`${name}.b`));
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
    return tf.add(tf.mul(norm, this.#p(`${name}.g`)), this.#p(`${name}.b`));
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
    const emb = silu(tf.add(temb, mm(lab, this.#w('label')))) as tf.Tensor2D;
    const h0 = this.#block(this.#conv3(x, 'in', training), emb, 'd0', training);
    const h1 = this.#block(down(h0), emb, 'd1', training);
    const m = this.#block(down(h1), emb, 'mid', training);
    const u1 = this.#block(tf.concat([up(m), h1], 3), emb, 'u1', training);
    const u0 = this.#block(tf.concat([up(u1), h0], 3), emb, 'u0', training);
    return this.#conv3(silu(this.#groupNorm(u0, 'outgn')), 'out', training);
  }

  dispose(): void {
    this.detachLora();
    for (const v of this.#params.values()) v.dispose();
    this.#params.clear();
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
