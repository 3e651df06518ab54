/**
 * LoRA on a diffusers UNet2DModel, in diffusers' module names: the attention projections `to_q`, `to_k`, `to_v`,
 * `to_out.0` and (optionally) the resnets' 3x3 convolutions `conv1`, `conv2`. An adapter is a (in, r) and b (r, out);
 * a convolution's input axis is its (kh, kw, in) patch, 9 x in (the lab's HWIO layout). PEFT's format (what
 * `PeftModel.from_pretrained(unet, dir)` opens): `base_model.model.<module>.lora_A.weight` (r, in) or, for a
 * Conv2d, (r, in, kh, kw), and `lora_B.weight` (out, r) or (out, r, 1, 1), delta = B A * lora_alpha / r.
 */
import * as tf from '@tensorflow/tfjs';
import { LoraAdapters } from '../../lora-adapters';
import { patternValue } from '../../hub/peft';
import { readSafetensors } from '../../hub/safetensors';
import { transpose } from '../../hub/transpose';
import type { Rng } from '../../rng';
import type { UNet2DPlan } from './config';

import { UNET_LORA_TARGETS, type UNetLoraTarget } from './lora-targets';

export { DEFAULT_UNET_LORA_TARGETS, UNET_LORA_TARGETS, type UNetLoraTarget } from './lora-targets';

export class UNetLoraError extends Error {}

export function parseUnetLoraTargets(list: string): UNetLoraTarget[] {
  const out: UNetLoraTarget[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(UNET_LORA_TARGETS as readonly string[]).includes(raw)) throw new UNetLoraError(`LoRA target ${JSON.stringify(raw.slice(0, 20))} is not a layer of a UNet2DModel; it has ${UNET_LORA_TARGETS.join(', ')}`);
    if (!out.includes(raw as UNetLoraTarget)) out.push(raw as UNetLoraTarget);
  }
  if (out.length === 0) throw new UNetLoraError('LoRA targets: the list is empty');
  return out;
}

/** Every module the targets adapt: diffusers path -> (in, out) of its adapter, and whether it is a 3x3 conv. */
export function unetLoraModules(plan: UNet2DPlan, targets: readonly UNetLoraTarget[]): Map<string, { nIn: number; nOut: number; conv: boolean }> {
  const out = new Map<string, { nIn: number; nOut: number; conv: boolean }>();
  const resnets = [...plan.down.flatMap((b) => b.resnets), ...plan.mid.resnets, ...plan.up.flatMap((b) => b.resnets)];
  const attentions = [...plan.down.flatMap((b) => b.attentions), ...(plan.mid.attention ? [plan.mid.attention] : []), ...plan.up.flatMap((b) => b.attentions)];
  for (const a of attentions) for (const m of ['to_q', 'to_k', 'to_v', 'to_out.0'] as const) if (targets.includes(m)) out.set(`${a.prefix}.${m}`, { nIn: a.channels, nOut: a.channels, conv: false });
  for (const r of resnets) {
    if (targets.includes('conv1')) out.set(`${r.prefix}.conv1`, { nIn: 9 * r.cin, nOut: r.cout, conv: true });
    if (targets.includes('conv2')) out.set(`${r.prefix}.conv2`, { nIn: 9 * r.cout, nOut: r.cout, conv: true });
  }
  return out;
}

export interface UNetLoraConfig {
  rank: number;
  alpha: number;
  targets: readonly UNetLoraTarget[];
}

export class UNetLora extends LoraAdapters {
  constructor(
    readonly config: UNetLoraConfig,
    readonly modules: ReadonlyMap<string, { nIn: number; nOut: number; conv: boolean }>,
    rng: Rng,
    prefix: string,
  ) {
    super(config.rank, config.alpha, [...modules].map(([n, m]) => [n, [m.nIn, m.nOut] as [number, number]]), rng, prefix);
  }

  /** x (N, in) @ (scale a b): the adapter's contribution, or null when off or absent. */
  delta(name: string, x: tf.Tensor2D): tf.Tensor2D | null {
    const ad = this.active(name);
    return ad ? (tf.mul(tf.matMul(tf.matMul(x, ad.a), ad.b), ad.scale) as tf.Tensor2D) : null;
  }

