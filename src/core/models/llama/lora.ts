/**
 * The Llama family's LoRA names (Llama, Qwen2, Qwen3 alike): the lab's short names and the Hub's module names
 * `q_proj` ... `down_proj`, and PEFT's module paths in a *ForCausalLM: `model.layers.{i}.self_attn.{q,k,v,o}_proj`,
 * `model.layers.{i}.mlp.{gate,up,down}_proj` (nn.Linear, so no `fan_in_fan_out`).
 */
import type { LoraLayer } from '../../lm/lora-config';
import type { LoraNames } from '../architecture';

export const llamaLora: LoraNames = {
  targets: {
    q: ['q'], k: ['k'], v: ['v'], o: ['o'], up: ['up'], down: ['down'], gate: ['gate'],
    q_proj: ['q'], k_proj: ['k'], v_proj: ['v'], o_proj: ['o'], gate_proj: ['gate'], up_proj: ['up'], down_proj: ['down'],
  },
  peftModule(block, layer) {
    const l = `model.layers.${block}`;
    if (layer === 'q' || layer === 'k' || layer === 'v' || layer === 'o') return { path: `${l}.self_attn.${layer}_proj`, target: `${layer}_proj` };
    if (layer === 'gate' || layer === 'up' || layer === 'down') return { path: `${l}.mlp.${layer}_proj`, target: `${layer}_proj` };
    return null;
  },
  layerOfPeftModule(path) {
    const m = /^model\.layers\.(\d+)\.(?:self_attn\.(q|k|v|o)|mlp\.(gate|up|down))_proj$/.exec(path);
    return m ? { block: Number(m[1]), layer: (m[2] ?? m[3]) as LoraLayer } : null;
  },
  fanInFanOut: false,
};
