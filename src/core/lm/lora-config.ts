/**
 * LoRA settings, kept free of TF.js so the UI thread can import them through the config schema.
 *
 * A target is named either by the lab's short names (`q`, `k`, `v`, `o`, `up`, `down`, and `gate` on a Llama) or by
 * the module names the Hub (and PEFT's `target_modules`) uses for the architecture: GPT-2 `c_attn` (q, k, v in one
 * Conv1D, so one adapter for the three), `c_proj` (attention output and MLP down), `c_fc` (MLP up); Llama
 * `q_proj` ... `down_proj`. `resolveLoraTargets` turns either into the layers a model attaches adapters to.
 */

/** Every target name a run may give, in canonical order: the lab's, then GPT-2's, then Llama's Hub names. */
export const LORA_TARGETS = [
  'q', 'k', 'v', 'o', 'up', 'down', 'gate',
  'c_attn', 'c_proj', 'c_fc',
  'q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj',
] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** A layer (kind) an adapter sits on inside the lab's models; `qkv` is GPT-2's joint q|k|v projection (`c_attn`). */
export type LoraLayer = 'q' | 'k' | 'v' | 'o' | 'up' | 'down' | 'gate' | 'qkv';

export type Architecture = 'gpt2' | 'llama';

const NAMES: Record<Architecture, Partial<Record<LoraTarget, readonly LoraLayer[]>>> = {
  gpt2: { q: ['q'], k: ['k'], v: ['v'], o: ['o'], up: ['up'], down: ['down'], c_attn: ['qkv'], c_proj: ['o', 'down'], c_fc: ['up'] },
  llama: {
    q: ['q'], k: ['k'], v: ['v'], o: ['o'], up: ['up'], down: ['down'], gate: ['gate'],
    q_proj: ['q'], k_proj: ['k'], v_proj: ['v'], o_proj: ['o'], gate_proj: ['gate'], up_proj: ['up'], down_proj: ['down'],
  },
};

/** A LoRA target list that does not fit the model (a message for people). */
export class LoraTargetError extends Error {}

/** The target names an architecture accepts. */
export function loraTargetNames(arch: Architecture): LoraTarget[] {
  return LORA_TARGETS.filter((t) => NAMES[arch][t] !== undefined);
}

/**
 * The layers a comma list of targets puts adapters on, for one architecture. A name the architecture does not have,
 * or `c_attn` together with one of q, k, v (two adapters on the same projection), is refused by name.
 */
export function resolveLoraTargets(arch: Architecture, list: string): LoraLayer[] {
  const out = new Set<LoraLayer>();
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const layers = NAMES[arch][raw as LoraTarget];
    if (!layers) throw new LoraTargetError(`LoRA target ${JSON.stringify(raw.slice(0, 20))} is not a layer of a ${arch} model; it has ${loraTargetNames(arch).join(', ')}`);
    for (const l of layers) out.add(l);
  }
  if (out.has('qkv') && (out.has('q') || out.has('k') || out.has('v'))) {
    throw new LoraTargetError('LoRA targets: c_attn already adapts q, k and v together; give c_attn or some of q, k, v, not both');
  }
  if (out.size === 0) throw new LoraTargetError('LoRA targets: the list is empty');
  return [...out];
}

export interface LoraConfig {
  rank: number;
  alpha: number;
  targets: readonly LoraLayer[];
}
