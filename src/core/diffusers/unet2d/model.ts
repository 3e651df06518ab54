/**
 * diffusers' `UNet2DModel` forward pass in TF.js (unconditional and class-conditional DDPM/DDIM UNets): sinusoidal
 * time embedding and its MLP, conv_in, down blocks (resnets, optional self-attention, strided-conv downsamplers),
 * the mid block (resnet, attention, resnet), up blocks (resnets over the concatenated skips, attention, nearest x2 +
 * conv upsamplers), GroupNorm + SiLU + conv_out. Inputs and outputs are NCHW as in diffusers; inside, NHWC (TF.js's
 * conv layout). Shapes: B = batch, H, W = spatial, C = channels, T = time-embedding width (4 x C0).
 *
 * Weights are kept by their diffusers names; convolutions as (kh, kw, in, out), linear layers as (in, out) (the
 * checkpoint's (out, in, kh, kw) and (out, in), transposed once on load and back on export).
 */
import * as tf from '@tensorflow/tfjs';
import { transpose } from '../../hub/transpose';
import { ownVariable } from '../../lm/variables';
import { conv3x3 } from '../../diffusion/unet';
import { Rng } from '../../rng';
import { UNET_LORA_TARGETS, UNetLora, unetLoraFromPeft, unetLoraModules, type PeftAdapterFiles, type UNetLoraConfig } from './lora';
import { unet2dPlan, unet2dParamShapes, type Activation, type ResnetShape, type UNet2DConfig, type UNet2DPlan } from './config';

let nextId = 0;

