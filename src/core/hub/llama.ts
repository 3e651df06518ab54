/**
 * Llama checkpoints in the Hugging Face layout (`model_type: llama`) as the lab's LlamaModel (lm/llama.ts).
 * Names: `model.embed_tokens.weight`, `model.layers.{i}.input_layernorm.weight`,
 * `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`, `model.layers.{i}.post_attention_layernorm.weight`,
 * `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, `model.norm.weight`, and `lm_head.weight` unless
 * `tie_word_embeddings`. Hub weights are nn.Linear, (out, in): transposed here to the lab's (in, out).
 * Biases (`attention_bias`, `mlp_bias`) and rope scaling are refused: the lab's Llama does not compute them.
 */
import { llamaParamShapes, type LlamaConfig } from '../lm/llama-config';
import { HubModelError } from './gpt2';

export function llamaConfigFromHub(raw: unknown): LlamaConfig {
  const c = raw as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') throw new HubModelError('config.json is not a JSON object');
  if (c.model_type !== 'llama') throw new HubModelError(`model_type ${JSON.stringify(String(c.model_type).slice(0, 40))} is not a llama`);
  const int = (k: string) => {
    const v = c[k];
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new HubModelError(`config.json: ${k} must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  };
  if (c.attention_bias === true || c.mlp_bias === true) throw new HubModelError('config.json: attention or MLP biases (the lab\'s Llama has none)');
  if (c.rope_scaling != null) throw new HubModelError('config.json: rope_scaling is not supported (plain rotary embeddings only)');
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') throw new HubModelError(`config.json: hidden_act ${JSON.stringify(c.hidden_act)} (the lab's Llama computes silu)`);
  const nHead = int('num_attention_heads');
  return {
    vocabSize: int('vocab_size'),
    blockSize: int('max_position_embeddings'),
    nLayer: int('num_hidden_layers'),
    nHead,
    nKvHead: c.num_key_value_heads === undefined ? nHead : int('num_key_value_heads'),
    nEmbd: int('hidden_size'),
    nInner: int('intermediate_size'),
    rmsEps: typeof c.rms_norm_eps === 'number' ? c.rms_norm_eps : 1e-6,
    ropeTheta: typeof c.rope_theta === 'number' ? c.rope_theta : 10000,
    tiedHead: c.tie_word_embeddings !== false,
  };
}

/** (rows, cols) row-major -> (cols, rows). */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j * rows + r] = values[r * cols + j]!;
  return out;
}

/** Every weight of a Llama of `c`: its Hub name, the lab's name, and whether it is an nn.Linear (stored transposed). */
function llamaTensorNames(c: LlamaConfig): Array<[hub: string, local: string, linear: boolean]> {
  const out: Array<[string, string, boolean]> = [['model.embed_tokens.weight', 'embed', false]];
  for (let i = 0; i < c.nLayer; i++) {
    const l = `model.layers.${i}`;
    out.push([`${l}.input_layernorm.weight`, `h${i}.norm1`, false]);
    for (const m of ['q', 'k', 'v', 'o'] as const) out.push([`${l}.self_attn.${m}_proj.weight`, `h${i}.${m}.w`, true]);
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
  if (left.size > 0) throw new HubModelError(`the checkpoint has tensors a Llama does not: ${[...left.keys()].slice(0, 5).join(', ')}`);
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
