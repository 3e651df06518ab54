/**
 * Qwen3 (`model_type: qwen3`: Qwen/Qwen3-0.6B and its siblings): Llama's names and math without biases, plus an
 * RMSNorm over each head's channels on q and k (`self_attn.{q,k}_norm.weight`) after the projection and before the
 * rotary embedding, and an explicit `head_dim` that need not be hidden / heads (Qwen3-0.6B: 128, not 1024 / 16);
 * without `head_dim` in the config it is hidden / heads.
 */
import { llamaFamily } from '../llama/index';

export const qwen3 = llamaFamily('Qwen3', { modelType: 'qwen3', qkvBias: false, qkNorm: true });
