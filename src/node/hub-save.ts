/**
 * Save the lab's GPT as a model folder in the Hub's layout (`config.json`, `generation_config.json`,
 * `model.safetensors`, `tokenizer.json`), which `transformers` (GPT2LMHeadModel, AutoTokenizer) and
 * `raftlab score --model DIR` open. LoRA adapters are merged into the weights first (the outputs do not change).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpt } from '../core/lm/gpt';
import { gptToHub } from '../core/hub/gpt2';
import { writeSafetensors } from '../core/hub/safetensors';

export async function saveGptFolder(dir: string, model: Gpt, tokenizerJsonPath: string, eosId: number, metadata: Record<string, string> = {}): Promise<void> {
  if (model.lora) model.lora.mergeInto(model.params);
  const weights = new Map([...(await model.exportWeights(false))].map(([name, w]) => [name, w.values]));
  const { config, tensors } = gptToHub(model.config, weights, eosId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'generation_config.json'), `${JSON.stringify({ bos_token_id: eosId, eos_token_id: eosId }, null, 2)}\n`);
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { metadata }));
  copyFileSync(tokenizerJsonPath, join(dir, 'tokenizer.json'));
}