  /** scale a b (in, out), or null: the weight delta of a convolution's (9 in, out) matrix. */
  weightDelta(name: string): tf.Tensor2D | null {
    const ad = this.active(name);
    return ad ? (tf.mul(tf.matMul(ad.a, ad.b), ad.scale) as tf.Tensor2D) : null;
  }
}

export interface PeftAdapterFiles {
  config: Record<string, unknown>;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

const PREFIX = 'base_model.model.';

/** The adapters in PEFT's format (one rank and alpha: the set's own). */
export async function unetLoraToPeft(lora: UNetLora, base: string, revision: string | null): Promise<PeftAdapterFiles> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, m] of lora.modules) {
    const ad = lora.get(name)!;
    const r = ad.a.shape[1]!;
    const a = (await ad.a.data()) as Float32Array; // (in, r), in = (kh, kw, cin) for a conv
    const b = (await ad.b.data()) as Float32Array; // (r, out)
    if (m.conv) {
      const cin = m.nIn / 9;
      const A = new Float32Array(r * cin * 9); // (r, cin, 3, 3)
      for (let k = 0; k < r; k++) for (let i = 0; i < cin; i++) for (let p = 0; p < 9; p++) A[(k * cin + i) * 9 + p] = a[(p * cin + i) * r + k]!;
      tensors.set(`${PREFIX}${name}.lora_A.weight`, { shape: [r, cin, 3, 3], values: A });
      tensors.set(`${PREFIX}${name}.lora_B.weight`, { shape: [m.nOut, r, 1, 1], values: transpose(b, r, m.nOut) });
    } else {
      tensors.set(`${PREFIX}${name}.lora_A.weight`, { shape: [r, m.nIn], values: transpose(a, m.nIn, r) });
      tensors.set(`${PREFIX}${name}.lora_B.weight`, { shape: [m.nOut, r], values: transpose(b, r, m.nOut) });
    }
  }
  // r and lora_alpha of the set; a module whose adapter has another rank (capped at min(rank, in, out)) or scale (an
  // imported adapter's) is named in rank_pattern / alpha_pattern by its path, as PEFT matches them
  const r0 = lora.config.rank;
  const a0 = lora.config.alpha;
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const name of lora.modules.keys()) {
    const ad = lora.get(name)!;
    const r = ad.a.shape[1]!;
    const alpha = ad.scale * r;
    if (r !== r0) rankPattern[name] = r;
    if (Math.abs(alpha - a0) > 1e-9 * Math.max(1, a0)) alphaPattern[name] = alpha;
  }
  const config: Record<string, unknown> = {
    peft_type: 'LORA', task_type: null, base_model_name_or_path: base, revision,
    r: r0, lora_alpha: a0, target_modules: [...lora.config.targets], lora_dropout: 0, bias: 'none',
    fan_in_fan_out: false, use_rslora: false, use_dora: false, modules_to_save: null, init_lora_weights: true, inference_mode: true,
    rank_pattern: rankPattern, alpha_pattern: alphaPattern,
  };
  return { config, tensors };
}

/**
 * A PEFT adapter's modules read into (a, b) pairs in the lab's layout, checked against the UNet's modules: unknown
 * modules, shapes that do not fit, DoRA, trained biases are refused by name.
 */
