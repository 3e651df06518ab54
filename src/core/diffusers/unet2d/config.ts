/**
 * diffusers' `UNet2DModel` (`unet/config.json`), free of TF.js: the config fields that change the math read and
 * checked, anything the lab does not compute refused by name (a Stable Diffusion `UNet2DConditionModel`, fourier or
 * learned time embeddings, `scale_shift` resnets, resnet up/down samplers, other block types and activations), and
 * the tensors a checkpoint of the config holds, by their diffusers names and shapes (nn.Linear (out, in), Conv2d
 * (out, in, kh, kw)). The layout of the blocks follows diffusers v0.31 `unet_2d.py` / `unet_2d_blocks.py`.
 */

export class UNet2DConfigError extends Error {}

export type DownBlockType = 'DownBlock2D' | 'AttnDownBlock2D';
export type UpBlockType = 'UpBlock2D' | 'AttnUpBlock2D';
export type Activation = 'silu' | 'mish' | 'gelu' | 'relu';

export interface UNet2DConfig {
  inChannels: number;
  outChannels: number;
  /** The side the model was trained at (pipelines shape their noise with it). */
  sampleSize: number;
  centerInputSample: boolean;
  blockOutChannels: number[];
  downBlockTypes: DownBlockType[];
  upBlockTypes: UpBlockType[];
  layersPerBlock: number;
  normGroups: number;
  normEps: number;
  act: Activation;
  /** Channels per attention head (null: one head of the block's width). */
  attentionHeadDim: number | null;
  /** GroupNorm groups of the mid-block attention (null: normGroups). */
  attnNormGroups: number | null;
  flipSinToCos: boolean;
  freqShift: number;
  downsamplePadding: number;
  midBlockScaleFactor: number;
  addAttention: boolean;
  /** Class-conditional: an embedding of this many classes added to the time embedding. */
  numClassEmbeds: number | null;
}

const ACTIVATIONS: Record<string, Activation> = { silu: 'silu', swish: 'silu', mish: 'mish', gelu: 'gelu', relu: 'relu' };

