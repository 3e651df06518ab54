// The memory estimate of a run on a Hub model, from config.json alone, and the refusals it gives.
import { describe, expect, it } from 'vitest';
import { checkFit, describeEstimate, estimateRunMemory } from '../src/core/hub/memory';

const GPT2 = { model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024 };
const SMOLLM2_135M = {
  model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true,
};
const run = { lora: 8, loraTargets: 'q,v', batchSize: 8, genBatch: 8, maxNewTokens: 48 };
const MiB = 2 ** 20;

describe('memory estimate', () => {
  it('counts the parameters of gpt2 and SmolLM2-135M exactly, and what LoRA trains', () => {
    const g = estimateRunMemory(GPT2, run);
    expect(g.params).toBe(124_439_808); // transformers' GPT2LMHeadModel (tied head)
    expect(g.trainableParams).toBe(12 * 2 * 8 * (768 + 768));
    expect(g.largestTensorBytes).toBe(4 * 50257 * 768);
    const s = estimateRunMemory(SMOLLM2_135M, { ...run, loraTargets: 'q_proj,v_proj' });
    expect(s.params).toBe(134_515_008); // SmolLM2-135M
    expect(s.trainableParams).toBe(30 * 8 * ((576 + 576) + (576 + 192)));
    expect(describeEstimate(g)).toMatch(/^124\.4M parameters: weights \d[\d,]* MiB \+ training \d+ MiB \+ activations \d[\d,]* MiB = about \d[\d,]* MiB$/);
    // full fine-tuning adds gradients and Adam's two moments of every weight
    expect(estimateRunMemory(GPT2, { ...run, lora: 0 }).trainingStateBytes).toBe(3 * 4 * 124_439_808);
  });

  it('refuses a run over the budget or an embedding over one GPU buffer, with the estimate', () => {
    const g = estimateRunMemory(GPT2, run);
    expect(checkFit(g, { budgetBytes: 4 * 2 ** 30 })).toBeNull();
    expect(checkFit(g, { budgetBytes: 256 * MiB })).toMatch(/the run needs 124\.4M parameters: .* more than the 256 MiB available/);
    expect(checkFit(g, { maxBufferBytes: 128 * MiB })).toMatch(/one buffer of 147 MiB, and this device allows 128 MiB per buffer/);
    expect(() => estimateRunMemory({ model_type: 'mamba' }, run)).toThrow(/model_type "mamba" is not supported; supported: gpt2, llama, qwen2, qwen3/);
    expect(() => estimateRunMemory(GPT2, { ...run, loraTargets: 'gate' })).toThrow(/not a layer of a gpt2 model/);
  });
});
