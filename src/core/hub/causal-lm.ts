/**
 * A Hub checkpoint's architecture by its `config.json`: GPT-2 (the lab's GPT) or Llama (the lab's LlamaModel), built
 * from its tensors, behind one forward pass. Any other `model_type` is refused with the list of what is supported.
 */
import type * as tf from '@tensorflow/tfjs';
import { Gpt } from '../lm/gpt';
import { LlamaModel } from '../lm/llama';
import { gptConfigFromHub, gptWeightsFromHub, HubModelError } from './gpt2';
import { llamaConfigFromHub, llamaWeightsFromHub } from './llama';

export const HUB_MODEL_TYPES = ['gpt2', 'llama'] as const;

export interface CausalLm {
  readonly modelType: (typeof HUB_MODEL_TYPES)[number];
  readonly vocabSize: number;
  readonly maxLength: number;
  /** Logits (B*T, V) of ids (B, T); call inside tf.tidy. */
  forward(ids: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

export function causalLmFromHub(config: unknown, tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>): CausalLm {
  const type = (config as { model_type?: unknown } | null)?.model_type;
  if (type === 'gpt2') {
    const c = gptConfigFromHub(config);
    const m = new Gpt(c, gptWeightsFromHub(tensors, c));
    return { modelType: 'gpt2', vocabSize: c.vocabSize, maxLength: c.blockSize, forward: (ids) => m.forward(ids), dispose: () => m.dispose() };
  }
  if (type === 'llama') {
    const c = llamaConfigFromHub(config);
    const m = new LlamaModel(c, llamaWeightsFromHub(tensors, c));
    return { modelType: 'llama', vocabSize: c.vocabSize, maxLength: c.blockSize, forward: (ids) => m.forward(ids), dispose: () => m.dispose() };
  }
  throw new HubModelError(`model_type ${JSON.stringify(String(type).slice(0, 40))} is not supported; supported: ${HUB_MODEL_TYPES.join(', ')}`);
}