/** A `unet/config.json` as the lab's UNet2DConfig. */
export function unet2dConfigFromJson(raw: unknown): UNet2DConfig {
  const c = raw as Record<string, unknown> | null;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new UNet2DConfigError('unet/config.json is not a JSON object');
  const cls = c._class_name;
  if (cls === 'UNet2DConditionModel') throw new UNet2DConfigError('UNet2DConditionModel (Stable Diffusion and other text-conditioned UNets) is not supported yet: the lab loads UNet2DModel checkpoints (DDPM/DDIM pipelines)');
  if (cls !== undefined && cls !== 'UNet2DModel') throw new UNet2DConfigError(`_class_name ${JSON.stringify(String(cls).slice(0, 40))} is not supported (supported: UNet2DModel)`);
  const int = (k: string, dflt?: number, min = 1): number => {
    const v = c[k] ?? dflt;
    if (!Number.isSafeInteger(v) || (v as number) < min) throw new UNet2DConfigError(`unet/config.json: ${k} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const refuseUnless = (k: string, allowed: readonly unknown[], dflt: unknown) => {
    const v = c[k] ?? dflt;
    if (!allowed.includes(v)) throw new UNet2DConfigError(`unet/config.json: ${k} ${JSON.stringify(v)} is not supported (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')})`);
  };
  refuseUnless('time_embedding_type', ['positional'], 'positional');
  refuseUnless('resnet_time_scale_shift', ['default'], 'default');
  refuseUnless('downsample_type', ['conv'], 'conv');
  refuseUnless('upsample_type', ['conv'], 'conv');
  refuseUnless('class_embed_type', [null], null);
  refuseUnless('mid_block_type', ['UNetMidBlock2D'], 'UNetMidBlock2D');
  if (c.time_embedding_dim != null) throw new UNet2DConfigError('unet/config.json: time_embedding_dim is not supported (the time embedding is 4 x block_out_channels[0])');
  const blockOut = c.block_out_channels ?? [224, 448, 672, 896];
  if (!Array.isArray(blockOut) || blockOut.length < 1 || blockOut.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new UNet2DConfigError('unet/config.json: block_out_channels must be a list of positive integers');
  const down = c.down_block_types ?? ['DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'];
  const up = c.up_block_types ?? ['AttnUpBlock2D', 'AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'];
  if (!Array.isArray(down) || !Array.isArray(up)) throw new UNet2DConfigError('unet/config.json: down_block_types and up_block_types must be lists');
  for (const t of down) if (t !== 'DownBlock2D' && t !== 'AttnDownBlock2D') throw new UNet2DConfigError(`unet/config.json: down block type ${JSON.stringify(String(t).slice(0, 40))} is not supported (supported: DownBlock2D, AttnDownBlock2D)`);
  for (const t of up) if (t !== 'UpBlock2D' && t !== 'AttnUpBlock2D') throw new UNet2DConfigError(`unet/config.json: up block type ${JSON.stringify(String(t).slice(0, 40))} is not supported (supported: UpBlock2D, AttnUpBlock2D)`);
  if (down.length !== blockOut.length || up.length !== blockOut.length) throw new UNet2DConfigError(`unet/config.json: ${down.length} down and ${up.length} up blocks for ${blockOut.length} block_out_channels`);
  const actName = c.act_fn ?? 'silu';
  const act = ACTIVATIONS[String(actName)];
  if (!act) throw new UNet2DConfigError(`unet/config.json: act_fn ${JSON.stringify(actName)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  const normGroups = int('norm_num_groups', 32);
  // diffusers' default is 8 when the key is absent; an explicit null means one head of the block's width
  const headDim = c.attention_head_dim === undefined ? 8 : c.attention_head_dim === null ? null : int('attention_head_dim');
  const attnNormGroups = c.attn_norm_num_groups == null ? null : int('attn_norm_num_groups');
  for (const ch of blockOut as number[]) {
    if (ch % normGroups !== 0) throw new UNet2DConfigError(`unet/config.json: ${ch} channels are not divisible by norm_num_groups ${normGroups}`);
    if (headDim !== null && ch % headDim !== 0) throw new UNet2DConfigError(`unet/config.json: ${ch} channels are not divisible by attention_head_dim ${headDim}`);
  }
  const sampleSize = Array.isArray(c.sample_size) ? c.sample_size[0] : c.sample_size;
  const eps = c.norm_eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw new UNet2DConfigError('unet/config.json: norm_eps must be a positive number');
  const freqShift = c.freq_shift ?? 0;
  if (typeof freqShift !== 'number') throw new UNet2DConfigError('unet/config.json: freq_shift must be a number');
  const mid = c.mid_block_scale_factor ?? 1;
  if (typeof mid !== 'number' || !(mid > 0)) throw new UNet2DConfigError('unet/config.json: mid_block_scale_factor must be a positive number');
  const classes = c.num_class_embeds == null ? null : int('num_class_embeds');
  const config: UNet2DConfig = {
    inChannels: int('in_channels', 3),
    outChannels: int('out_channels', 3),
    sampleSize: Number.isSafeInteger(sampleSize) && (sampleSize as number) > 0 ? (sampleSize as number) : 32,
    centerInputSample: c.center_input_sample === true,
    blockOutChannels: blockOut as number[],
    downBlockTypes: down as DownBlockType[],
    upBlockTypes: up as UpBlockType[],
    layersPerBlock: int('layers_per_block', 2),
    normGroups,
    normEps: eps,
    act,
    attentionHeadDim: headDim,
    attnNormGroups,
    flipSinToCos: c.flip_sin_to_cos === undefined ? true : c.flip_sin_to_cos === true,
    freqShift,
    downsamplePadding: int('downsample_padding', 1, 0),
    midBlockScaleFactor: mid,
    addAttention: c.add_attention !== false,
    numClassEmbeds: classes,
  };
  if (config.downsamplePadding > 1) throw new UNet2DConfigError(`unet/config.json: downsample_padding ${config.downsamplePadding} is not supported (0 or 1)`);
  if (config.inChannels !== 1 && config.inChannels !== 3) throw new UNet2DConfigError(`unet/config.json: in_channels ${config.inChannels} is not supported (images of 1 or 3 channels)`);
  if (config.outChannels !== config.inChannels) throw new UNet2DConfigError(`unet/config.json: out_channels ${config.outChannels} differs from in_channels ${config.inChannels} (a learned-variance UNet is not supported)`);
  return config;
}

/** A resnet's channels: in -> out (a 1x1 conv_shortcut when they differ). */
export interface ResnetShape {
  prefix: string;
  cin: number;
  cout: number;
}

/** The model's blocks in forward order, with their channels (diffusers' construction, unet_2d.py). */
export interface UNet2DPlan {
  down: Array<{ resnets: ResnetShape[]; attentions: Array<{ prefix: string; channels: number; heads: number }>; downsample: { prefix: string; channels: number } | null }>;
  mid: { resnets: [ResnetShape, ResnetShape]; attention: { prefix: string; channels: number; heads: number; groups: number } | null };
  up: Array<{ resnets: ResnetShape[]; skipChannels: number[]; attentions: Array<{ prefix: string; channels: number; heads: number }>; upsample: { prefix: string; channels: number } | null }>;
}

export function unet2dPlan(c: UNet2DConfig): UNet2DPlan {
  const chans = c.blockOutChannels;
  const heads = (ch: number) => ch / (c.attentionHeadDim ?? ch);
  const n = chans.length;
  const down: UNet2DPlan['down'] = [];
  let out = chans[0]!;
  for (let i = 0; i < n; i++) {
    const input = out;
    out = chans[i]!;
    const attn = c.downBlockTypes[i] === 'AttnDownBlock2D';
    const resnets: ResnetShape[] = [];
    const attentions: Array<{ prefix: string; channels: number; heads: number }> = [];
    for (let j = 0; j < c.layersPerBlock; j++) {
      resnets.push({ prefix: `down_blocks.${i}.resnets.${j}`, cin: j === 0 ? input : out, cout: out });
      if (attn) attentions.push({ prefix: `down_blocks.${i}.attentions.${j}`, channels: out, heads: heads(out) });
    }
    down.push({ resnets, attentions, downsample: i < n - 1 ? { prefix: `down_blocks.${i}.downsamplers.0.conv`, channels: out } : null });
  }
  const last = chans[n - 1]!;
  const mid: UNet2DPlan['mid'] = {
    resnets: [{ prefix: 'mid_block.resnets.0', cin: last, cout: last }, { prefix: 'mid_block.resnets.1', cin: last, cout: last }],
    attention: c.addAttention ? { prefix: 'mid_block.attentions.0', channels: last, heads: heads(last), groups: c.attnNormGroups ?? c.normGroups } : null,
  };
  const rev = [...chans].reverse();
  const up: UNet2DPlan['up'] = [];
  let output = rev[0]!;
  for (let i = 0; i < n; i++) {
    const prev = output;
    output = rev[i]!;
    const input = rev[Math.min(i + 1, n - 1)]!;
    const attn = c.upBlockTypes[i] === 'AttnUpBlock2D';
    const layers = c.layersPerBlock + 1;
    const resnets: ResnetShape[] = [];
    const skipChannels: number[] = [];
    const attentions: Array<{ prefix: string; channels: number; heads: number }> = [];
    for (let j = 0; j < layers; j++) {
      const skip = j === layers - 1 ? input : output;
      skipChannels.push(skip);
      resnets.push({ prefix: `up_blocks.${i}.resnets.${j}`, cin: (j === 0 ? prev : output) + skip, cout: output });
      if (attn) attentions.push({ prefix: `up_blocks.${i}.attentions.${j}`, channels: output, heads: heads(output) });
    }
    up.push({ resnets, skipChannels, attentions, upsample: i < n - 1 ? { prefix: `up_blocks.${i}.upsamplers.0.conv`, channels: output } : null });
  }
  return { down, mid, up };
}

/** Every tensor of a checkpoint of `c`: diffusers name -> shape. */
export function unet2dParamShapes(c: UNet2DConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const C0 = c.blockOutChannels[0]!;
  const T = 4 * C0;
  const conv = (p: string, cin: number, cout: number, k = 3) => out.set(`${p}.weight`, [cout, cin, k, k]).set(`${p}.bias`, [cout]);
  const linear = (p: string, cin: number, cout: number) => out.set(`${p}.weight`, [cout, cin]).set(`${p}.bias`, [cout]);
  const norm = (p: string, ch: number) => out.set(`${p}.weight`, [ch]).set(`${p}.bias`, [ch]);
  const resnet = (r: ResnetShape) => {
    norm(`${r.prefix}.norm1`, r.cin);
    conv(`${r.prefix}.conv1`, r.cin, r.cout);
    linear(`${r.prefix}.time_emb_proj`, T, r.cout);
    norm(`${r.prefix}.norm2`, r.cout);
    conv(`${r.prefix}.conv2`, r.cout, r.cout);
    if (r.cin !== r.cout) conv(`${r.prefix}.conv_shortcut`, r.cin, r.cout, 1);
  };
  const attention = (a: { prefix: string; channels: number }) => {
    norm(`${a.prefix}.group_norm`, a.channels);
    for (const m of ['to_q', 'to_k', 'to_v', 'to_out.0']) linear(`${a.prefix}.${m}`, a.channels, a.channels);
  };
  conv('conv_in', c.inChannels, C0);
  linear('time_embedding.linear_1', C0, T);
  linear('time_embedding.linear_2', T, T);
  if (c.numClassEmbeds !== null) out.set('class_embedding.weight', [c.numClassEmbeds, T]);
  const plan = unet2dPlan(c);
  for (const b of plan.down) {
    b.resnets.forEach((r, j) => {
      resnet(r);
      if (b.attentions[j]) attention(b.attentions[j]!);
    });
    if (b.downsample) conv(b.downsample.prefix, b.downsample.channels, b.downsample.channels);
  }
  resnet(plan.mid.resnets[0]);
  if (plan.mid.attention) attention(plan.mid.attention);
  resnet(plan.mid.resnets[1]);
  for (const b of plan.up) {
    b.resnets.forEach((r, j) => {
      resnet(r);
      if (b.attentions[j]) attention(b.attentions[j]!);
    });
    if (b.upsample) conv(b.upsample.prefix, b.upsample.channels, b.upsample.channels);
  }
  norm('conv_norm_out', C0);
  conv('conv_out', C0, c.outChannels);
  return out;
}

/** Old checkpoints' attention names (google/ddpm-* era), as diffusers renames them at load time. */
const LEGACY_ATTENTION: Array<[RegExp, string]> = [[/\.query\./, '.to_q.'], [/\.key\./, '.to_k.'], [/\.value\./, '.to_v.'], [/\.proj_attn\./, '.to_out.0.']];

/** A checkpoint's tensors by current diffusers names, checked against the config: missing, extra or misshapen named. */
export function unet2dWeights(c: UNet2DConfig, tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>): Map<string, Float32Array> {
  const want = unet2dParamShapes(c);
  const out = new Map<string, Float32Array>();
  const extra: string[] = [];
  for (const [raw, t] of tensors) {
    const name = /\.attentions\.\d+\./.test(raw) ? LEGACY_ATTENTION.reduce((n, [re, to]) => n.replace(re, to), raw) : raw;
    const shape = want.get(name);
    if (!shape) {
      extra.push(raw);
      continue;
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new UNet2DConfigError(`tensor ${raw} has shape [${t.shape.join(', ')}], unet/config.json implies [${shape.join(', ')}]`);
    }
    out.set(name, t.values);
  }
  for (const name of want.keys()) if (!out.has(name)) throw new UNet2DConfigError(`the checkpoint has no tensor ${name}`);
  if (extra.length) throw new UNet2DConfigError(`the checkpoint has tensors a UNet2DModel of this config does not: ${extra.slice(0, 5).join(', ')}`);
  return out;
}

/** The number of parameters of a model of `c`. */
export function unet2dParamCount(c: UNet2DConfig): number {
  let n = 0;
  for (const s of unet2dParamShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
