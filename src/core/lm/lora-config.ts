/**
 * LoRA settings, kept free of TF.js so the UI thread can import them through the config schema.
 *
 * A target is named either by the lab's short names (`q`, `k`, `v`, `o`, `up`, `down`, and `gate` on the Llama family) or by
 * the module names the Hub (and PEFT's `target_modules`) uses for the architecture: GPT-2 `c_attn` (q, k, v in one
 * Conv1D, so one adapter for the three), `c_proj` (attention output and MLP down), `c_fc` (MLP up); Llama, Qwen2, Qwen3
 * `q_proj` ... `down_proj`. Each architecture's table of them is in its folder (src/core/models/<type>/lora.ts);
 * `layersOfTargets` turns a list into the layers a model attaches adapters to.
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

/** A LoRA target list that does not fit the model (a message for people). */
export class LoraTargetError extends Error {}

/** The target names an architecture accepts (its `targets` table, in canonical order). */
export function loraTargetNames(targets: Partial<Record<LoraTarget, readonly LoraLayer[]>>): LoraTarget[] {
  return LORA_TARGETS.filter((t) => targets[t] !== undefined);
}

/**
 * The layers a comma list of targets puts adapters on, by an architecture's target table (`modelType` names it
 * in messages). A name the architecture does not have, or `c_attn` together with one of q, k, v (two adapters on the
 * same projection), is refused by name.
 */
export function layersOfTargets(targets: Partial<Record<LoraTarget, readonly LoraLayer[]>>, modelType: string, list: string): LoraLayer[] {
  const out = new Set<LoraLayer>();
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const layers = targets[raw as LoraTarget];
    if (!layers) throw new LoraTargetError(`LoRA target ${JSON.stringify(raw.slice(0, 20))} is not a layer of a ${modelType} model; it has ${loraTargetNames(targets).join(', ')}`);
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
