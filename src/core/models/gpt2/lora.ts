/**
 * GPT-2's LoRA names: the lab's short names and the Hub's module names (`c_attn` holds q, k, v in one Conv1D, so one
 * adapter for the three; `c_proj` is both the attention output and the MLP down projection; `c_fc` the MLP up), and
 * PEFT's module paths in a GPT2LMHeadModel: `transformer.h.{i}.attn.c_attn`, `.attn.c_proj`, `.mlp.c_fc`,
 * `.mlp.c_proj` (Conv1D, hence `fan_in_fan_out`).
 */
import type { LoraNames } from '../architecture';

const PEFT_LAYERS = { 'attn.c_attn': 'qkv', 'attn.c_proj': 'o', 'mlp.c_fc': 'up', 'mlp.c_proj': 'down' } as const;

export const gpt2Lora: LoraNames = {
  targets: { q: ['q'], k: ['k'], v: ['v'], o: ['o'], up: ['up'], down: ['down'], c_attn: ['qkv'], c_proj: ['o', 'down'], c_fc: ['up'] },
  peftModule(block, layer) {
    const h = `transformer.h.${block}`;
    switch (layer) {
      case 'qkv': return { path: `${h}.attn.c_attn`, target: 'c_attn' };
      case 'q': case 'k': case 'v': return { path: `${h}.attn.c_attn`, target: 'c_attn', part: ['q', 'k', 'v'].indexOf(layer) };
      case 'o': return { path: `${h}.attn.c_proj`, target: 'attn.c_proj' };
      case 'up': return { path: `${h}.mlp.c_fc`, target: 'c_fc' };
      case 'down': return { path: `${h}.mlp.c_proj`, target: 'mlp.c_proj' };
      default: return null;
    }
  },
  layerOfPeftModule(path) {
    const m = /^(?:transformer\.)?h\.(\d+)\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)$/.exec(path);
    return m ? { block: Number(m[1]), layer: PEFT_LAYERS[m[2] as keyof typeof PEFT_LAYERS] } : null;
  },
  fanInFanOut: true,
};