/** Checkpoint (out, in, kh, kw) -> (kh, kw, in, out); (out, in) -> (in, out); 1-D and embeddings as they are. */
export function toLabLayout(name: string, shape: number[], values: Float32Array): { shape: number[]; values: Float32Array } {
  if (shape.length === 4) {
    const [o, i, kh, kw] = shape as [number, number, number, number];
    const out = new Float32Array(values.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = values[((a * i + b) * kh + y) * kw + x]!;
    return { shape: [kh, kw, i, o], values: out };
  }
  if (shape.length === 2 && !name.startsWith('class_embedding')) {
    const [o, i] = shape as [number, number];
    return { shape: [i, o], values: transpose(values, o, i) };
  }
  return { shape, values };
}

/** The inverse of toLabLayout. */
export function toHubLayout(name: string, shape: number[], values: Float32Array): { shape: number[]; values: Float32Array } {
  if (shape.length === 4) {
    const [kh, kw, i, o] = shape as [number, number, number, number];
    const out = new Float32Array(values.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((a * i + b) * kh + y) * kw + x] = values[((y * kw + x) * i + b) * o + a]!;
    return { shape: [o, i, kh, kw], values: out };
  }
  if (shape.length === 2 && !name.startsWith('class_embedding')) {
    const [i, o] = shape as [number, number];
    return { shape: [o, i], values: transpose(values, i, o) };
  }
  return { shape, values };
}

function activation(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'silu': return tf.mul(x, tf.sigmoid(x));
    case 'relu': return tf.relu(x);
    case 'mish': return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}

const silu = (x: tf.Tensor) => activation(x, 'silu');

/**
 * A stride-1 'same' convolution whose weight does not train (LoRA runs): the input gradient is itself a convolution,
 * with the filter turned 180 degrees and its in/out axes swapped. On the WASM backend that is ~5x faster than TF.js's
 * own gradient (conv2dTranspose), and the weight gradient, which nothing asks for, is never computed.
 */
function frozenConv(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const f = tf.customGrad(((xIn: tf.Tensor4D) => ({
    value: tf.conv2d(xIn, w, 1, 'same'),
    gradFunc: (dy: tf.Tensor4D) => tf.conv2d(dy, tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same'),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
  return f(x);
}

export class UNet2DModel {
  readonly plan: UNet2DPlan;
  readonly params = new Map<string, tf.Variable>();
  readonly #prefix = `unet2d${nextId++}`;
  lora: UNetLora | null = null;

  /** `weights` by diffusers name in the checkpoint's layout (unet2dWeights). */
  constructor(readonly config: UNet2DConfig, weights: ReadonlyMap<string, Float32Array>) {
    this.plan = unet2dPlan(config);
    for (const [name, shape] of unet2dParamShapes(config)) {
      const v = weights.get(name);
      if (!v) throw new Error(`UNet2DModel: no weight ${name}`);
      const lab = toLabLayout(name, shape, v);
      this.params.set(name, ownVariable(tf.tensor(lab.values, lab.shape), `${this.#prefix}/${name}`));
    }
  }

  numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  #p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`UNet2DModel: no parameter ${name}`);
    return v;
  }

  /** Fresh LoRA adapters on the targets (an exact no-op until trained); replaces any attached. */
  attachLora(config: UNetLoraConfig, seed: number): UNetLora {
    this.detachLora();
    this.lora = new UNetLora(config, unetLoraModules(this.plan, config.targets), new Rng(seed), this.#prefix);
    return this.lora;
  }

  /** A PEFT LoRA adapter attached (replacing any adapters), each module with its own rank and scale. */
  attachPeft(adapter: PeftAdapterFiles, seed: number): UNetLora {
    const read = unetLoraFromPeft(adapter, unetLoraModules(this.plan, UNET_LORA_TARGETS));
    const lora = this.attachLora(read.config, seed);
    for (const [name, a] of read.adapters) lora.setAdapter(name, a.a, a.b, a.nIn, a.nOut, a.scale);
    return lora;
  }

  detachLora(): void {
    this.lora?.dispose();
    this.lora = null;
  }

  /** x (N, in) -> (N, out), with the LoRA delta when the layer has an enabled adapter. */
  #linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.add(tf.matMul(x, this.#p(`${name}.weight`) as tf.Tensor2D), this.#p(`${name}.bias`)) as tf.Tensor2D;
    const d = this.lora?.delta(name, x);
    return d ? tf.add(y, d) : y;
  }

  /**
   * Conv2d 'same' (3x3 pad 1, or 1x1), stride 1. x (B, H, W, Cin) -> (B, H, W, Cout). An adapted 3x3 conv runs as
   * W + delta through conv3x3 (its weight gradient is im2col(x)^T dy: the WASM backend has no conv filter gradient).
   */
  #conv(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const w = this.#p(`${name}.weight`) as tf.Tensor4D;
    const d = this.lora?.weightDelta(name);
    if (d) {
      const [kh, kw, cin, cout] = w.shape;
      return tf.add(conv3x3(x, tf.add(tf.reshape(w, [kh * kw * cin, cout]), d) as tf.Tensor2D), this.#p(`${name}.bias`)) as tf.Tensor4D;
    }
    return tf.add(frozenConv(x, w), this.#p(`${name}.bias`)) as tf.Tensor4D;
  }

  /** GroupNorm over (H, W, C / G) per group, then the per-channel affine. x (B, H, W, C). */
  #groupNorm(name: string, x: tf.Tensor4D, groups: number): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    const g = tf.reshape(x, [B, H, W, groups, C / groups]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    const n = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, this.config.normEps))), [B, H, W, C]);
    return tf.add(tf.mul(n, this.#p(`${name}.weight`)), this.#p(`${name}.bias`)) as tf.Tensor4D;
  }

  /** ResnetBlock2D (time scale-shift "default"). temb (B, T). */
  #resnet(r: ResnetShape, x: tf.Tensor4D, temb: tf.Tensor2D, scale: number): tf.Tensor4D {
    const { act, normGroups } = this.config;
    let h = this.#conv(`${r.prefix}.conv1`, activation(this.#groupNorm(`${r.prefix}.norm1`, x, normGroups), act) as tf.Tensor4D);
    const t = this.#linear(`${r.prefix}.time_emb_proj`, activation(temb, act) as tf.Tensor2D); // (B, out)
    h = tf.add(h, tf.reshape(t, [t.shape[0], 1, 1, t.shape[1]]));
    h = this.#conv(`${r.prefix}.conv2`, activation(this.#groupNorm(`${r.prefix}.norm2`, h, normGroups), act) as tf.Tensor4D);
    const skip = r.cin !== r.cout ? this.#conv(`${r.prefix}.conv_shortcut`, x) : x;
    const out = tf.add(skip, h) as tf.Tensor4D;
    return scale === 1 ? out : tf.div(out, scale);
  }

  /** Self-attention over the H*W positions with a residual, divided by `rescale`. x (B, H, W, C). */
  #attention(a: { prefix: string; channels: number; heads: number }, x: tf.Tensor4D, groups: number, rescale: number): tf.Tensor4D {
    const [B, H, W, C] = x.shape;
    const N = H * W;
    const D = C / a.heads;
    const h = tf.reshape(this.#groupNorm(`${a.prefix}.group_norm`, x, groups), [B * N, C]) as tf.Tensor2D;
    const heads = (m: string) => tf.transpose(tf.reshape(this.#linear(`${a.prefix}.${m}`, h), [B, N, a.heads, D]), [0, 2, 1, 3]); // (B, heads, N, D)
    const q = heads('to_q');
    const k = heads('to_k');
    const v = heads('to_v');
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), -1); // (B, heads, N, N)
    const y = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * N, C]) as tf.Tensor2D;
    const out = tf.add(tf.reshape(this.#linear(`${a.prefix}.to_out.0`, y), [B, H, W, C]), x) as tf.Tensor4D;
    return rescale === 1 ? out : tf.div(out, rescale);
  }

  /** Sinusoidal features of the timesteps (B, C0) as diffusers' Timesteps computes them (float32). */
  timeFeatures(timesteps: readonly number[]): Float32Array {
    const C0 = this.config.blockOutChannels[0]!;
    const half = Math.floor(C0 / 2);
    const f = Math.fround;
    const freqs = Array.from({ length: half }, (_, j) => f(Math.exp(f(f(-Math.log(10000) * j) / (half - this.config.freqShift)))));
    const out = new Float32Array(timesteps.length * C0);
    timesteps.forEach((t, b) => {
      for (let j = 0; j < half; j++) {
        const arg = f(f(t) * freqs[j]!);
        const [first, second] = this.config.flipSinToCos ? [Math.cos(arg), Math.sin(arg)] : [Math.sin(arg), Math.cos(arg)];
        out[b * C0 + j] = first;
        out[b * C0 + half + j] = second;
      }
    });
    return out;
  }

  /**
   * The model output for a noisy sample (B, C, H, W) at one timestep per row (or one for all), with class labels
   * where the model has a class embedding. Call inside tf.tidy. H and W must be divisible by 2^(blocks - 1).
   */
  forward(sample: tf.Tensor4D, timesteps: readonly number[], classLabels?: readonly number[]): tf.Tensor4D {
    const c = this.config;
    const [B, , H, W] = sample.shape;
    const f = 2 ** (c.blockOutChannels.length - 1);
    if (H % f !== 0 || W % f !== 0) throw new Error(`the sample's ${H}x${W} pixels are not divisible by ${f} (2^(blocks - 1))`);
    const ts = timesteps.length === 1 ? Array(B).fill(timesteps[0]) : timesteps;
    if (ts.length !== B) throw new Error(`${timesteps.length} timesteps for a batch of ${B}`);
    if (c.numClassEmbeds !== null && !classLabels) throw new Error('class_labels are required: the model is class-conditional');
    if (c.numClassEmbeds === null && classLabels) throw new Error('class_labels given, but the model has no class embedding');
    let x = tf.transpose(sample, [0, 2, 3, 1]) as tf.Tensor4D; // (B, H, W, C)
    if (c.centerInputSample) x = tf.sub(tf.mul(x, 2), 1);
    const C0 = c.blockOutChannels[0]!;
    let temb = this.#linear('time_embedding.linear_2', silu(this.#linear('time_embedding.linear_1', tf.tensor2d(this.timeFeatures(ts), [B, C0]))) as tf.Tensor2D);
    if (classLabels) {
      if (classLabels.length !== B || classLabels.some((l) => !Number.isInteger(l) || l < 0 || l >= c.numClassEmbeds!)) {
        throw new Error(`class labels must be ${B} integers from 0 to ${c.numClassEmbeds! - 1}`);
      }
      temb = tf.add(temb, tf.gather(this.#p('class_embedding.weight'), tf.tensor1d([...classLabels], 'int32'))) as tf.Tensor2D;
    }
    x = this.#conv('conv_in', x);
    const skips: tf.Tensor4D[] = [x];
    for (const block of this.plan.down) {
      block.resnets.forEach((r, j) => {
        x = this.#resnet(r, x, temb, 1);
        const a = block.attentions[j];
        if (a) x = this.#attention(a, x, c.normGroups, 1);
        skips.push(x);
      });
      if (block.downsample) {
        const p = c.downsamplePadding;
        const padded = p === 0 ? tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]) : tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
        x = tf.add(tf.conv2d(padded as tf.Tensor4D, this.#p(`${block.downsample.prefix}.weight`) as tf.Tensor4D, 2, 'valid'), this.#p(`${block.downsample.prefix}.bias`)) as tf.Tensor4D;
        skips.push(x);
      }
    }
    const mid = this.plan.mid;
    x = this.#resnet(mid.resnets[0], x, temb, c.midBlockScaleFactor);
    if (mid.attention) x = this.#attention(mid.attention, x, mid.attention.groups, c.midBlockScaleFactor);
    x = this.#resnet(mid.resnets[1], x, temb, c.midBlockScaleFactor);
    for (const block of this.plan.up) {
      block.resnets.forEach((r, j) => {
        x = this.#resnet(r, tf.concat([x, skips.pop()!], 3), temb, 1);
        const a = block.attentions[j];
        if (a) x = this.#attention(a, x, c.normGroups, 1);
      });
      if (block.upsample) {
        const [b, h, w, ch] = x.shape;
        const up = tf.reshape(tf.mul(tf.reshape(x, [b * h, 1, w, 1, ch]), tf.ones([1, 2, 1, 2, 1])), [b, 2 * h, 2 * w, ch]) as tf.Tensor4D;
        x = this.#conv(block.upsample.prefix, up);
      }
    }
    x = this.#conv('conv_out', silu(this.#groupNorm('conv_norm_out', x, c.normGroups)) as tf.Tensor4D);
    return tf.transpose(x, [0, 3, 1, 2]) as tf.Tensor4D;
  }

  /**
   * Weights by diffusers name in the checkpoint's layout: with the LoRA adapters merged in (`merge`, a merged
   * export; the live model is left as it was) or the base weights.
   */
  async exportWeights(adapters: 'merge' | 'drop' = 'merge'): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, v] of this.params) {
      const module = name.slice(0, -'.weight'.length);
      const ad = adapters === 'merge' && name.endsWith('.weight') ? this.lora?.get(module) : undefined;
      let values = (await v.data()) as Float32Array;
      if (ad) {
        const delta = tf.tidy(() => tf.mul(tf.matMul(ad.a, ad.b), ad.scale)); // (in, out): the lab's layout, flattened
        const d = (await delta.data()) as Float32Array;
        delta.dispose();
        values = values.map((x, i) => x + d[i]!);
      }
      out.set(name, toHubLayout(name, v.shape, values));
    }
    return out;
  }

  dispose(): void {
    this.detachLora();
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