export function unetLoraFromPeft(adapter: PeftAdapterFiles, modules: ReadonlyMap<string, { nIn: number; nOut: number; conv: boolean }>): {
  config: UNetLoraConfig;
  adapters: Map<string, { a: Float32Array; b: Float32Array; nIn: number; nOut: number; scale: number }>;
} {
  const c = adapter.config;
  if (c.peft_type !== 'LORA') throw new UNetLoraError(`adapter_config.json: peft_type ${JSON.stringify(c.peft_type)} (only LORA adapters are read)`);
  if (c.use_dora === true) throw new UNetLoraError('adapter_config.json: use_dora (DoRA adapters are not supported)');
  if (c.bias !== undefined && c.bias !== 'none') throw new UNetLoraError(`adapter_config.json: bias ${JSON.stringify(c.bias)} (only "none")`);
  if (Array.isArray(c.modules_to_save) && c.modules_to_save.length > 0) throw new UNetLoraError('adapter_config.json: modules_to_save (fully trained modules are not supported)');
  const alpha = c.lora_alpha;
  const rank = c.r;
  if (typeof alpha !== 'number' || typeof rank !== 'number' || !(rank >= 1)) throw new UNetLoraError('adapter_config.json needs r and lora_alpha');
  const pairs = new Map<string, { A?: { shape: number[]; values: Float32Array }; B?: { shape: number[]; values: Float32Array } }>();
  for (const [key, t] of adapter.tensors) {
    const m = /^(?:base_model\.model\.)?(?:unet\.)?(.+)\.lora_([AB])(?:\.default)?\.weight$/.exec(key);
    if (!m) throw new UNetLoraError(`adapter_model.safetensors: ${key} is not a LoRA weight`);
    const entry = pairs.get(m[1]!) ?? {};
    entry[m[2] as 'A' | 'B'] = t;
    pairs.set(m[1]!, entry);
  }
  const adapters = new Map<string, { a: Float32Array; b: Float32Array; nIn: number; nOut: number; scale: number }>();
  const targets = new Set<UNetLoraTarget>();
  for (const [name, { A, B }] of pairs) {
    const mod = modules.get(name);
    if (!mod) throw new UNetLoraError(`the adapter has a module ${name}, which this UNet does not have (or the lab does not adapt)`);
    if (!A || !B) throw new UNetLoraError(`adapter_model.safetensors: ${name} has lora_${A ? 'B' : 'A'} missing`);
    const r = A.shape[0]!;
    // each module's own alpha (alpha_pattern) over its own rank (its A's rows), or over sqrt(r) with rslora
    const alphaOf = patternValue(c.alpha_pattern, name) ?? alpha;
    const scale = c.use_rslora === true ? alphaOf / Math.sqrt(r) : alphaOf / r;
    if (mod.conv) {
      const cin = mod.nIn / 9;
      if (A.shape.join() !== [r, cin, 3, 3].join() || B.shape.join() !== [mod.nOut, r, 1, 1].join()) throw new UNetLoraError(`adapter ${name}: lora_A [${A.shape.join(', ')}] and lora_B [${B.shape.join(', ')}] do not fit the conv (${cin} -> ${mod.nOut}, 3x3)`);
      const a = new Float32Array(mod.nIn * r);
      for (let k = 0; k < r; k++) for (let i = 0; i < cin; i++) for (let p = 0; p < 9; p++) a[(p * cin + i) * r + k] = A.values[(k * cin + i) * 9 + p]!;
      adapters.set(name, { a, b: transpose(B.values, mod.nOut, r), nIn: mod.nIn, nOut: mod.nOut, scale });
    } else {
      if (A.shape.join() !== [r, mod.nIn].join() || B.shape.join() !== [mod.nOut, r].join()) throw new UNetLoraError(`adapter ${name}: lora_A [${A.shape.join(', ')}] and lora_B [${B.shape.join(', ')}] do not fit (${mod.nIn} -> ${mod.nOut})`);
      adapters.set(name, { a: transpose(A.values, r, mod.nIn), b: transpose(B.values, mod.nOut, r), nIn: mod.nIn, nOut: mod.nOut, scale });
    }
    targets.add(name.endsWith('to_out.0') ? 'to_out.0' : (name.split('.').pop() as UNetLoraTarget));
  }
  if (adapters.size === 0) throw new UNetLoraError('adapter_model.safetensors has no LoRA weights');
  return { config: { rank, alpha, targets: UNET_LORA_TARGETS.filter((t) => targets.has(t)) }, adapters };
}

/** A PEFT adapter's two files (null: absent) read and checked; a missing or broken file is a UNetLoraError naming it. */
export function parsePeftAdapter(where: string, config: Uint8Array | null, weights: Uint8Array | null): PeftAdapterFiles {
  if (!config || !weights) throw new UNetLoraError(`adapter ${where} has no ${config ? 'adapter_model.safetensors' : 'adapter_config.json'} (a PEFT adapter folder has both)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(config));
  } catch {
    throw new UNetLoraError(`adapter ${where}: adapter_config.json is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UNetLoraError(`adapter ${where}: adapter_config.json is not a JSON object`);
  try {
    return { config: parsed as Record<string, unknown>, tensors: readSafetensors(weights).tensors };
  } catch (e) {
    throw new UNetLoraError(`adapter ${where}: adapter_model.safetensors: ${(e as Error).message}`);
  }
}

