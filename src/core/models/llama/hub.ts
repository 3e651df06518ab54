/**
 * Llama-family checkpoints in the Hugging Face layout (`model_type: llama`, and the Qwen2 / Qwen3 folders' types)
 * as the lab's LlamaModel (model.ts).
 * Names: `model.embed_tokens.weight`, `model.layers.{i}.input_layernorm.weight`,
 * `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`, `model.layers.{i}.post_attention_layernorm.weight`,
 * `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, `model.norm.weight`, and `lm_head.weight` unless
 * `tie_word_embeddings`. Hub weights are nn.Linear, (out, in): transposed here to the lab's (in, out).
 * Qwen2 adds `self_attn.{q,k,v}_proj.bias`; Qwen3 adds `self_attn.{q,k}_norm.weight`.
 */
import { HubModelError } from '../../hub/errors';
import { transpose } from '../../hub/transpose';
import { llamaParamShapes, type LlamaConfig } from './config';

/** What a family adds to Llama's math (its folder passes them). */
export interface LlamaVariant {
  modelType: string;
  /** q, k, v biases (Qwen2: always; Llama: refused). */
  qkvBias: boolean;
  /** Per-head q/k RMSNorm (Qwen3). */
  qkNorm: boolean;
}

/**
 * A Llama-family `config.json` as the lab's LlamaConfig. Reads RoPE's theta from `rope_theta` or `rope_parameters`
 * (the newer form); refuses by name what the lab does not compute: another model_type, rope scaling of any kind
 * (`rope_scaling`, a `rope_type` other than default), sliding-window or other non-full attention layers, MLP biases,
 * attention biases the family does not have, an activation other than silu.
 */
