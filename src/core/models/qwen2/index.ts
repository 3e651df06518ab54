/**
 * Qwen2 (`model_type: qwen2`: Qwen/Qwen2.5-0.5B-Instruct and the Qwen2.5 family): Llama's names and math with biases
 * on the q, k and v projections (`self_attn.{q,k,v}_proj.bias`; o_proj has none). Sliding-window attention is off in
 * the small models and refused where a config turns it on (`use_sliding_window`).
 */
import { llamaFamily } from '../llama/index';

export const qwen2 = llamaFamily('Qwen2', { modelType: 'qwen2', qkvBias: true, qkNorm: false });