export function llamaFamilyConfigFromHub(raw: unknown, variant: LlamaVariant): LlamaConfig {
  const c = raw as Record<string, unknown> | null;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new HubModelError('config.json is not a JSON object');
  if (c.model_type !== variant.modelType) throw new HubModelError(`model_type ${JSON.stringify(String(c.model_type).slice(0, 40))} is not a ${variant.modelType}`);
  const int = (k: string) => {
    const v = c[k];
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new HubModelError(`config.json: ${k} must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  };
  if (c.mlp_bias === true) throw new HubModelError(`config.json: mlp_bias (the lab's ${variant.modelType} has no MLP biases)`);
  if (c.attention_bias === true && !variant.qkvBias) throw new HubModelError(`config.json: attention_bias (the lab's ${variant.modelType} has no attention biases)`);
  if (c.rope_scaling != null) throw new HubModelError('config.json: rope_scaling is not supported (plain rotary embeddings only)');
  const rope = c.rope_parameters as Record<string, unknown> | null | undefined;
  if (rope != null && (typeof rope !== 'object' || Array.isArray(rope))) throw new HubModelError('config.json: rope_parameters is not an object');
  const ropeType = rope?.rope_type ?? rope?.type ?? 'default';
  if (ropeType !== 'default') throw new HubModelError(`config.json: rope_type ${JSON.stringify(String(ropeType).slice(0, 40))} is not supported (only default rotary embeddings)`);
  const theta = rope?.rope_theta ?? c.rope_theta;
  if (theta !== undefined && (typeof theta !== 'number' || !(theta > 0))) throw new HubModelError(`config.json: rope_theta must be a positive number (got ${JSON.stringify(theta)})`);
  if (c.use_sliding_window === true) throw new HubModelError('config.json: use_sliding_window (the lab computes full attention only)');
  if (c.layer_types !== undefined) {
    const other = Array.isArray(c.layer_types) ? c.layer_types.find((t) => t !== 'full_attention') : 'not a list';
    if (other !== undefined) throw new HubModelError(`config.json: layer_types has ${JSON.stringify(String(other).slice(0, 40))} (only full_attention layers are supported)`);
  }
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') throw new HubModelError(`config.json: hidden_act ${JSON.stringify(c.hidden_act)} (the lab's ${variant.modelType} computes silu)`);
  const nHead = int('num_attention_heads');
  const nEmbd = int('hidden_size');
  const nKvHead = c.num_key_value_heads == null ? nHead : int('num_key_value_heads');
  if (nHead % nKvHead !== 0) throw new HubModelError(`config.json: ${nHead} attention heads are not a multiple of ${nKvHead} key/value heads`);
  if (c.head_dim == null && nEmbd % nHead !== 0) throw new HubModelError(`config.json: hidden_size ${nEmbd} is not divisible by ${nHead} heads, and there is no head_dim`);
  const headDim = c.head_dim == null ? nEmbd / nHead : int('head_dim');
  if (headDim % 2 !== 0) throw new HubModelError(`config.json: head_dim ${headDim} is odd (rotary embeddings pair the halves of a head)`);
  return {
    vocabSize: int('vocab_size'),
    blockSize: int('max_position_embeddings'),
    nLayer: int('num_hidden_layers'),
    nHead,
    nKvHead,
    nEmbd,
    headDim,
    nInner: int('intermediate_size'),
    rmsEps: typeof c.rms_norm_eps === 'number' ? c.rms_norm_eps : 1e-6,
    ropeTheta: typeof theta === 'number' ? theta : 10000,
    tiedHead: c.tie_word_embeddings !== false,
    qkvBias: variant.qkvBias,
    qkNorm: variant.qkNorm,
  };
}

/** A `model_type: llama` config.json as the lab's LlamaConfig. */
export const llamaConfigFromHub = (raw: unknown): LlamaConfig => llamaFamilyConfigFromHub(raw, { modelType: 'llama', qkvBias: false, qkNorm: false });

/** Every weight of a Llama-family model of `c`: its Hub name, the lab's name, and whether it is an nn.Linear (stored transposed). */
function llamaTensorNames(c: LlamaConfig): Array<[hub: string, local: string, linear: boolean]> {
  const out: Array<[string, string, boolean]> = [['model.embed_tokens.weight', 'embed', false]];
  for (let i = 0; i < c.nLayer; i++) {
    const l = `model.layers.${i}`;
    out.push([`${l}.input_layernorm.weight`, `h${i}.norm1`, false]);
    for (const m of ['q', 'k', 'v', 'o'] as const) out.push([`${l}.self_attn.${m}_proj.weight`, `h${i}.${m}.w`, true]);
    if (c.qkvBias) for (const m of ['q', 'k', 'v'] as const) out.push([`${l}.self_attn.${m}_proj.bias`, `h${i}.${m}.b`, false]);
    if (c.qkNorm) out.push([`${l}.self_attn.q_norm.weight`, `h${i}.qnorm`, false], [`${l}.self_attn.k_norm.weight`, `h${i}.knorm`, false]);
    out.push([`${l}.post_attention_layernorm.weight`, `h${i}.norm2`, false]);
    for (const m of ['gate', 'up', 'down'] as const) out.push([`${l}.mlp.${m}_proj.weight`, `h${i}.${m}.w`, true]);
  }
  out.push(['model.norm.weight', 'norm', false]);
  if (!c.tiedHead) out.push(['lm_head.weight', 'head', true]);
  return out;
}

export function llamaWeightsFromHub(tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>, config: LlamaConfig): Map<string, Float32Array> {
  const left = new Map(tensors);
  for (const name of left.keys()) if (/rotary_emb\.inv_freq$/.test(name)) left.delete(name); // a buffer, not a weight
  const out = new Map<string, Float32Array>();
  const shapes = new Map(llamaParamShapes(config));
  for (const [hub, local, linear] of llamaTensorNames(config)) {
    const t = left.get(hub);
    if (!t) throw new HubModelError(`the checkpoint has no tensor ${hub}`);
    const want = shapes.get(local)!;
    const hubShape = linear ? [want[1]!, want[0]!] : want;
    if (t.shape.length !== hubShape.length || t.shape.some((d, i) => d !== hubShape[i])) {
      throw new HubModelError(`tensor ${hub} has shape [${t.shape.join(', ')}], config.json implies [${hubShape.join(', ')}]`);
    }
    left.delete(hub);
    out.set(local, linear ? transpose(t.values, hubShape[0]!, hubShape[1]!) : t.values);
  }
  if (config.tiedHead) left.delete('lm_head.weight'); // some tied checkpoints store the copy
  if (left.size > 0) throw new HubModelError(`the checkpoint has tensors that config.json's model does not have: ${[...left.keys()].slice(0, 5).join(', ')}`);
  return out;
}

/**
 * The lab's Llama weights as Hub tensors (the inverse of llamaWeightsFromHub): nn.Linear weights transposed back to
 * (out, in). The `config.json` is the source model's own (the architecture does not change in training).
 */
export function llamaTensorsToHub(config: LlamaConfig, weights: ReadonlyMap<string, Float32Array>): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const shapes = new Map(llamaParamShapes(config));
  for (const [hub, local, linear] of llamaTensorNames(config)) {
    const v = weights.get(local);
    const shape = shapes.get(local)!;
    if (!v) throw new HubModelError(`the model has no weight ${local}`);
    out.set(hub, linear ? { shape: [shape[1]!, shape[0]!], values: transpose(v, shape[0]!, shape[1]!) } : { shape, values: v });
  }
  return out;
}
